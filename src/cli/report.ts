// `tollgate report --since 7d --out report.html [--pdf] [--json] [--data-dir DIR]`: the weekly
// report from the data directory's rollups (read in process, the admin query API's queries), as one
// self-contained HTML file, its PDF, and/or its numbers as JSON on stdout.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { InsightQuery } from '../insights/contract.js';
import { dataDirFrom, parseSince } from './ledger.js';

export interface ReportCommandOptions {
  since: string;
  until?: string;
  out?: string;
  pdf?: boolean;
  json?: boolean;
  dataDir?: string;
  route?: string;
  model?: string;
  team?: string;
  key?: string;
}

export interface ReportIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** a progress bar on stderr when it is a terminal */
  progress: boolean;
}

const DEFAULT_OUT = 'report.html';

/** Runs the command; returns the exit code. */
export async function runReportCommand(opts: ReportCommandOptions, io: ReportIo, env: NodeJS.ProcessEnv = process.env, now = Date.now()): Promise<number> {
  let from: number;
  let to: number;
  try {
    to = opts.until === undefined ? now : parseSince(opts.until, now);
    from = parseSince(opts.since, now);
  } catch (err) {
    io.err(`tollgate report: --since/--until: ${(err as Error).message}\n`);
    return 1;
  }
  if (!(from < to)) {
    io.err('tollgate report: --since must be before --until\n');
    return 1;
  }
  const query: InsightQuery = { from, to };
  for (const f of ['route', 'model', 'team', 'key'] as const) if (opts[f] !== undefined) query[f] = opts[f];
  const out = opts.out ?? (opts.json ? undefined : DEFAULT_OUT);
  if (opts.pdf && !out) {
    io.err('tollgate report: --pdf prints the HTML report: give --out FILE\n');
    return 1;
  }
  if (opts.pdf) {
    const { findChromium } = await import('../report/pdf.js');
    if (!findChromium(env)) {
      io.err('tollgate report: --pdf needs Chromium: install it (apt-get install chromium) or set TOLLGATE_CHROMIUM to its path\n');
      return 1;
    }
  }
  const dataDir = dataDirFrom(opts.dataDir, env);
  const { openDataDirSource } = await import('../report/source.js');
  const opened = existsSync(dataDir) ? await openDataDirSource(dataDir, () => now) : null;
  if (!opened) {
    io.err(`tollgate report: no ledger at ${dataDir} yet (start the gateway and send requests, or point --data-dir / TOLLGATE_DATA_DIR at one)\n`);
    return 1;
  }
  const [{ writeReport }, progress] = await Promise.all([import('../report/write.js'), io.progress ? import('cli-progress') : undefined]);
  const bar = progress
    ? new progress.SingleBar({ stream: process.stderr, format: 'report [{bar}] {value}/{total} {step}', hideCursor: true, clearOnComplete: true }, progress.Presets.shades_classic)
    : undefined;
  try {
    const written = await writeReport({
      source: opened.source,
      query,
      out: out && resolve(out),
      pdf: opts.pdf,
      now,
      onProgress: (done, total, step) => {
        if (!bar) return;
        if (done === 1) bar.start(total, 0, { step });
        bar.update(done, { step });
      },
    });
    bar?.stop();
    if (opts.json) io.out(`${JSON.stringify(written.data, null, 2)}\n`);
    const files = [written.htmlFile, written.pdfFile].filter((f): f is string => f !== undefined);
    if (files.length) io.err(`tollgate report: wrote ${files.join(' and ')} (${new Date(from).toISOString()} to ${new Date(to).toISOString()})\n`);
    return 0;
  } catch (err) {
    bar?.stop();
    io.err(`tollgate report: ${(err as Error).message}\n`);
    return 1;
  } finally {
    opened.close();
  }
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('the weekly report: latency, spend, cache, models, hidden costs and the savings waterfall, as one self-contained HTML file (and PDF, JSON)')
    .option('--since <when>', 'start: a span back from now (7d, 24h, 90m) or an ISO date', '7d')
    .option('--until <when>', 'end: a span back from now or an ISO date (default now)')
    .option('-o, --out <file>', `the HTML file (default ${DEFAULT_OUT}; none with --json alone)`)
    .option('--pdf', 'also print it to a PDF beside the HTML (report.html → report.pdf) with headless Chromium')
    .option('--json', 'print the numbers as JSON on stdout')
    .option('--data-dir <dir>', 'the gateway data directory (default $TOLLGATE_DATA_DIR or ./.tollgate)')
    .option('--route <route>', 'only this route')
    .option('--model <model>', 'only this model')
    .option('--team <team>', 'only this team')
    .option('--key <keyId>', 'only this key id')
    .action(async (opts: ReportCommandOptions) => {
      const code = await runReportCommand(opts, {
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
        progress: Boolean(process.stderr.isTTY),
      });
      process.exitCode = code;
    });
}
