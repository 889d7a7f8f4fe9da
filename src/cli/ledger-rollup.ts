// `tollgate ledger rollup [--rebuild]`: the rollups the admin query API, the dashboard and the
// report read. Without --rebuild it finishes a rebuild the gateway has not finished yet (a ledger
// from before the rollups existed) and says where things stand; with --rebuild it forgets every
// cell and rolls every stored record up again. It takes the data directory's writer lock, so it
// runs only while no gateway writes there.

import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { acquireWriterLock } from '../ledger/journal.js';
import type { CliIo, DEFAULT_DATA_DIR } from './ledger.js';

export interface RollupCommandOptions {
  rebuild?: boolean;
  dataDir?: string;
}

export async function runRollupCommand(dataDir: string, opts: RollupCommandOptions, io: CliIo): Promise<number> {
  if (!existsSync(dataDir)) {
    io.err(`No ledger at ${dataDir}; nothing to roll up.\n`);
    return 1;
  }
  let release: () => void;
  try {
    release = acquireWriterLock(dataDir);
  } catch (err) {
    io.err(`${(err as Error).message}\nStop the gateway first: the rollups are rebuilt by the data directory's one writer.\n`);
    return 1;
  }
  const { SqliteLedgerStore } = await import('../stores/sqlite/ledger-store.js');
  const store = SqliteLedgerStore.open(dataDir);
  try {
    const rollups = store.rollups;
    store.flushRollups();
    if (opts.rebuild) rollups.resetForRebuild();
    const total = rollups.rebuildRemaining();
    const started = performance.now();
    let done = 0;
    let lastReport = 0;
    while (rollups.rebuildRemaining() > 0) {
      done += rollups.rebuildStep();
      const t = performance.now();
      if (t - lastReport > 1000) {
        lastReport = t;
        io.err(`rolled up ${done.toLocaleString('en-US')} of ~${total.toLocaleString('en-US')} records\n`);
      }
    }
    const s = (performance.now() - started) / 1000;
    if (total === 0 && !opts.rebuild) io.out(`The rollups in ${dataDir} are up to date.\n`);
    else io.out(`Rolled up ${done.toLocaleString('en-US')} records in ${s.toFixed(1)} s (${Math.round(done / Math.max(s, 1e-3)).toLocaleString('en-US')} records/s).\n`);
    return 0;
  } finally {
    store.close();
    release();
  }
}

export function registerRollupCommand(ledger: Command, dataDirOf: (flag: string | undefined) => string, io: CliIo, defaultDir: typeof DEFAULT_DATA_DIR): void {
  ledger
    .command('rollup')
    .description('finish or redo the rollups behind the admin query API, the dashboard and the report (stop the gateway first)')
    .option('--rebuild', 'forget every rollup cell and roll every stored record up again')
    .option('--data-dir <DIR>', `data directory (default: $TOLLGATE_DATA_DIR or ${defaultDir})`)
    .action(async (_opts: RollupCommandOptions, cmd: Command) => {
      // `--data-dir` is also an option of `tollgate ledger`, which takes it first
      const opts = cmd.optsWithGlobals<RollupCommandOptions>();
      const code = await runRollupCommand(dataDirOf(opts.dataDir), opts, io);
      if (code !== 0) process.exitCode = code;
    });
}
