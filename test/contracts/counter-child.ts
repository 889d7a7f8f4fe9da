// A second process on the same counters.db (the counters test): waits for "go" on stdin, then
// reserves and settles as fast as it can, checking after each step that the value is within the
// limit; prints what it got as one JSON line.
import { SqliteCounterStore } from '../../src/stores/sqlite/counter-store.js';

const [file, limitArg, attemptsArg] = process.argv.slice(2);
const limit = Number(limitArg);
const attempts = Number(attemptsArg);
const s = new SqliteCounterStore(file!);
const W = { kind: 'total' } as const;
process.stdout.write('ready\n');
process.stdin.once('data', () => {
  let granted = 0;
  let committed = 0;
  let maxSeen = 0;
  for (let i = 0; i < attempts; i++) {
    const r = s.reserve('shared', 3, limit, W);
    if (r) {
      granted++;
      if (i % 4 === 0) s.release(r);
      else {
        s.commit(r, 2);
        committed += 2;
      }
    }
    maxSeen = Math.max(maxSeen, s.get('shared', W));
  }
  s.close();
  process.stdout.write(JSON.stringify({ granted, committed, maxSeen }) + '\n');
  process.exit(0);
});
