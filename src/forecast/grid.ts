// The benchmark grid: prompts x candidate models x settings (temperature, max tokens) through the
// gateway, measuring TTFT, total latency, tokens, cost and quality, with the playbook's table, the
// Pareto frontier marked and the run saved for the dashboard. The gateway is called as an upstream
// through the providers' OpenAI adapter (so no wire format lives here), streaming, with usage.
//
// Quality, per answer: the reference answer where the data set has one (a multiple-choice letter:
// the first standalone A-D in the answer must match), else a judge model's 1-5 rubric score on a
// sample (--judge MODEL --judge-sample F), scaled to 0..1. Judge calls are priced and shown apart.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatRequest, Usage } from '../core/canonical.js';
import { costOf } from '../core/cost.js';
import { PriceCatalog } from '../core/prices/catalog.js';
import type { PriceOverridesInput } from '../core/prices/config.js';
import { StreamAccumulator } from '../core/stream-accumulator.js';
import { parseCsv } from '../lab/router/datasets.js';
import type { ProviderAdapter } from '../providers/contract.js';
import { createProvider } from '../providers/registry.js';
import '../providers/index.js';
import { seededRandom } from '../core/seeded-random.js';

export interface GridItem {
  id: string;
  prompt: string;
  /** the expected answer (a choice letter) where the data set gives one */
  reference?: string;
}

export interface GridOptions {
  items: GridItem[];
  models: string[];
  temperatures: number[];
  maxTokens: number[];
  /** the gateway (or any OpenAI-compatible endpoint), e.g. http://127.0.0.1:8787/v1 */
  baseUrl: string;
  apiKey?: string;
  concurrency?: number;
  /** per model, requests per minute at most (client-side spacing) */
  requestsPerMinute?: number;
  judge?: { model: string; sample: number };
  prices?: PriceOverridesInput;
  onProgress?: (done: number, total: number, costUsd: number) => void;
  /** seed of the judge's sample */
  seed?: number;
}

export interface GridCell {
  model: string;
  temperature: number;
  maxTokens: number;
  requests: number;
  errors: number;
  avgLatencyMs: number;
  p95LatencyMs: number;
  avgTtftMs: number;
  tokens: { input: number; cacheRead: number; output: number };
  costUsd: number;
  costPer1kTokensUsd: number;
  costPerRequestUsd: number;
  /** 0..1; absent when no answer could be scored */
  quality?: number;
  qualityN: number;
  qualitySource: 'reference' | 'judge' | 'none';
  pareto: boolean;
  notes: string[];
}

export interface GridRun {
  id: string;
  at: string;
  baseUrl: string;
  catalogVersion: string;
  items: number;
  models: string[];
  temperatures: number[];
  maxTokens: number[];
  cells: GridCell[];
  judge?: { model: string; sample: number; calls: number; costUsd: number };
  totalCostUsd: number;
}

/** the Pareto frontier: no other cell is at least as good on cost, latency and quality and better on one */
export function markPareto(cells: GridCell[]): void {
  const q = (c: GridCell) => c.quality ?? 0;
  for (const c of cells) {
    c.pareto =
      c.requests > c.errors &&
      !cells.some(
        (o) =>
          o !== c &&
          o.requests > o.errors &&
          o.costPerRequestUsd <= c.costPerRequestUsd &&
          o.avgLatencyMs <= c.avgLatencyMs &&
          q(o) >= q(c) &&
          (o.costPerRequestUsd < c.costPerRequestUsd || o.avgLatencyMs < c.avgLatencyMs || q(o) > q(c)),
      );
  }
}

/** the first standalone choice letter of an answer */
export function choiceOf(answer: string): string | undefined {
  return /(?:^|[^A-Za-z])([A-D])(?![A-Za-z])/.exec(answer)?.[1];
}

/** the judge's 1-5 score, or undefined when it gave none */
export function judgeScore(answer: string): number | undefined {
  const m = /\b([1-5])\b/.exec(answer);
  return m ? Number(m[1]) : undefined;
}


interface CallResult {
  text: string;
  usage: Usage;
  latencyMs: number;
  ttftMs: number;
}

async function call(adapter: ProviderAdapter, model: string, req: ChatRequest): Promise<CallResult> {
  const timings: { upstreamSentAt?: number; firstTokenAt?: number; firstByteAt?: number } = {};
  const t0 = performance.now();
  const r = await adapter.chat(req, { model, signal: new AbortController().signal, timings, timeoutMs: 600_000 });
  const acc = new StreamAccumulator();
  let first: number | undefined;
  if (r.kind === 'complete') {
    first = performance.now();
    return { text: r.response.content.map((p) => (p.type === 'text' ? p.text : '')).join(''), usage: r.response.usage, latencyMs: first - t0, ttftMs: first - t0 };
  }
  for await (const chunk of r.chunks) {
    for (const ev of chunk.events) {
      if (first === undefined && (ev.type === 'text_delta' || ev.type === 'tool_call_start')) first = performance.now();
      acc.push(ev);
    }
  }
  const end = performance.now();
  if (acc.error) throw new Error(`${acc.error.type}: ${acc.error.message}`);
  return { text: acc.text(), usage: acc.usage, latencyMs: end - t0, ttftMs: (first ?? end) - t0 };
}

/** client-side spacing of one model's requests */
class Spacer {
  private next = new Map<string, number>();
  constructor(private readonly rpm?: number) {}
  async wait(model: string): Promise<void> {
    if (!this.rpm) return;
    const gap = 60_000 / this.rpm;
    const now = Date.now();
    const at = Math.max(now, this.next.get(model) ?? 0);
    this.next.set(model, at + gap);
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}

export async function runGrid(o: GridOptions): Promise<GridRun> {
  const adapter = createProvider({ name: 'grid', kind: 'openai', baseUrl: o.baseUrl, apiKey: o.apiKey });
  const catalog = PriceCatalog.load(o.prices);
  const priceOf = (model: string) => catalog.lookupModel(model);
  const spacer = new Spacer(o.requestsPerMinute);
  const rand = seededRandom(o.seed ?? 1);
  const cellsSpec = o.models.flatMap((model) => o.temperatures.flatMap((temperature) => o.maxTokens.map((maxTokens) => ({ model, temperature, maxTokens }))));
  const jobs = cellsSpec.flatMap((c, ci) => o.items.map((item) => ({ ci, item, judge: !item.reference && o.judge !== undefined && rand() < o.judge.sample })));
  const acc = cellsSpec.map(() => ({ lat: [] as number[], ttft: [] as number[], tokens: { input: 0, cacheRead: 0, output: 0 }, cost: 0, errors: 0, q: 0, qn: 0, unpriced: false, source: 'none' as GridCell['qualitySource'] }));
  let done = 0;
  let running = 0;
  const judge = { calls: 0, costUsd: 0 };
  const price = (model: string, u: Usage) => {
    const p = priceOf(model);
    return p ? costOf(u, p).totalUsd : undefined;
  };

  async function work(job: (typeof jobs)[number]): Promise<void> {
    const spec = cellsSpec[job.ci]!;
    const a = acc[job.ci]!;
    await spacer.wait(spec.model);
    const req: ChatRequest = {
      model: spec.model,
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: job.item.prompt }] }],
      temperature: spec.temperature,
      maxTokens: spec.maxTokens,
      stream: true,
      includeUsage: true,
      extra: {},
    };
    try {
      const r = await call(adapter, spec.model, req);
      a.lat.push(r.latencyMs);
      a.ttft.push(r.ttftMs);
      a.tokens.input += r.usage.input + r.usage.cacheWrite5m + r.usage.cacheWrite1h;
      a.tokens.cacheRead += r.usage.cacheRead;
      a.tokens.output += r.usage.output;
      const c = price(spec.model, r.usage);
      if (c === undefined) a.unpriced = true;
      a.cost += c ?? 0;
      running += c ?? 0;
      if (job.item.reference) {
        a.source = 'reference';
        a.q += choiceOf(r.text) === job.item.reference.trim().toUpperCase() ? 1 : 0;
        a.qn++;
      } else if (job.judge && o.judge) {
        await spacer.wait(o.judge.model);
        const jr = await call(adapter, o.judge.model, {
          model: o.judge.model,
          system: [{ type: 'text', text: 'You grade answers. Reply with one digit from 1 (useless) to 5 (excellent): correctness, completeness, clarity.' }],
          messages: [{ role: 'user', content: [{ type: 'text', text: `Question:\n${job.item.prompt}\n\nAnswer:\n${r.text}\n\nScore (1-5):` }] }],
          temperature: 0,
          maxTokens: 5,
          stream: true,
          includeUsage: true,
          extra: {},
        });
        judge.calls++;
        const jc = price(o.judge.model, jr.usage) ?? 0;
        judge.costUsd += jc;
        running += jc;
        const s = judgeScore(jr.text);
        if (s !== undefined) {
          if (a.source === 'none') a.source = 'judge';
          a.q += (s - 1) / 4;
          a.qn++;
        }
      }
    } catch {
      a.errors++;
    }
    done++;
    o.onProgress?.(done, jobs.length, running);
  }

  // a fixed pool of workers over the job list: at most `concurrency` calls in flight
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 4, jobs.length)) }, async () => {
    while (next < jobs.length) await work(jobs[next++]!);
  });
  await Promise.all(workers);
  await adapter.close?.();

  const cells: GridCell[] = cellsSpec.map((spec, i) => {
    const a = acc[i]!;
    const n = a.lat.length;
    const sorted = [...a.lat].sort((x, y) => x - y);
    const tokens = a.tokens.input + a.tokens.cacheRead + a.tokens.output;
    const notes: string[] = [];
    if (a.unpriced) notes.push('no catalog price (give one in prices:)');
    if (a.errors) notes.push(`${a.errors} errors`);
    return {
      ...spec,
      requests: o.items.length,
      errors: a.errors,
      avgLatencyMs: n ? a.lat.reduce((x, y) => x + y, 0) / n : 0,
      p95LatencyMs: n ? sorted[Math.max(0, Math.ceil(n * 0.95) - 1)]! : 0,
      avgTtftMs: n ? a.ttft.reduce((x, y) => x + y, 0) / n : 0,
      tokens: a.tokens,
      costUsd: a.cost,
      costPer1kTokensUsd: tokens ? (a.cost / tokens) * 1000 : 0,
      costPerRequestUsd: n ? a.cost / n : 0,
      quality: a.qn ? a.q / a.qn : undefined,
      qualityN: a.qn,
      qualitySource: a.source,
      pareto: false,
      notes,
    };
  });
  markPareto(cells);
  for (const c of cells) if (c.pareto) c.notes.unshift('Pareto frontier');
  const at = new Date();
  return {
    id: `${at.toISOString().replace(/[:.]/g, '-')}`,
    at: at.toISOString(),
    baseUrl: o.baseUrl,
    catalogVersion: catalog.version,
    items: o.items.length,
    models: o.models,
    temperatures: o.temperatures,
    maxTokens: o.maxTokens,
    cells,
    judge: o.judge ? { ...o.judge, ...judge } : undefined,
    totalCostUsd: cells.reduce((x, c) => x + c.costUsd, 0) + judge.costUsd,
  };
}

/** saved runs: <dataDir>/grid/<id>.json, with token counts so a dashboard can re-price after a price change */
export function saveGridRun(dataDir: string, run: GridRun): string {
  const dir = join(dataDir, 'grid');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${run.id}.json`);
  writeFileSync(path, JSON.stringify(run, null, 2));
  return path;
}

// ---- data sets --------------------------------------------------------------------------------

export class GridInputError extends Error {}

export const NAMED_SETS: Record<string, { path: string; note: string }> = {
  'arena-hard': { path: 'arena-hard-v0.1-lite/question.jsonl', note: '500 hard real-user prompts (no reference answers: use --judge)' },
  'mt-bench': { path: 'routellm-evals/mt_bench_judgements_gpt4judge.jsonl', note: "MT-Bench questions (first turns), from the GPT-4 judge's file" },
  mmlu: { path: 'routellm-evals/mmlu_mixtral_vs_gpt4.csv', note: 'MMLU questions with their choices (this copy carries no answer letters: use --judge)' },
};

const MAX_ITEMS = 100_000;

/** A prompts file (JSONL or CSV) or a named set under the shared data directory, at most `limit` items. */
export function loadGridItems(data: string, sharedDataDir: string, limit = 50): GridItem[] {
  const named = NAMED_SETS[data];
  const path = named ? join(sharedDataDir, named.path) : data;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new GridInputError(`cannot read ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}${named ? ' (set TOLLGATE_SHARED_DATA to the shared data directory)' : ''}`);
  }
  const cap = Math.min(limit, MAX_ITEMS);
  const out: GridItem[] = [];
  const seen = new Set<string>();
  if (path.endsWith('.csv')) {
    const rows = parseCsv(text);
    const header = rows.shift()?.map((h) => h.trim().toLowerCase()) ?? [];
    const pi = ['prompt', 'question', 'text'].map((n) => header.indexOf(n)).find((i) => i >= 0);
    const ri = ['answer', 'reference', 'target'].map((n) => header.indexOf(n)).find((i) => i >= 0);
    if (pi === undefined) throw new GridInputError(`${path}: a CSV of prompts needs a prompt (or question, text) column`);
    for (const row of rows) {
      if (out.length >= cap) break;
      const prompt = row[pi]?.trim();
      if (!prompt) continue;
      out.push({ id: `row${out.length + 1}`, prompt, reference: ri !== undefined && row[ri]?.trim() ? row[ri]!.trim() : undefined });
    }
    return out;
  }
  let n = 0;
  for (const line of text.split('\n')) {
    n++;
    if (out.length >= cap) break;
    if (!line.trim()) continue;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(line);
    } catch {
      throw new GridInputError(`${path}:${n}: not a JSON line`);
    }
    let prompt: string | undefined;
    if (typeof j.prompt === 'string') prompt = j.prompt;
    else if (typeof j.question === 'string') prompt = j.question;
    else if (Array.isArray(j.turns) && typeof (j.turns[0] as { content?: unknown })?.content === 'string') prompt = (j.turns[0] as { content: string }).content;
    else if (typeof j.user_prompt === 'string') {
      // MT-Bench judge prompts: the first user turn of the conversation the judge was shown
      prompt = (/\[Question\]\n([\s\S]*?)\n\n\[The Start of/.exec(j.user_prompt) ?? /### User:\n([\s\S]*?)\n\n### Assistant A:/.exec(j.user_prompt))?.[1];
      if (!prompt) continue;
    }
    if (!prompt) throw new GridInputError(`${path}:${n}: a line needs a prompt (or question, turns[0].content) string`);
    const id = String(j.id ?? j.question_id ?? `line${n}`);
    if (seen.has(id)) continue;
    seen.add(id);
    const ref = j.reference ?? j.answer;
    out.push({ id, prompt, reference: typeof ref === 'string' && ref.trim() ? ref.trim() : undefined });
  }
  return out;
}
