// The ingest worker: owns the SQLite connection so no database work ever runs on the gateway's
// event loop. Polls the journal every pollMs, and on demand when the ledger asks for a flush.

import { parentPort, workerData } from 'node:worker_threads';
import { Ingester } from './ingest.js';
import { openLedgerDb } from '../store/ledger-db.js';

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

const db = openLedgerDb(dataDir);
const ingester = new Ingester(dataDir, db, { chunkBytes });
const start = ingester.position();
post({ type: 'ready', ...start });

let failing = false;
let timer: NodeJS.Timeout | null = null;

/** one pass; returns an error message instead of throwing (a full disk must not kill the worker) */
function pass(): string | undefined {
  try {
    ingester.runPass(({ state, inserted }) => post({ type: 'progress', ...state, inserted }));
    failing = false;
    return undefined;
  } catch (err) {
    const message = `ledger ingest failed: ${(err as Error).message}; records stay in the journal and are retried`;
    if (!failing) post({ type: 'error', message });
    failing = true;
    return message;
  }
}

function schedule(): void {
  timer = setTimeout(() => {
    pass();
    schedule();
  }, pollMs);
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'flush') {
    post({ type: 'flushed', id: m.id, error: pass() });
  } else if (m.type === 'close') {
    if (timer) clearTimeout(timer);
    pass();
    db.close();
    post({ type: 'closed' });
    port.close();
  }
});

pass();
schedule();
