// Child process for the bounded-memory test (needs --expose-gc): appends 100k records while the
// ingester is idle, and prints the heap after the first 10k and after all 100k.
import { openLedger } from '../../src/ledger/ledger.js';
import { makeRecord } from './fixtures.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const dataDir = process.argv[2]!;
// pollMs of an hour: after its first pass the ingester does nothing until flush()
const ledger = await openLedger({ dataDir, pollMs: 3_600_000 });
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
let i = 0;
for (; i < 10_000; i++) ledger.append(makeRecord(i, { errorMessage: 'x'.repeat(500) }));
const at10k = heap();
for (; i < 100_000; i++) ledger.append(makeRecord(i, { errorMessage: 'x'.repeat(500) }));
const at100k = heap();
const backlog = ledger.stats();
await ledger.flush();
const after = ledger.stats();
await ledger.close();
process.stdout.write(JSON.stringify({ at10k, at100k, backlog, after }) + '\n');
