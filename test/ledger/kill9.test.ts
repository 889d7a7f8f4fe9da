// A record of a completed request survives kill -9: a child appends as fast as it can while this
// test kills it with SIGKILL at a random point; every id it reported as appended must be there.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openLedger } from '../../src/ledger/ledger.js';
import { readWholeLedger, tempDataDir } from './fixtures.js';

const child = fileURLToPath(new URL('./child-append.ts', import.meta.url));

/** run the child until it has reported `killAfter` ids, SIGKILL it, return every id it reported */
function appendUntilKilled(dataDir: string, killAfter: number): Promise<{ reported: string[]; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    const reported: string[] = [];
    let killed = false;
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) if (l.startsWith('req_')) reported.push(l);
      if (!killed && reported.length >= killAfter) {
        killed = true;
        p.kill('SIGKILL');
      }
    });
    p.on('error', reject);
    p.on('close', (_code, signal) => {
      // a partial last line is an id whose report was cut: not counted as reported
      resolve({ reported, signal });
    });
  });
}

describe('ledger survives kill -9', () => {
  it.each([1, 2, 3])('run %i: every record reported as appended is recovered', async () => {
    const dataDir = tempDataDir('tollgate-kill9-');
    const killAfter = 2_000 + Math.floor(Math.random() * 18_000);
    const { reported, signal } = await appendUntilKilled(dataDir, killAfter);
    expect(signal).toBe('SIGKILL');
    expect(reported.length).toBeGreaterThanOrEqual(killAfter);

    // with the gateway down, the reader already sees everything (store + journal)
    const seen = new Set(readWholeLedger(dataDir).map((r) => r.requestId));
    const missing = reported.filter((id) => !seen.has(id));
    expect(missing).toEqual([]);

    // a restarted ledger ingests the rest; nothing lost, nothing twice
    const ledger = await openLedger({ dataDir, onError: () => {} });
    await ledger.flush();
    const after = readWholeLedger(dataDir);
    expect(new Set(after.map((r) => r.requestId)).size).toBe(after.length);
    const stored = new Set(after.map((r) => r.requestId));
    expect(reported.filter((id) => !stored.has(id))).toEqual([]);
    expect(ledger.stats().pendingBytes).toBe(0);
    await ledger.close();
  });
});
