// The demo's background traffic: a realistic request mix replayed against the gateway with Poisson
// arrivals. Hard real-user prompts (arena-hard), MMLU multiple-choice questions, two-turn MT-Bench
// conversations and a small pool of FAQ questions asked again and again (sometimes paraphrased) so
// caches have something to hit. OpenAI- and Anthropic-format calls, streaming and not, some with
// system prompts and tools, across the demo models. Deterministic for a seed.

import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { Rng } from '../sim/random.js';

export interface TrafficOptions {
  gatewayUrl: string;
  /** bearer key sent with every call (default 'demo-key'; demo mode accepts any) */
  apiKey?: string;
  /** mean arrivals per second (Poisson); default 2 */
  ratePerSec?: number;
  seed?: number;
  models?: string[];
  /** share of calls sent in the *other* model family's wire format (the gateway translates); default 0.15, 0 to disable */
  crossFormatShare?: number;
  /** at most this many calls in flight; arrivals beyond it are skipped (default 64) */
  maxInFlight?: number;
}

export interface TrafficGenerator {
  stop(): Promise<void>;
  stats(): { sent: number; ok: number; failed: number };
}

export const DEMO_MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'claude-3-5-haiku', 'gemini-2.0-flash'];

/** one call the generator makes */
export interface DemoCall {
  format: 'openai' | 'anthropic';
  model: string;
  stream: boolean;
  kind: 'arena' | 'mmlu' | 'mt-bench' | 'faq';
  /** the body without model and stream; `messages` in the call's own format */
  system?: string;
  messages: { role: 'user' | 'assistant'; content: string }[];
  maxTokens: number;
  tools: boolean;
  /** cache the (long) system prompt explicitly (Anthropic format) */
  cacheSystem: boolean;
  user: string;
  /** MT-Bench: the second user turn, sent after the first answer arrives */
  followUp?: string;
}

interface DemoData {
  arena: { prompt: string }[];
  mmlu: { subject: string; prompt: string }[];
  mtBench: { turns: string[] }[];
  faq: { question: string; paraphrase: string }[];
}

/** data/demo/ at the package root: src/demo/ and dist/demo/ are both two levels below it */
export function demoDataDir(): string {
  return fileURLToPath(new URL('../../data/demo/', import.meta.url));
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(`${demoDataDir()}${file}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

let cached: DemoData | undefined;
export function loadDemoData(): DemoData {
  cached ??= {
    arena: readJsonl('arena-hard.jsonl'),
    mmlu: readJsonl('mmlu.jsonl'),
    mtBench: readJsonl('mt-bench.jsonl'),
    faq: readJsonl('faq.jsonl'),
  };
  return cached;
}

const SYSTEM_PROMPTS = ['You are a helpful assistant.', 'You are a senior software engineer. Answer precisely and show code when useful.', 'Answer concisely.'];

// A long support policy (well over 1,024 tokens) so provider prompt caching has a prefix to reuse.
const SUPPORT_POLICY = [
  'You are the support assistant for Northwind Answers, a question-and-answer community.',
  'Follow the policy below in every answer. Be friendly, precise and brief; never invent facts.',
  ...Array.from({ length: 40 }, (_, i) =>
    `Policy ${i + 1}: when a member asks about topic ${i + 1}, first restate the question in one sentence, ` +
    `then give the most useful answer you can in at most five sentences, cite the relevant help-centre section ` +
    `(section ${100 + i}), avoid personal data, and suggest one related question the member might ask next.`,
  ),
].join('\n');

const TOOLS_OPENAI = [
  { type: 'function', function: { name: 'search_docs', description: 'Search the documentation', parameters: { type: 'object', properties: { query: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 10 } }, required: ['query'] } } },
  { type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] } } },
];
const TOOLS_ANTHROPIC = TOOLS_OPENAI.map((t) => ({ name: t.function.name, description: t.function.description, input_schema: t.function.parameters }));

const isClaude = (m: string) => m.startsWith('claude');

/** the next call, drawn from the seeded generator (pure: no I/O) */
export function drawCall(rng: Rng, data: DemoData, models: string[], crossFormatShare: number): DemoCall {
  const r = rng.next();
  const kind: DemoCall['kind'] = r < 0.3 ? 'faq' : r < 0.6 ? 'arena' : r < 0.8 ? 'mmlu' : 'mt-bench';
  const model = rng.pick(models);
  const native: DemoCall['format'] = isClaude(model) ? 'anthropic' : 'openai';
  const other: DemoCall['format'] = native === 'openai' ? 'anthropic' : 'openai';
  const format = rng.chance(crossFormatShare) ? other : native;
  const stream = rng.chance(0.5);
  const user = `demo-user-${rng.int(1, 12)}`;
  const base = { format, model, stream, kind, user, tools: false, cacheSystem: false };
  switch (kind) {
    case 'faq': {
      // a skewed pick: the first questions come up far more often (FAQ-like repetition)
      const i = Math.min(data.faq.length - 1, Math.floor(rng.exponential(6)));
      const q = data.faq[i]!;
      return { ...base, system: SUPPORT_POLICY, cacheSystem: true, messages: [{ role: 'user', content: rng.chance(0.3) ? q.paraphrase : q.question }], maxTokens: 300 };
    }
    case 'arena':
      return {
        ...base,
        system: rng.chance(0.4) ? rng.pick(SYSTEM_PROMPTS) : undefined,
        tools: rng.chance(0.15),
        messages: [{ role: 'user', content: rng.pick(data.arena).prompt }],
        maxTokens: 1024,
      };
    case 'mmlu': {
      const q = rng.pick(data.mmlu);
      return { ...base, system: `You are an expert in ${q.subject.replaceAll('_', ' ')}. Answer with the letter of the correct option.`, messages: [{ role: 'user', content: q.prompt }], maxTokens: 16 };
    }
    case 'mt-bench': {
      const q = rng.pick(data.mtBench);
      return { ...base, messages: [{ role: 'user', content: q.turns[0]! }], followUp: q.turns[1], maxTokens: 800 };
    }
  }
}

/** the wire request for a call: path, headers and JSON body */
export function toWire(call: DemoCall, apiKey: string): { path: string; headers: Record<string, string>; body: Record<string, unknown> } {
  if (call.format === 'openai') {
    const messages = [...(call.system ? [{ role: 'system', content: call.system }] : []), ...call.messages];
    return {
      path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: {
        model: call.model,
        messages,
        max_completion_tokens: call.maxTokens,
        user: call.user,
        ...(call.tools ? { tools: TOOLS_OPENAI } : {}),
        ...(call.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      },
    };
  }
  const system = call.system ? (call.cacheSystem ? [{ type: 'text', text: call.system, cache_control: { type: 'ephemeral' } }] : call.system) : undefined;
  return {
    path: '/v1/messages',
    headers: { 'x-api-key': apiKey, authorization: `Bearer ${apiKey}`, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    body: {
      model: call.model,
      max_tokens: call.maxTokens,
      messages: call.messages,
      metadata: { user_id: call.user },
      ...(system ? { system } : {}),
      ...(call.tools ? { tools: TOOLS_ANTHROPIC } : {}),
      ...(call.stream ? { stream: true } : {}),
    },
  };
}

/** the assistant's text from a response body (either format, streamed or not), for follow-up turns */
export function answerText(format: DemoCall['format'], stream: boolean, body: string): string {
  try {
    if (!stream) {
      const j = JSON.parse(body) as { choices?: { message?: { content?: string | null } }[]; content?: { type: string; text?: string }[] };
      if (format === 'openai') return j.choices?.[0]?.message?.content ?? '';
      return (j.content ?? []).map((b) => (b.type === 'text' ? (b.text ?? '') : '')).join('');
    }
    let text = '';
    for (const line of body.split('\n')) {
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
      const d = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string } }[]; type?: string; delta?: { type?: string; text?: string } };
      if (format === 'openai') text += d.choices?.[0]?.delta?.content ?? '';
      else if (d.type === 'content_block_delta' && d.delta?.type === 'text_delta') text += d.delta.text ?? '';
    }
    return text;
  } catch {
    return '';
  }
}

/** a streamed body that ended with an error event (or without its terminal event) failed */
function streamFailed(format: DemoCall['format'], body: string): boolean {
  if (format === 'openai') return !body.includes('data: [DONE]') || /^data: \{"error"/m.test(body);
  return !body.includes('event: message_stop') || body.includes('event: error');
}

export function startTrafficGenerator(opts: TrafficOptions): TrafficGenerator {
  const rate = opts.ratePerSec ?? 2;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`traffic: ratePerSec must be a positive number (got ${String(opts.ratePerSec)})`);
  const models = opts.models && opts.models.length > 0 ? opts.models : DEMO_MODELS;
  const apiKey = opts.apiKey ?? 'demo-key';
  const cross = opts.crossFormatShare ?? 0.15;
  const maxInFlight = opts.maxInFlight ?? 64;
  const base = opts.gatewayUrl.replace(/\/+$/, '');
  const data = loadDemoData();
  const rng = new Rng(opts.seed ?? 1);
  const counts = { sent: 0, ok: 0, failed: 0 };
  const inFlight = new Set<Promise<void>>();
  const abort = new AbortController();
  // one signal is shared by every call in flight (up to maxInFlight listeners, by design)
  setMaxListeners(0, abort.signal);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  async function send(call: DemoCall): Promise<string | undefined> {
    const wire = toWire(call, apiKey);
    counts.sent++;
    try {
      const res = await request(`${base}${wire.path}`, {
        method: 'POST',
        headers: wire.headers,
        body: JSON.stringify(wire.body),
        signal: abort.signal,
        headersTimeout: 120_000,
        bodyTimeout: 120_000,
      });
      const body = await res.body.text();
      const ok = res.statusCode >= 200 && res.statusCode < 300 && !(call.stream && streamFailed(call.format, body));
      if (ok) counts.ok++;
      else counts.failed++;
      return ok ? body : undefined;
    } catch {
      counts.failed++;
      return undefined;
    }
  }

  async function run(call: DemoCall): Promise<void> {
    const body = await send(call);
    if (body === undefined || !call.followUp || stopped) return;
    const answer = answerText(call.format, call.stream, body);
    await send({ ...call, messages: [...call.messages, { role: 'assistant', content: answer || '(no answer)' }, { role: 'user', content: call.followUp }], followUp: undefined });
  }

  const tick = () => {
    if (stopped) return;
    // draw the call even when skipping, so the sequence of calls depends on the seed only
    const call = drawCall(rng, data, models, cross);
    if (inFlight.size < maxInFlight) {
      const p = run(call).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    timer = setTimeout(tick, rng.exponential(1000 / rate));
  };
  timer = setTimeout(tick, rng.exponential(1000 / rate));

  return {
    stats: () => ({ ...counts }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      // let calls in flight finish briefly, then cut them off
      const grace = new Promise<void>((r) => setTimeout(r, 2000).unref());
      await Promise.race([Promise.allSettled([...inFlight]), grace]);
      abort.abort();
      await Promise.allSettled([...inFlight]);
    },
  };
}
