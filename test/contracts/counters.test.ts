// Runs the counter store contract for every implementation, then two processes on one SQLite file.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryCounterStore } from '../../src/stores/memory/counter-store.js';
import { SqliteCounterStore } from '../../src/stores/sqlite/counter-store.js';
import { tempDataDir } from '../ledger/fixtures.js';
import { counterContract } from './counters.contract.js';
import Database from 'better-sqlite3';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDataDir('tollgate-counters-');
  dirs.push(d);
  return d;
}

counterContract('memory', (now) => new MemoryCounterStore({ now }));
counterContract('sqlite', (now) => SqliteCounterStore.inDataDir(dir(), { now }));

describe('SQLite counters: two connections on one file', () => {
  it('interleaved reserve/commit from two connections in one process never pass the limit', async () => {
    const d = dir();
    const a = SqliteCounterStore.inDataDir(d);
    const b = SqliteCounterStore.inDataDir(d);
    const W = { kind: 'fixed', ms: 3_600_000 } as const;
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => Promise.resolve().then(() => (i % 2 ? a : b).reserve('k', 7, 200, W))),
    );
    const granted = results.filter((r) => r !== null);
    expect(granted.length).toBe(28); // floor(200 / 7)
    // a reservation made on one connection is settled on the other, once
    await Promise.all(granted.map((r, i) => Promise.resolve().then(() => (i % 2 ? b : a).commit(r!, 5))));
    expect(a.get('k', W)).toBe(140);
    expect(b.commit(granted[0]!, 1)).toBe(140);
    a.close();
    b.close();
  });

  it('two processes reserving and settling at full speed on one file: the total never passes the limit', async () => {
    const file = join(dir(), 'counters.db');
    new SqliteCounterStore(file).close(); // create and migrate before both start
    const child = fileURLToPath(new URL('./counter-child.ts', import.meta.url));
    const limit = 3000;
    const procs = [0, 1].map(() => spawn(process.execPath, ['--import', 'tsx', child, file, String(limit), '4000'], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const outputs = procs.map(
      (p) =>
        new Promise<string[]>((resolve, reject) => {
          let buf = '';
          p.stdout.setEncoding('utf8');
          p.stdout.on('data', (c: string) => (buf += c));
          p.on('error', reject);
          p.on('close', () => resolve(buf.trim().split('\n')));
        }),
    );
    // start both together, once both are ready
    await Promise.all(procs.map((p) => new Promise<void>((r) => p.stdout.once('data', () => r()))));
    for (const p of procs) p.stdin.end('go\n');
    const results = (await Promise.all(outputs)).map((lines) => JSON.parse(lines[lines.length - 1]!) as { granted: number; committed: number; maxSeen: number });
    const s = new SqliteCounterStore(file);
    const final = s.get('shared', { kind: 'total' });
    s.close();
    for (const r of results) {
      expect(r.granted).toBeGreaterThan(0); // both really took part
      expect(r.maxSeen).toBeLessThanOrEqual(limit);
    }
    // every reservation was settled: what is left is exactly what the two committed
    expect(final).toBe(results[0]!.committed + results[1]!.committed);
    expect(final).toBeLessThanOrEqual(limit);
    // demand (8000 reservations of 3, most settled at 2) far exceeded the limit: some were refused
    expect(results[0]!.granted + results[1]!.granted).toBeLessThan(8000);
  }, 180_000);
});

describe('SQLite counters: bounded on disk', () => {
  it('rows and reservations of windows that passed are swept by later writes, total counters stay', () => {
    const d = dir();
    let t = Date.UTC(2026, 11, 3, 9, 0, 0);
    const s = SqliteCounterStore.inDataDir(d, { now: () => t });
    const MIN = { kind: 'fixed', ms: 60_000 } as const;
    for (let i = 0; i < 200; i++) {
      s.incrementBy(`user:${i}`, 1, MIN); // touched once, never again
      s.reserve(`ip:${i}`, 1, 10, { kind: 'sliding', ms: 60_000 }); // never settled
    }
    s.incrementBy('budget:2026-12', 5, { kind: 'total' });
    const count = () => {
      const db = new Database(join(d, 'counters.db'), { readonly: true });
      const n = db.prepare('SELECT (SELECT COUNT(*) FROM counters) + (SELECT COUNT(*) FROM counter_reservations)').pluck().get() as number;
      db.close();
      return n;
    };
    expect(count()).toBe(200 + 200 + 200 + 1);
    t += 3 * 60_000; // every window above has passed
    for (let i = 0; i < 60; i++) s.incrementBy('live', 1, MIN);
    expect(count()).toBe(2); // the live counter and the total one
    expect(s.get('budget:2026-12', { kind: 'total' })).toBe(5);
    s.close();
  });
});
