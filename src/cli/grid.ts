// `tollgate grid`: a benchmark grid of prompts x models x settings through the gateway: by default
// an in-process gateway in front of the simulator (no key needed), or any gateway with --base-url.

import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { dataDirFrom, type CliIo } from './ledger.js';

const processIo: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export interface GridFlags {
  data?: string;
  models?: string[];
  json?: boolean;
  temperatures?: number[];
  maxTokens?: number[];
  limit?: number;
  baseUrl?: string;
  apiKeyEnv?: string;
  concurrency?: number;
  rpm?: number;
  judge?: string;
  judgeSample?: number;
  dataDir?: string;
  save?: boolean;
  simLatencyScale?: number;
  progress?: boolean;
}

function list<T>(name: string, parse: (s: string) => T) {
  return (v: string): T[] => {
    const out = v.split(',').map((s) => s.trim()).filter(Boolean).map(parse);
    if (!out.length) throw new InvalidArgumentError(`${name} takes a comma-separated list`);
    return out;
  };
}

function num(name: string, min: number, max = Infinity, int = false) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max || (int && !Number.isInteger(n))) throw new InvalidArgumentError(`${name} must be ${int ? 'a whole number' : 'a number'} from ${min}${max < Infinity ? ` to ${max}` : ''} (got '${v}')`);
    return n;
  };
}

export async function runGridCommand(f: GridFlags, io: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { runGrid, saveGridRun, loadGridItems, GridInputError } = await import('../forecast/grid.js');
  const { formatGrid } = await import('../forecast/format.js');
  if (!f.data || !f.models?.length) {
    io.err('tollgate grid: --data FILE (or arena-hard, mt-bench, mmlu) and --models a,b are required\n');
    return 2;
  }
  let items;
  try {
    items = loadGridItems(f.data, env.TOLLGATE_SHARED_DATA ?? resolve('../shared/data'), f.limit ?? 20);
  } catch (err) {
    if (err instanceof GridInputError) {
      io.err(`tollgate grid: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (!items.length) {
    io.err(`tollgate grid: no prompts in ${f.data}\n`);
    return 2;
  }
  let apiKey: string | undefined;
  if (f.baseUrl && f.apiKeyEnv) {
    apiKey = env[f.apiKeyEnv];
    if (!apiKey) {
      io.err(`tollgate grid: environment variable ${f.apiKeyEnv} is not set\n`);
      return 2;
    }
  }
  let stop: (() => Promise<void>) | undefined;
  let baseUrl = f.baseUrl;
  if (!baseUrl) {
    const local = await startLocalGateway(f.simLatencyScale ?? 1);
    baseUrl = `${local.url}/v1`;
    apiKey = 'tg_grid_local';
    stop = local.close;
  }
  const bar = f.progress !== false && !f.json && process.stderr.isTTY ? await progressBar() : undefined;
  try {
    const run = await runGrid({
      items,
      models: f.models,
      temperatures: f.temperatures ?? [0],
      maxTokens: f.maxTokens ?? [512],
      baseUrl,
      apiKey,
      concurrency: f.concurrency ?? 4,
      requestsPerMinute: f.rpm,
      judge: f.judge ? { model: f.judge, sample: f.judgeSample ?? 0.2 } : undefined,
      onProgress: bar?.update,
    });
    bar?.stop();
    let savedTo: string | undefined;
    if (f.save !== false) savedTo = saveGridRun(dataDirFrom(f.dataDir, env), run);
    io.out(f.json ? JSON.stringify({ ...run, savedTo }, null, 2) + '\n' : `${formatGrid(run)}${savedTo ? `\nSaved: ${savedTo}` : ''}\n`);
    return 0;
  } finally {
    bar?.stop();
    await stop?.();
  }
}

/** the simulator and a gateway in front of it, in this process, on free loopback ports */
async function startLocalGateway(latencyScale: number): Promise<{ url: string; close: () => Promise<void> }> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { startSimulator } = await import('../sim/index.js');
  const { startGateway } = await import('../server/gateway.js');
  const { resolveConfig } = await import('../config/load.js');
  const { demoConfig } = await import('../config/demo.js');
  const sim = await startSimulator({ port: 0, latencyScale, seed: 42 });
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-grid-'));
  const gw = await startGateway({ config: resolveConfig(demoConfig({ simUrl: sim.url, port: 0, dataDir, levers: false }), '(grid)', {}), port: 0 });
  return {
    url: gw.url,
    async close() {
      await gw.close();
      await sim.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function progressBar(): Promise<{ update: (done: number, total: number, costUsd: number) => void; stop: () => void }> {
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  const bar = new SingleBar({ format: 'grid |{bar}| {value}/{total} calls | spent ${cost}', hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
  let started = false;
  return {
    update(done, total, costUsd) {
      if (!started) {
        bar.start(total, 0, { cost: '0.0000' });
        started = true;
      }
      bar.update(done, { cost: costUsd.toFixed(4) });
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}

export function registerGridCommand(program: Command, io: CliIo = processIo): void {
  program
    .command('grid')
    .description('benchmark grid: prompts x models x temperatures x max tokens through the gateway (latency, TTFT, cost, quality, Pareto frontier)')
    .option('--data <FILE>', 'prompts: a JSONL or CSV file, or arena-hard, mt-bench, mmlu (from ../shared/data or $TOLLGATE_SHARED_DATA)')
    .option('--models <a,b>', 'candidate models (names the gateway serves)', list('--models', (s) => s))
    .option('--json', 'print the run as JSON')
    .option('--temperatures <t1,t2>', 'temperatures to try (default 0)', list('--temperatures', num('--temperatures', 0, 2)))
    .option('--max-tokens <n1,n2>', 'max-token settings to try (default 512)', list('--max-tokens', num('--max-tokens', 1, 1_000_000, true)))
    .option('--limit <N>', 'prompts from the data set (default 20)', num('--limit', 1, 100_000, true))
    .option('--base-url <URL>', 'a running gateway or OpenAI-compatible endpoint (default: an in-process gateway + simulator)')
    .option('--api-key-env <VAR>', 'environment variable holding the key for --base-url')
    .option('--concurrency <N>', 'calls in flight (default 4)', num('--concurrency', 1, 256, true))
    .option('--rpm <N>', 'at most N requests a minute per model', num('--rpm', 1, 1_000_000, true))
    .option('--judge <MODEL>', 'score sampled answers without a reference with this model (1-5 rubric)')
    .option('--judge-sample <F>', 'share of answers the judge scores (default 0.2)', num('--judge-sample', 0, 1))
    .option('--data-dir <DIR>', 'where runs are saved (<dir>/grid/<id>.json; default $TOLLGATE_DATA_DIR or ./.tollgate)')
    .option('--no-save', 'do not save the run')
    .option('--sim-latency-scale <X>', 'the in-process simulator: multiplier on its delays (default 1, realistic)', num('--sim-latency-scale', 0))
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      `
Examples:
  tollgate grid --data mmlu --models gpt-4o,gpt-4o-mini,claude-3-5-haiku --temperatures 0,0.7 --judge gpt-4o
  tollgate grid --data prompts.jsonl --models gpt-4o-mini --base-url http://127.0.0.1:8787/v1 --api-key-env TOLLGATE_KEY --json`,
    )
    .action(async (opts: GridFlags) => {
      const code = await runGridCommand(opts, io);
      if (code !== 0) process.exitCode = code;
    });
}
