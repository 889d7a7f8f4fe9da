// `tollgate calc`: what a workload costs a day and a month, from flags, a YAML scenario file or the
// ledger, priced from the versioned catalog. The flags build the same scenario object a file or
// POST /admin/calc gives (src/forecast/scenario.ts); flags win over the file field by field.

import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { parseSince, type CliIo } from './ledger.js';

const processIo: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export interface CalcFlags {
  requestsPerDay?: number;
  inputTokens?: number;
  outputTokens?: number;
  model?: string;
  days?: number;
  json?: boolean;
  scenario?: string;
  systemTokens?: number;
  toolsTokens?: number;
  contextTokens?: number;
  historyTokens?: number;
  userTokens?: number;
  growth?: number;
  mix?: { model: string; share: number }[];
  exactHit?: number;
  semanticHit?: number;
  promptCacheHit?: number;
  promptCacheTtl?: '5m' | '1h';
  batchShare?: number;
  trim?: Record<string, number>;
  retryRate?: number;
  price?: PriceFlag[];
  at?: string;
  baselineModel?: string;
  sensitivity?: number;
  fromLedger?: boolean;
  dataDir?: string;
  since?: number;
  selfHostGpus?: number;
  gpuType?: string;
  gpuHourly?: number;
  utilisation?: number;
  throughput?: number;
  staffMonthly?: number;
  mlStaff?: boolean;
  selfHostName?: string;
}

interface PriceFlag {
  model: string;
  input: number;
  output: number;
}

function number(name: string, opts: { min?: number; max?: number; int?: boolean } = {}) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max) || (opts.int && !Number.isInteger(n))) {
      const range = opts.max !== undefined ? ` from ${opts.min ?? 0} to ${opts.max}` : opts.min !== undefined ? ` >= ${opts.min}` : '';
      throw new InvalidArgumentError(`${name} must be ${opts.int ? 'a whole number' : 'a number'}${range} (got '${v}')`);
    }
    return n;
  };
}

/** "a=0.7,b=0.3" or "a=70,b=30" */
function parseMix(v: string): { model: string; share: number }[] {
  return v.split(',').map((part) => {
    const m = /^\s*([^=\s]+)\s*=\s*([\d.]+)\s*$/.exec(part);
    const share = m ? Number(m[2]) : NaN;
    if (!m || !(share > 0)) throw new InvalidArgumentError(`--mix takes model=share pairs separated by commas, e.g. claude-3-5-haiku=0.7,claude-sonnet-4=0.3 (got '${part}')`);
    return { model: m[1]!, share };
  });
}

/** "system=0.73,context=0.7" */
function parseTrim(v: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of v.split(',')) {
    const m = /^\s*(system|tools|context|history|user)\s*=\s*([\d.]+)\s*$/.exec(part);
    const f = m ? Number(m[2]) : NaN;
    if (!m || !(f >= 0 && f <= 1)) throw new InvalidArgumentError(`--trim takes component=fraction-removed pairs (components: system, tools, context, history, user; fractions 0..1), e.g. system=0.73 (got '${part}')`);
    out[m[1]!] = f;
  }
  return out;
}

/** "gpt-4o=2.5/10" (USD per 1M input / output tokens); repeatable */
function parsePrice(v: string, prev: PriceFlag[] = []): PriceFlag[] {
  const m = /^\s*([^=\s]+)\s*=\s*([\d.]+)\s*\/\s*([\d.]+)\s*$/.exec(v);
  const input = m ? Number(m[2]) : NaN;
  const output = m ? Number(m[3]) : NaN;
  if (!m || !Number.isFinite(input) || !Number.isFinite(output)) throw new InvalidArgumentError(`--price takes model=IN/OUT in USD per 1M tokens, e.g. gpt-4o=2.5/10 (got '${v}')`);
  return [...prev, { model: m[1]!, input, output }];
}

function loadScenarioFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CalcInputError(`cannot read scenario file ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new CalcInputError(`scenario file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new CalcInputError(`scenario file ${path} must be a mapping (requestsPerDay:, tokens:, mix: ...)`);
  return raw as Record<string, unknown>;
}

class CalcInputError extends Error {}

/** flags over a base scenario (from a file or the ledger), field by field */
export async function scenarioFromFlags(f: CalcFlags, base: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const s: Record<string, unknown> = structuredClone(base);
  const set = (k: string, v: unknown) => {
    if (v !== undefined) s[k] = v;
  };
  set('requestsPerDay', f.requestsPerDay);
  set('days', f.days);
  set('growthPerMonth', f.growth);
  set('batchShare', f.batchShare);
  set('retryRate', f.retryRate);
  set('at', f.at);
  set('baselineModel', f.baselineModel);
  set('sensitivityPct', f.sensitivity);
  const tokens: Record<string, unknown> = { ...((s.tokens as Record<string, unknown>) ?? {}) };
  const parts = { system: f.systemTokens, tools: f.toolsTokens, context: f.contextTokens, history: f.historyTokens, user: f.userTokens };
  for (const [k, v] of Object.entries(parts)) if (v !== undefined) tokens[k] = v;
  if (f.inputTokens !== undefined) {
    // --input-tokens is the whole prompt: what the component flags do not name is the user's turn
    const named = ['system', 'tools', 'context', 'history'].reduce((a, k) => a + (Number(tokens[k]) || 0), 0);
    if (named > f.inputTokens) throw new CalcInputError(`--input-tokens ${f.inputTokens} is smaller than the components given (${named})`);
    if (parts.user === undefined) tokens.user = f.inputTokens - named;
  }
  if (f.outputTokens !== undefined) tokens.output = f.outputTokens;
  if (Object.keys(tokens).length) s.tokens = tokens;
  if (f.mix) s.mix = f.mix;
  else if (f.model) s.mix = [{ model: f.model, share: 1 }];
  const cache: Record<string, unknown> = { ...((s.cache as Record<string, unknown>) ?? {}) };
  if (f.exactHit !== undefined) cache.exactHitRate = f.exactHit;
  if (f.semanticHit !== undefined) cache.semanticHitRate = f.semanticHit;
  if (f.promptCacheHit !== undefined) cache.promptCacheHitRate = f.promptCacheHit;
  if (f.promptCacheTtl !== undefined) cache.promptCacheTtl = f.promptCacheTtl;
  if (Object.keys(cache).length) s.cache = cache;
  if (f.trim) s.trim = { ...((s.trim as Record<string, unknown>) ?? {}), ...f.trim };
  if (f.price?.length) {
    const { PriceCatalog } = await import('../core/prices/catalog.js');
    const catalog = PriceCatalog.load();
    const given = (s.prices as unknown[] | undefined) ?? [];
    // an override keeps the catalog's provider when the model is known there, so provider-qualified lookups still find it
    s.prices = [
      ...given,
      ...f.price.map((p) => {
        const known = catalog.lookupModel(p.model);
        return { provider: known?.provider ?? 'custom', model: p.model, input: p.input, output: p.output, batchDiscount: known?.batchDiscount };
      }),
    ];
  }
  if (f.selfHostGpus !== undefined || f.gpuHourly !== undefined || f.throughput !== undefined) {
    const sh: Record<string, unknown> = { ...((s.selfHost as Record<string, unknown>) ?? {}) };
    const put = (k: string, v: unknown) => {
      if (v !== undefined) sh[k] = v;
    };
    put('gpus', f.selfHostGpus);
    put('gpuType', f.gpuType);
    put('usdPerGpuHour', f.gpuHourly);
    put('utilisation', f.utilisation);
    put('tokensPerSecond', f.throughput);
    put('staffUsdPerMonth', f.staffMonthly);
    put('hasMlStaff', f.mlStaff);
    put('name', f.selfHostName);
    s.selfHost = sh;
  }
  return s;
}

export async function runCalcCommand(f: CalcFlags, io: CliIo = processIo): Promise<number> {
  const { parseScenario, ScenarioError } = await import('../forecast/scenario.js');
  const { calculate } = await import('../forecast/calc.js');
  const { formatCalc, money } = await import('../forecast/format.js');
  let base: Record<string, unknown> = {};
  const preface: string[] = [];
  let recorded: { dailyUsd: number; requests: number; windowDays: number } | undefined;
  try {
    if (f.scenario) base = loadScenarioFile(f.scenario);
    if (f.fromLedger) {
      const measured = await measureLedger(f);
      if (!measured) {
        io.err(`tollgate calc: no requests in the ledger at ${f.dataDir ?? '$TOLLGATE_DATA_DIR'} in that window\n`);
        return 1;
      }
      base = { ...measured.scenario, ...base };
      recorded = { dailyUsd: measured.recordedDailyUsd, requests: measured.requests, windowDays: measured.windowDays };
      preface.push(`From the ledger: ${measured.requests.toLocaleString('en-US')} requests over ${measured.windowDays.toFixed(1)} days, recorded ${money(measured.recordedDailyUsd)} a day.`);
    }
    const raw = await scenarioFromFlags(f, base);
    if (raw.requestsPerDay === undefined || raw.mix === undefined || (raw.tokens as { output?: unknown } | undefined)?.output === undefined) {
      io.err('tollgate calc: give --requests-per-day N --input-tokens N --output-tokens N --model NAME, a --scenario FILE, or --from-ledger\n');
      return 2;
    }
    const result = calculate(parseScenario(raw));
    if (f.json) io.out(JSON.stringify(recorded ? { ...result, recorded } : result, null, 2) + '\n');
    else io.out([...preface, formatCalc(result)].join('\n') + '\n');
    return 0;
  } catch (err) {
    if (err instanceof ScenarioError || err instanceof CalcInputError) {
      io.err(`tollgate calc: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

async function measureLedger(f: CalcFlags) {
  const { dataDirFrom } = await import('./ledger.js');
  const { SqliteLedgerStore } = await import('../stores/sqlite/ledger-store.js');
  const { scenarioFromLedger } = await import('../forecast/from-ledger.js');
  const dir = dataDirFrom(f.dataDir);
  const store = SqliteLedgerStore.openReadOnly(dir);
  if (!store) return undefined;
  try {
    const now = Date.now();
    return await scenarioFromLedger(store, f.since ?? now - 30 * 86_400_000, now, f.days ?? 30);
  } finally {
    store.close();
  }
}

export function registerCalcCommand(program: Command, io: CliIo = processIo): void {
  const frac = (name: string) => number(name, { min: 0, max: 1 });
  program
    .command('calc')
    .description('forecast what a workload costs a day and a month: waterfall per lever, sensitivity, self-hosting break-even')
    .option('--requests-per-day <N>', 'requests a day', number('--requests-per-day', { min: 0 }))
    .option('--input-tokens <N>', 'input tokens per request (the whole prompt)', number('--input-tokens', { min: 0 }))
    .option('--output-tokens <N>', 'output tokens per request', number('--output-tokens', { min: 0 }))
    .option('--model <NAME>', 'the model every request goes to (or --mix)')
    .option('--days <N>', 'days in the month', number('--days', { min: 1, max: 366, int: true }))
    .option('--json', 'print the whole result as JSON (dailyUsd, monthlyUsd, waterfall, sensitivity, ...)')
    .option('--scenario <FILE>', 'a YAML scenario file (flags override its fields)')
    .option('--system-tokens <N>', 'of the input: the system prompt', number('--system-tokens', { min: 0 }))
    .option('--tools-tokens <N>', 'of the input: tool definitions', number('--tools-tokens', { min: 0 }))
    .option('--context-tokens <N>', 'of the input: retrieved context (RAG chunks)', number('--context-tokens', { min: 0 }))
    .option('--history-tokens <N>', 'of the input: earlier turns', number('--history-tokens', { min: 0 }))
    .option('--user-tokens <N>', "of the input: the user's turn", number('--user-tokens', { min: 0 }))
    .option('--growth <FRACTION>', 'traffic growth per month (0.1 = +10%)', number('--growth', { min: -1, max: 100 }))
    .option('--mix <PAIRS>', 'model mix, e.g. claude-3-5-haiku=0.7,claude-sonnet-4=0.25,claude-opus-4-1=0.05', parseMix)
    .option('--exact-hit <FRACTION>', 'exact cache hit rate', frac('--exact-hit'))
    .option('--semantic-hit <FRACTION>', 'semantic cache hit rate', frac('--semantic-hit'))
    .option('--prompt-cache-hit <FRACTION>', "share of requests reading the cacheable prefix (system + tools) from the provider's prompt cache", frac('--prompt-cache-hit'))
    .option('--prompt-cache-ttl <TTL>', 'prompt-cache write lifetime: 5m or 1h', (v) => {
      if (v !== '5m' && v !== '1h') throw new InvalidArgumentError("--prompt-cache-ttl is '5m' or '1h'");
      return v;
    })
    .option('--batch-share <FRACTION>', 'share of requests sent through the Batch API (nobody waits on them)', frac('--batch-share'))
    .option('--trim <PAIRS>', 'fraction of each input component removed, e.g. system=0.73,context=0.7', parseTrim)
    .option('--retry-rate <R>', 'extra attempts per request (0.02 = 2%), each billed in full', number('--retry-rate', { min: 0, max: 10 }))
    .option('--price <MODEL=IN/OUT>', 'price override, USD per 1M input/output tokens (repeatable)', parsePrice)
    .option('--at <DATE>', 'price the scenario at this date (the catalog is effective-dated)')
    .option('--baseline-model <NAME>', "the waterfall's first bar (default: the mix's most expensive model)")
    .option('--sensitivity <PCT>', 'move each assumption by ± this percentage in the sensitivity table (default 20)', number('--sensitivity', { min: 0.001, max: 100 }))
    .option('--from-ledger', 'measure the scenario from the ledger (requests a day, tokens, mix, cache hit rates)')
    .option('--data-dir <DIR>', 'data directory of the ledger (with --from-ledger)')
    .option('--since <WHEN>', 'ledger window: a duration ago (30d, 12h) or an ISO date; default 30d', (v) => parseSince(v))
    .option('--self-host-gpus <N>', 'self-hosting: GPUs per deployment', number('--self-host-gpus', { min: 1, int: true }))
    .option('--gpu-type <NAME>', 'self-hosting: GPU type (H100, A100...)')
    .option('--gpu-hourly <USD>', 'self-hosting: price per GPU-hour', number('--gpu-hourly', { min: 0.000001 }))
    .option('--utilisation <FRACTION>', 'self-hosting: share of hours at sustained throughput (default 0.6)', number('--utilisation', { min: 0.000001, max: 1 }))
    .option('--throughput <TOKENS_PER_S>', 'self-hosting: sustained tokens/s (in + out) of one deployment', number('--throughput', { min: 0.000001 }))
    .option('--staff-monthly <USD>', 'self-hosting: ML staff and operations per month', number('--staff-monthly', { min: 0 }))
    .option('--ml-staff', 'self-hosting: the team already has ML engineering staff')
    .option('--self-host-name <NAME>', 'self-hosting: the model, e.g. llama-3.1-70b')
    .addHelpText(
      'after',
      `
Examples (the chapter's worked examples, with its prices as overrides):
  tollgate calc --requests-per-day 100000 --input-tokens 0 --output-tokens 2000 --model gpt-4o --price gpt-4o=2.5/10
  tollgate calc --requests-per-day 100000 --input-tokens 0 --output-tokens 2000 --model gemini-flash --price gemini-flash=0.075/0.3
  tollgate calc --scenario support.yaml --json | jq .monthlyUsd
  tollgate calc --from-ledger --data-dir .tollgate --since 30d`,
    )
    .action(async (opts: CalcFlags) => {
      const code = await runCalcCommand(opts, io);
      if (code !== 0) process.exitCode = code;
    });
}
