import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Command } from 'commander';
import { openLedger } from '../../src/ledger/ledger.js';
import { registerLedgerCommand, runLedgerCommand, parseSince } from '../../src/cli/ledger.js';
import { formatMs, formatUsd } from '../../src/ledger/format.js';
import { makeRecord, tempDataDir } from './fixtures.js';

async function run(args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const program = new Command('tollgate').exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerLedgerCommand(program, { out: (s) => (out += s), err: (s) => (err += s) });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('commander.') !== true) throw e;
  }
  return { out, err };
}

async function filledDataDir(n: number): Promise<string> {
  const dir = tempDataDir('tollgate-cli-');
  const ledger = await openLedger({ dataDir: dir, onError: () => {} });
  for (let i = 0; i < n; i++) ledger.append(makeRecord(i));
  ledger.append(
    makeRecord(n, {
      requestedModel: 'claude-sonnet-4',
      model: 'claude-sonnet-4',
      status: 'error',
      httpStatus: 429,
      errorClass: 'rate_limit',
      costUsd: 0,
      usage: { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 },
    }),
  );
  await ledger.flush();
  ledger.append(makeRecord(n + 1, { costUsd: 1.5, usage: { input: 10, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 7, reasoning: 0, estimated: true } })); // still in the journal
  await ledger.close();
  return dir;
}

describe('tollgate ledger', () => {
  it('prints an aligned table of the last N requests, newest first', async () => {
    const dir = await filledDataDir(30);
    const { out, err } = await run(['ledger', '--data-dir', dir, '--last', '5']);
    expect(err).toBe('');
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+REQUEST ID\s+MODEL \(ASKED→SERVED\)\s+STATUS\s+IN\s+CACHED\s+OUT\s+COST\s+LATENCY\s+TTFT\s+OVERHEAD\s+CACHE$/);
    const rows = lines.slice(1, 6);
    expect(rows.map((l) => l.split(/\s+/)[2])).toEqual(['req_00000031', 'req_00000030', 'req_00000029', 'req_00000028', 'req_00000027']);
    expect(rows[0]).toContain('$1.5000');
    expect(rows[0]).toMatch(/\s7~\s/); // estimated output tokens are marked
    expect(rows[1]).toContain('claude-sonnet-4');
    expect(rows[1]).toContain('error 429 rate_limit');
    expect(rows[4]).toContain('gpt-4o→gpt-4o-mini'); // 27 % 3 === 0: routed to the cheap model
    expect(rows[2]).toMatch(/2224\s+1024\s+256\s+\$0\.005800/); // in (cached included) / cached / out / cost
    expect(rows[2]).toContain('0.60 ms'); // overhead, sub-millisecond
    // columns line up: every row has the COST column ending at the same place as its header
    const costEnd = lines[0]!.indexOf('COST') + 'COST'.length;
    for (const r of rows) expect(r.slice(0, costEnd)).toMatch(/\$[\d.]+$/);
    expect(lines.at(-1)).toMatch(/^5 requests \(newest first\), cost \$1\.5\d+, 1 not ok$/);
  });

  it('--json prints one full record per line; filters apply', async () => {
    const dir = await filledDataDir(12);
    const { out } = await run(['ledger', '--data-dir', dir, '--json', '--team', 'search', '--route', 'cheap']);
    const recs = out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(recs.map((r) => r.requestId)).toEqual(['req_00000012', 'req_00000006', 'req_00000000']);
    expect(recs[1]).toEqual(JSON.parse(JSON.stringify(makeRecord(6))));
    expect(recs[0]).toMatchObject({ status: "error", httpStatus: 429, errorClass: "rate_limit" });
    const { out: byModel } = await run(['ledger', '--data-dir', dir, '--json', '--model', 'claude-sonnet-4']);
    expect(byModel.trimEnd().split('\n').length).toBe(1);
  });

  it('uses TOLLGATE_DATA_DIR, and says so kindly when there is no ledger', async () => {
    const dir = await filledDataDir(3);
    let out = '';
    let err = '';
    const io = { out: (s: string) => (out += s), err: (s: string) => (err += s) };
    expect(runLedgerCommand({ last: 2, json: true }, io, { TOLLGATE_DATA_DIR: dir })).toBe(0);
    expect(out.trimEnd().split('\n').length).toBe(2);
    const missing = join(dir, 'nope');
    expect(runLedgerCommand({ last: 2 }, io, { TOLLGATE_DATA_DIR: missing })).toBe(1);
    expect(err).toContain(`No ledger at ${missing} yet`);
    out = '';
    expect(runLedgerCommand({ last: 2, model: 'nothing-like-this' }, io, { TOLLGATE_DATA_DIR: dir })).toBe(0);
    expect(out).toMatch(/No requests recorded .* match these filters/);
  });

  it('rejects a bad --last and a bad --since with a clear message, and has --help', async () => {
    const dir = tempDataDir('tollgate-cli-');
    expect((await run(['ledger', '--data-dir', dir, '--last', '0'])).err).toMatch(/--last.*whole number/);
    // reads are bounded: more than one page's worth is refused, not loaded
    expect((await run(['ledger', '--data-dir', dir, '--last', '10001'])).err).toMatch(/--last.*from 1 to 10000/);
    expect((await run(['ledger', '--data-dir', dir, '--since', 'yesterday-ish'])).err).toMatch(/duration like 30s/);
    const help = (await run(['ledger', '--help'])).out;
    for (const flag of ['--last <N>', '--json', '--data-dir <DIR>', '--model <M>', '--route <R>', '--team <T>', '--since <WHEN>']) {
      expect(help).toContain(flag);
    }
  });

  it('parses --since and formats money and time for people', () => {
    const now = 1_760_000_000_000;
    expect(parseSince('15m', now)).toBe(now - 15 * 60_000);
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('2026-01-02T03:04:05Z', now)).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(formatUsd(0.0000123)).toBe('$0.000012');
    expect(formatUsd(12.5)).toBe('$12.5000');
    expect(formatUsd(0)).toBe('$0');
    expect(formatMs(0.213)).toBe('0.21 ms');
    expect(formatMs(423.7)).toBe('424 ms');
    expect(formatMs(12_345)).toBe('12.3 s');
    expect(formatMs(undefined)).toBe('-');
  });
});
