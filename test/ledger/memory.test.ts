// Bounded memory under backpressure: the queue is the journal on disk, so a stalled ingester
// grows the journal, not the heap.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tempDataDir } from './fixtures.js';

const child = fileURLToPath(new URL('./child-memory.ts', import.meta.url));

describe('ledger memory under backlog', () => {
  it('appending 100k records while the ingester is idle does not grow the heap', async () => {
    const dataDir = tempDataDir('tollgate-mem-');
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', child, dataDir], {
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      at10k: number;
      at100k: number;
      backlog: { appended: number; stored: number; pendingBytes: number; dropped: number };
      after: { stored: number; pendingBytes: number };
    };
    // 90k more records of ~1.3 kB each would be > 110 MB if anything held them
    expect(r.backlog.appended).toBe(100_000);
    expect(r.backlog.stored).toBe(0);
    expect(r.backlog.pendingBytes).toBeGreaterThan(100_000_000);
    expect(r.at100k - r.at10k).toBeLessThan(8 * 1024 * 1024);
    // and the backlog drains completely
    expect(r.after).toMatchObject({ stored: 100_000, pendingBytes: 0 });
  }, 120_000);
});
