// The ingest worker: owns the ledger store's connection so no database work ever runs on the
// gateway's event loop. Polls the journal every pollMs, and on demand when the ledger asks for a flush.

import { parentPort, workerData } from 'node:worker_threads';
import { Ingester } from './ingest.js';
import { SqliteLedgerStore } from '../stores/sqlite/ledger-store.js';

export interface IngestWorkerData {
  dataDir: string;
  pollMs: number;
  chunkBytes: number;
}

export type ToWorker = { type: 'flush'; id: number } | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; segment: number; offset: number; corrupt: number }
  | { type: 'progress'; segment: number; offset: number; corrupt: number; inserted: number }
  | { type: 'flushed'; id: number; error?: string }
  | { type: 'error'; message: string }
  | { type: 'closed' };

const port = parentPort;
if (!port) throw new Error('ingest-worker must run as a worker thread');
const { dataDir, pollMs, chunkBytes } = workerData as IngestWorkerData;
const post = (m: FromWorker): void => port.postMessage(m);

const store = SqliteLedgerStore.open(dataDir);
const ingester = await Ingester.open(dataDir, store, { chunkBytes });
const start = ingester.position();
post({ type: 'ready', ...start });

let failing = false;
let timer: NodeJS.Timeout | null = null;
/** passes run one after another: a flush or close waits for the pass in progress */
let passes: Promise<unknown> = Promise.resolve();

/** one pass; resolves to an error message instead of throwing (a full disk must not kill the worker) */
function pass(): Promise<string | undefined> {
  const run = passes.then(async () => {
    try {
      await ingester.runPass(({ state, inserted }) => post({ type: 'progress', ...state, inserted }));
      // the rollups of this pass's records, then, for records stored before the rollups existed,
      // one bounded rebuild step per pass, so flushes and new records never wait for a whole rebuild
      store.flushRollups();
      if (store.rollups.rebuildRemaining() > 0) store.rollups.rebuildStep();
      failing = false;
      return undefined;
    } catch (err) {
      const message = `ledger ingest failed: ${(err as Error).message}; records stay in the journal and are retried`;
      if (!failing) post({ type: 'error', message });
      failing = true;
      return message;
    }
  });
  passes = run;
  return run;
}

let closing = false;
function schedule(): void {
  const soon = store.rollups.rebuildRemaining() > 0;
  timer = setTimeout(() => {
    void pass().then(() => {
      if (!closing) schedule();
    });
  }, soon ? 0 : pollMs);
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'flush') {
    void pass().then((error) => post({ type: 'flushed', id: m.id, error }));
  } else if (m.type === 'close') {
    closing = true;
    if (timer) clearTimeout(timer);
    void pass().then(async () => {
      await store.close();
      post({ type: 'closed' });
      port.close();
    });
  }
});

void pass().then(() => {
  if (!closing) schedule();
});
