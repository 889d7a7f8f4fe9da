// The gateway's reader of ledger.db for the admin query API: a RollupStore (reads only) and a
// LedgerReader answering through the query worker, as promises. At most MAX_PENDING queries wait
// at once; past it a query is refused (503) instead of queueing without bound.

import type { Worker } from 'node:worker_threads';
import { GatewayError } from '../../core/errors.js';
import type { RequestRecord } from '../../ledger/record.js';
import type { LedgerFilter, LedgerReader, QueryOptions, QueryPage } from '../ledger.js';
import type { RollupRead, RollupRow, RollupStore } from '../rollups.js';
import { StoreInputError } from '../types.js';
import type { ReaderReply, ReaderRequest, ReaderWorkerData } from './insight-reader-worker.js';
import { spawnModuleWorker } from './worker-spawn.js';

export const MAX_PENDING = 64;

export class WorkerInsightReader implements RollupStore, LedgerReader {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private closed = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: ReaderReply) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) worker.unref();
      if (m.error !== undefined) w.reject(m.input ? new StoreInputError(m.error) : new Error(m.error));
      else w.resolve(m.value);
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => this.failAll(new Error('the query worker exited')));
  }

  static start(dataDir: string): Promise<WorkerInsightReader> {
    const worker = spawnModuleWorker(import.meta.url, 'insight-reader-worker', { dataDir } satisfies ReaderWorkerData);
    return new Promise((resolve, reject) => {
      const onReady = (m: ReaderReply): void => {
        if (m.id !== 0) return;
        worker.off('message', onReady);
        worker.unref();
        resolve(new WorkerInsightReader(worker));
      };
      worker.on('message', onReady);
      worker.once('error', reject);
    });
  }

  private call<T>(op: ReaderRequest['op'], args: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the query worker is closed'));
    if (this.waiting.size >= MAX_PENDING) {
      return Promise.reject(new GatewayError('upstream_unavailable', `More than ${MAX_PENDING} admin queries are waiting; try again shortly.`));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.ref();
      this.worker.postMessage({ id, op, args } satisfies ReaderRequest);
    });
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  add(_records: readonly RequestRecord[]): never {
    throw new Error('the query worker reads; the ingest worker writes the rollups');
  }
  read(q: RollupRead): Promise<RollupRow[]> {
    return this.call('read', [q]);
  }
  minuteCoverage(): Promise<{ from: number; to: number } | null> {
    return this.call('coverage', []);
  }
  query(filter: LedgerFilter, opts: QueryOptions): Promise<QueryPage> {
    return this.call('query', [filter, opts]);
  }
  aggregate(): never {
    throw new Error('aggregate is not served by the query worker; the admin query API reads rollups');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage({ op: 'close' });
    await new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      setTimeout(() => void this.worker.terminate().then(() => resolve()), 2000).unref();
    });
  }
}
