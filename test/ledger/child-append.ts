// Child process for the kill -9 test: appends records as fast as it can and reports each id on
// stdout (one synchronous write per id) only after append() has returned.
import { writeSync } from 'node:fs';
import { openLedger } from '../../src/ledger/ledger.js';
import { makeRecord } from './fixtures.js';

const dataDir = process.argv[2]!;
const ledger = await openLedger({ dataDir, pollMs: 5, segmentBytes: 64 * 1024 });
writeSync(1, 'ready\n');
let i = 0;
function burst(): void {
  let out = '';
  for (let k = 0; k < 50; k++, i++) {
    const rec = makeRecord(i);
    ledger.append(rec);
    out += rec.requestId + '\n';
  }
  writeSync(1, out);
  setImmediate(burst); // let the ledger's worker messages through, like a server between requests
}
burst();
