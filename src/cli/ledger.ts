// `tollgate ledger`: what each request cost, read straight from the data directory (the ledger
// store plus the journal lines not ingested yet, see ledger/read.ts), so it is exact even while the
// gateway is down. The filters are the stores' one filter model (stores/ledger-model.ts).

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { readLedger } from '../ledger/read.js';
import { MAX_QUERY_LIMIT } from '../stores/ledger.js';
import { formatLedgerSummary, formatLedgerTable } from '../ledger/format.js';
import { registerRollupCommand } from './ledger-rollup.js';

export const DEFAULT_DATA_DIR = './.tollgate';
const DEFAULT_LAST = 20;

export interface LedgerCommandOptions {
  last: number;
  json?: boolean;
  dataDir?: string;
  model?: string;
  route?: string;
  team?: string;
  since?: number;
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_QUERY_LIMIT) throw new InvalidArgumentError(`expected a whole number of requests from 1 to ${MAX_QUERY_LIMIT}`);
  return n;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "15m", "2h", "7d" (ago) or an ISO date/time; returns epoch milliseconds */
export function parseSince(value: string, now = Date.now()): number {
  const rel = /^(\d+(?:\.\d+)?)([smhd])$/.exec(value.trim());
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('expected a duration like 30s, 15m, 2h, 7d, or an ISO date such as 2026-11-25T09:00');
  return t;
}

export function dataDirFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? (env.TOLLGATE_DATA_DIR || DEFAULT_DATA_DIR));
}

/** Runs the command; returns the exit code. */
export function runLedgerCommand(opts: LedgerCommandOptions, io: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): number {
  const dataDir = dataDirFrom(opts.dataDir, env);
  if (!existsSync(dataDir)) {
    io.err(
      `No ledger at ${dataDir} yet.\n` +
        `Start the gateway (npm start, or tollgate serve) and send a request, or point to another data\n` +
        `directory with --data-dir DIR or TOLLGATE_DATA_DIR.\n`,
    );
    return 1;
  }
  let records;
  try {
    records = readLedger(dataDir, { last: opts.last, since: opts.since, model: opts.model, route: opts.route, team: opts.team });
  } catch (err) {
    io.err(`Could not read the ledger at ${dataDir}: ${(err as Error).message}\n`);
    return 1;
  }
  if (opts.json) {
    io.out(records.map((r) => JSON.stringify(r) + '\n').join(''));
    return 0;
  }
  if (records.length === 0) {
    io.out(`No requests recorded in ${dataDir}${opts.model || opts.route || opts.team || opts.since ? ' match these filters' : ' yet'}.\n`);
    return 0;
  }
  io.out(`${formatLedgerTable(records)}\n\n${formatLedgerSummary(records)}\n`);
  return 0;
}

export function registerLedgerCommand(program: Command, io: CliIo = processIo): void {
  const ledger = program
    .command('ledger')
    .description('show the most recent requests with their tokens, cost, latency and cache status (newest first)')
    .option('-n, --last <N>', `how many requests to show (at most ${MAX_QUERY_LIMIT})`, positiveInt, DEFAULT_LAST)
    .option('--json', 'print JSON lines, one full RequestRecord per line')
    .option('--data-dir <DIR>', `data directory (default: $TOLLGATE_DATA_DIR or ${DEFAULT_DATA_DIR})`)
    .option('--model <M>', 'only requests that asked for or were served by this model')
    .option('--route <R>', 'only requests on this route')
    .option('--team <T>', 'only requests of this team')
    .option('--since <WHEN>', 'only requests received since a duration ago (30s, 15m, 2h, 7d) or an ISO date', (v) => parseSince(v))
    .addHelpText(
      'after',
      `
Columns: IN counts all input tokens (cached included), CACHED those read from the provider's prompt
cache, OUT output tokens (~ = estimated with a tokenizer because the provider sent no usage).
OVERHEAD is the time the gateway itself added (total minus upstream time).

Examples:
  tollgate ledger --last 50
  tollgate ledger --model gpt-4o --since 1h
  tollgate ledger --json | jq .costUsd`,
    )
    .action((opts: LedgerCommandOptions) => {
      const code = runLedgerCommand(opts, io);
      if (code !== 0) process.exitCode = code;
    });
  registerRollupCommand(ledger, (flag) => dataDirFrom(flag), io, DEFAULT_DATA_DIR);
}
