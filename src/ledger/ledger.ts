// The ledger: one RequestRecord per request, durable the moment append() returns, stored in
// SQLite off the hot path.
//
//   gateway ──append()──> journal segment (one write(2), page cache) ──> ingest worker ──> ledger.db
//
// append() costs one JSON.stringify (after bound-record.ts caps what clients control, so every
// record fits the ingester) and one write to the page cache (microseconds); it survives
// kill -9 of the process. The worker thread tails the journal and inserts in batches; the journal
// is the queue, so a slow store costs disk, never heap. See journal.ts and ingest.ts.

import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RequestRecord } from './record.js';
import { recordLine } from './bound-record.js';
import { JournalWriter, acquireWriterLock, type JournalPosition } from './journal.js';
import type { FromWorker, IngestWorkerData, ToWorker } from './ingest-worker.js';

export interface LedgerOptions {
  dataDir: string;
  /** roll the journal to a new segment file past this size */
  segmentBytes?: number;
  /** how often the ingester looks for new journal lines */
  pollMs?: number;
  /** bytes the ingester reads and commits per SQLite transaction */
  chunkBytes?: number;
  /** where operational errors go (messages never contain record content); default stderr */
  onError?: (message: string) => void;
}

export const LEDGER_DEFAULTS = {
  segmentBytes: 64 * 1024 * 1024,
  pollMs: 200,
  // ~2,800 records per transaction: a commit's fixed cost (the WAL frames of the index pages it
  // touched, the ingest position, the rollups' staging) was a quarter of the ingest at 1 MB
  chunkBytes: 4 * 1024 * 1024,
} as const;

export interface LedgerStats {
  /** records written to the journal by this process */
  appended: number;
  /** records this ledger's ingester inserted into SQLite (including ones recovered from an earlier process's journal) */
  stored: number;
  /** records that could not be written to the journal (counted, never silent) */
  dropped: number;
  /** bytes this process appended that are not in SQLite yet */
  pendingBytes: number;
  /** journal lines the ingester could not parse (e.g. the partial tail of a failed write), over the store's lifetime */
  corrupt: number;
}

export interface Ledger {
  /** writes the record to the journal now: durable (against a process kill) when it returns */
  append(record: RequestRecord): void;
  /**
   * Group commit: the record joins the records appended in this turn of the event loop, all of
   * them go to the journal in one write(2) at the end of the turn, then `onDurable` runs. The
   * gateway ends a response in `onDurable`, so a client never holds an answer whose record could
   * be lost to a kill, and the write cost is shared by every request completing in that turn.
   */
  appendThen(record: RequestRecord, onDurable: () => void): void;
  /** resolves when everything appended so far is in SQLite */
  flush(): Promise<void>;
  /** ingests what is left, stops the worker and closes the journal */
  close(): Promise<void>;
  stats(): LedgerStats;
}

const RESPAWN_DELAY_MS = 1000;

export async function openLedger(opts: LedgerOptions): Promise<Ledger> {
  mkdirSync(opts.dataDir, { recursive: true });
  const onError = opts.onError ?? ((m: string) => console.error(`tollgate: ${m}`));
  const release = acquireWriterLock(opts.dataDir);
  let writer: JournalWriter;
  try {
    writer = new JournalWriter({
      dataDir: opts.dataDir,
      segmentBytes: opts.segmentBytes ?? LEDGER_DEFAULTS.segmentBytes,
      onError,
    });
  } catch (err) {
    release();
    throw err;
  }
  const data: IngestWorkerData = {
    dataDir: opts.dataDir,
    pollMs: opts.pollMs ?? LEDGER_DEFAULTS.pollMs,
    chunkBytes: opts.chunkBytes ?? LEDGER_DEFAULTS.chunkBytes,
  };
  const ledger = new WorkerLedger(writer, data, onError, release);
  try {
    await ledger.start();
  } catch (err) {
    writer.close();
    release();
    throw err;
  }
  return ledger;
}

class WorkerLedger implements Ledger {
  private worker: Worker | null = null;
  private consumed: JournalPosition = { segment: 0, offset: 0 };
  private stored = 0;
  private corrupt = 0;
  private nextFlushId = 1;
  private readonly flushes = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private closing: Promise<void> | null = null;
  private closed = false;
  private warnedClosed = false;
  private onClosed: (() => void) | null = null;

  constructor(
    private readonly writer: JournalWriter,
    private readonly data: IngestWorkerData,
    private readonly onError: (message: string) => void,
    private readonly releaseLock: () => void,
  ) {}

  private batch = '';
  private batchCount = 0;
  private batchWaiters: Array<() => void> = [];
  private batchScheduled = false;

  appendThen(record: RequestRecord, onDurable: () => void): void {
    const line = this.serialise(record);
    if (line !== undefined) {
      this.batch += line;
      this.batchCount++;
    }
    this.batchWaiters.push(onDurable);
    if (!this.batchScheduled) {
      this.batchScheduled = true;
      setImmediate(this.commitBatch);
    }
  }

  /** writes the pending group; waiters run whatever the outcome (a failed write is counted as dropped) */
  private readonly commitBatch = (): void => {
    this.batchScheduled = false;
    const lines = this.batch;
    const count = this.batchCount;
    const waiters = this.batchWaiters;
    this.batch = '';
    this.batchCount = 0;
    this.batchWaiters = [];
    if (count > 0) this.writer.append(lines, count);
    for (const w of waiters) {
      try {
        w();
      } catch (err) {
        this.onError(`ledger: a group-commit callback failed: ${(err as Error).message}`);
      }
    }
  };

  append(record: RequestRecord): void {
    const line = this.serialise(record);
    if (line !== undefined) this.writer.append(line);
  }

  /** one JSON line, or undefined (counted as dropped) when the record cannot be kept */
  private serialise(record: RequestRecord): string | undefined {
    if (this.closed) {
      // the data directory may already belong to another process: keep nothing, count it
      this.writer.dropped++;
      if (!this.warnedClosed) this.onError('ledger record appended after close(); counted as dropped');
      this.warnedClosed = true;
      return undefined;
    }
    let line: string | undefined;
    try {
      line = recordLine(record);
    } catch (err) {
      // not serialisable (a cycle, a BigInt): count it like any other record we could not keep
      this.writer.dropped++;
      this.onError(`ledger record not serialisable (${(err as Error).message}); counted as dropped`);
      return undefined;
    }
    if (line === undefined) {
      this.writer.dropped++;
      this.onError('ledger record too large to store even without its trail; counted as dropped');
    }
    return line;
  }

  flush(): Promise<void> {
    if (this.batchScheduled) this.commitBatch();
    if (this.closing) return this.closing;
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error('ledger ingest worker is restarting; records are safe in the journal'));
    const id = this.nextFlushId++;
    return new Promise<void>((resolve, reject) => {
      this.flushes.set(id, { resolve, reject });
      this.refWhileWaiting();
      worker.postMessage({ type: 'flush', id } satisfies ToWorker);
    });
  }

  close(): Promise<void> {
    if (this.batchScheduled) this.commitBatch();
    if (this.closing) return this.closing;
    const worker = this.worker;
    this.closing = new Promise<void>((resolve) => {
      if (!worker) return resolve();
      this.onClosed = resolve;
      worker.ref();
      worker.postMessage({ type: 'close' } satisfies ToWorker);
    }).then(() => {
      this.closed = true;
      this.writer.close();
      this.releaseLock();
      this.worker = null;
    });
    return this.closing;
  }

  stats(): LedgerStats {
    return {
      appended: this.writer.appended,
      stored: this.stored,
      dropped: this.writer.dropped,
      pendingBytes: this.writer.pendingBytes(this.consumed),
      corrupt: this.corrupt,
    };
  }

  /** spawn the worker and wait until it has opened (and migrated) the store */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const worker = spawnIngestWorker(this.data);
      this.worker = worker;
      let ready = false;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          ready = true;
          this.consumed = { segment: m.segment, offset: m.offset };
          this.corrupt = m.corrupt;
          worker.unref(); // the gateway's own handles keep the process alive, not the ledger
          resolve();
        } else this.onMessage(m);
      });
      worker.on('error', (err) => {
        if (!ready) return reject(new Error(`ledger store could not start: ${err.message}`));
        this.onError(`ledger ingest worker failed: ${err.message}`);
      });
      worker.on('exit', () => {
        if (this.worker !== worker) return;
        if (this.onClosed) {
          this.onClosed();
          this.onClosed = null;
          return;
        }
        if (!ready) return reject(new Error('ledger ingest worker exited before it was ready'));
        this.failFlushes(new Error('ledger ingest worker exited'));
        this.worker = null;
        // The records are safe in the journal; a new worker resumes from the stored position.
        setTimeout(() => {
          if (!this.closing) this.start().catch((e: Error) => this.onError(e.message));
        }, RESPAWN_DELAY_MS).unref();
      });
    });
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'progress':
        this.consumed = { segment: m.segment, offset: m.offset };
        this.stored += m.inserted;
        this.corrupt = m.corrupt;
        break;
      case 'flushed': {
        const f = this.flushes.get(m.id);
        this.flushes.delete(m.id);
        if (f) (m.error ? f.reject(new Error(m.error)) : f.resolve());
        this.refWhileWaiting();
        break;
      }
      case 'error':
        this.onError(m.message);
        break;
      case 'closed':
        this.failFlushes(new Error('ledger closed'));
        break;
      case 'ready':
        break;
    }
  }

  /** keep the process alive while someone awaits the worker; otherwise let it exit */
  private refWhileWaiting(): void {
    if (!this.worker) return;
    if (this.flushes.size > 0 || this.closing) this.worker.ref();
    else this.worker.unref();
  }

  private failFlushes(err: Error): void {
    for (const f of this.flushes.values()) f.reject(err);
    this.flushes.clear();
  }
}

/**
 * The compiled worker (dist/) is plain JS. Run from sources (vitest, tsx) there is only the .ts
 * file, which a Worker cannot load by itself: boot it through tsx's loader API instead.
 */
function spawnIngestWorker(workerData: IngestWorkerData): Worker {
  // The worker needs no flags of the process (tsx is loaded explicitly below), and some refuse
  // to start a worker when inherited (--input-type of `node -e` scripts).
  const execArgv: string[] = [];
  // a larger young generation: the ingest allocates a record, its cells' keys and histograms per
  // line, and most of it dies within the pass; with the default, a sixth of the ingest went to
  // promoting and collecting it (bench:rollups, 20k → 23k records per CPU-second)
  const resourceLimits = { maxYoungGenerationSizeMb: 96 };
  const js = new URL('./ingest-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData, execArgv, resourceLimits });
  const ts = new URL('./ingest-worker.ts', import.meta.url);
  // tsx's ESM entry; require.resolve() finds the CommonJS twin next to it
  const tsxCjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsxApi = pathToFileURL(tsxCjs.replace(/\.cjs$/, '.mjs')).href;
  const boot =
    `import(${JSON.stringify(tsxApi)}).then((m) => m.tsImport(` +
    `${JSON.stringify(ts.href)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(boot, { eval: true, workerData, execArgv, resourceLimits });
}
