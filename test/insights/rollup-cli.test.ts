// `tollgate ledger rollup [--rebuild]` and the automatic rebuild: a data directory written before
// the rollups existed gets them (from the ingest worker by itself, or the command), with the same
// totals as its records; the command refuses to run beside a live writer.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { openLedger } from '../../src/ledger/ledger.js';
import { registerLedgerCommand } from '../../src/cli/ledger.js';
import { ledgerDbPath } from '../../src/stores/sqlite/ledger-db.js';
import { SqliteLedgerStore } from '../../src/stores/sqlite/ledger-store.js';
import { get } from '../../src/insights/rollup-model.js';
import { makeRecord, tempDataDir } from '../ledger/fixtures.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const program = new Command('tollgate').exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerLedgerCommand(program, { out: (s) => (out += s), err: (s) => (err += s) });
  await program.parseAsync(args, { from: 'user' });
  return { out, err };
}

/** a data directory whose ledger.db has N records and no rollups, as the release before wrote it */
async function oldDataDir(n: number): Promise<string> {
  const dir = tempDataDir('tollgate-rollup-cli-');
  dirs.push(dir);
  const ledger = await openLedger({ dataDir: dir, onError: () => {} });
  for (let i = 0; i < n; i++) ledger.append(makeRecord(i));
  await ledger.close();
  const db = new Database(ledgerDbPath(dir));
  db.exec('DROP TABLE rollup_minute; DROP TABLE rollup_hour; DROP TABLE rollup_day; DROP TABLE rollup_pending_writes; DROP TABLE rollup_meta; UPDATE schema_version SET version = 2;');
  db.close();
  return dir;
}

function totals(dir: string): { requests: number; cost: number } {
  const s = SqliteLedgerStore.openReadOnly(dir)!;
  const rows = s.rollups.read({ grain: 'hour', from: 0, to: 4e12, filters: {}, bucketMs: 0, parts: 'sums' });
  s.close();
  return rows.length ? { requests: get(rows[0]!.cell, 'requests'), cost: get(rows[0]!.cell, 'costUsd') } : { requests: 0, cost: 0 };
}

describe('rollups for a ledger written before them', () => {
  it('the ingest worker rebuilds them by itself', async () => {
    const dir = await oldDataDir(300);
    const ledger = await openLedger({ dataDir: dir, onError: () => {} });
    ledger.append(makeRecord(1000));
    await ledger.flush();
    // one rebuild step per pass: flush until the rebuild has caught up
    for (let i = 0; i < 5 && totals(dir).requests < 301; i++) await ledger.flush();
    await ledger.close();
    expect(totals(dir).requests).toBe(301);
    expect(totals(dir).cost).toBeCloseTo(301 * 0.0058, 9);
  });

  it('tollgate ledger rollup finishes it; --rebuild does it again from the records; a live writer is refused', async () => {
    const dir = await oldDataDir(120);
    const first = await run(['ledger', 'rollup', '--data-dir', dir]);
    expect(first.out).toMatch(/Rolled up 120 records/);
    expect(totals(dir).requests).toBe(120);
    expect((await run(['ledger', 'rollup', '--data-dir', dir])).out).toMatch(/up to date/);
    const again = await run(['ledger', 'rollup', '--rebuild', '--data-dir', dir]);
    expect(again.out).toMatch(/Rolled up 120 records/);
    expect(totals(dir).requests).toBe(120);
    const ledger = await openLedger({ dataDir: dir, onError: () => {} });
    try {
      const busy = await run(['ledger', 'rollup', '--rebuild', '--data-dir', dir]);
      expect(busy.err).toMatch(/Stop the gateway first/);
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = 0;
      await ledger.close();
    }
  });
});
