// The query worker: a read-only connection to ledger.db answering rollup reads and ledger pages
// for the gateway's admin query API, so no SQLite read ever runs on the gateway's event loop.

import { parentPort, workerData } from 'node:worker_threads';
import { SqliteLedgerStore } from './ledger-store.js';
import { StoreInputError } from '../types.js';

export interface ReaderWorkerData {
  dataDir: string;
}
export type ReaderRequest = { id: number; op: 'read' | 'coverage' | 'query'; args: unknown[] };
export type ReaderReply = { id: number; value?: unknown; error?: string; input?: boolean };

const port = parentPort;
if (!port) throw new Error('insight-reader-worker must run as a worker thread');
const { dataDir } = workerData as ReaderWorkerData;
let store: SqliteLedgerStore | null = null;

function open(): SqliteLedgerStore | null {
  store ??= SqliteLedgerStore.openReadOnly(dataDir);
  return store;
}

port.on('message', (m: ReaderRequest | { op: 'close' }) => {
  if (m.op === 'close') {
    store?.close();
    port.close();
    return;
  }
  const { id, op, args } = m as ReaderRequest;
  try {
    const s = open();
    let value: unknown;
    if (op === 'read') value = s ? s.rollups.read(args[0] as never) : [];
    else if (op === 'coverage') value = s ? s.rollups.minuteCoverage() : null;
    else value = s ? s.query(args[0] as never, args[1] as never) : { records: [], position: { segment: 0, offset: 0, corrupt: 0 } };
    port.postMessage({ id, value } satisfies ReaderReply);
  } catch (err) {
    port.postMessage({ id, error: (err as Error).message, input: err instanceof StoreInputError } satisfies ReaderReply);
  }
});
port.postMessage({ id: 0, value: 'ready' } satisfies ReaderReply);
