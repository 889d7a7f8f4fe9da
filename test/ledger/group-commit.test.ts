// appendThen: the records of one event-loop turn go to the journal in one write, and each
// callback runs only once its record is in the journal file (what the gateway waits for before
// ending a response).

import { afterEach, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openLedger, type Ledger } from '../../src/ledger/ledger.js';
import { readLedger } from '../../src/ledger/read.js';
import { makeRecord, tempDataDir } from './fixtures.js';

const open: Ledger[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
});

function journalText(dir: string): string {
  const jdir = join(dir, 'ledger');
  return readdirSync(jdir)
    .filter((f) => f.startsWith('journal-'))
    .map((f) => readFileSync(join(jdir, f), 'utf8'))
    .join('');
}

it('callbacks run after their records are in the journal, one group per turn', async () => {
  const dir = tempDataDir();
  const ledger = await openLedger({ dataDir: dir, onError: () => {} });
  open.push(ledger);
  const seenAtCallback: boolean[] = [];
  const done = Array.from(
    { length: 50 },
    (_, i) =>
      new Promise<void>((resolve) =>
        ledger.appendThen(makeRecord(i), () => {
          seenAtCallback.push(journalText(dir).includes(makeRecord(i).requestId));
          resolve();
        }),
      ),
  );
  // nothing is written until the turn ends
  expect(journalText(dir)).toBe('');
  await Promise.all(done);
  expect(seenAtCallback).toHaveLength(50);
  expect(seenAtCallback.every(Boolean)).toBe(true);
  expect(ledger.stats().appended).toBe(50);
  await ledger.flush();
  expect(readLedger(dir, {}).length).toBe(50);
});

it('flush() commits a pending group first', async () => {
  const dir = tempDataDir();
  const ledger = await openLedger({ dataDir: dir, onError: () => {} });
  open.push(ledger);
  let called = false;
  ledger.appendThen(makeRecord(1), () => (called = true));
  await ledger.flush();
  expect(called).toBe(true);
  expect(readLedger(dir, {}).map((r) => r.requestId)).toEqual([makeRecord(1).requestId]);
});
