// The chapter's case study as a workload built from public data (../shared/data), for replay:
// a support assistant with a long system prompt, retrieved chunks, multi-turn sessions, FAQ-like
// repeats and paraphrases, easy and hard questions, and work nobody waits on.
//
//   user turns   FAQ repeats       Quora questions (gptcache-qqp), a pool of 30 asked Zipf-like
//                paraphrases       the labelled duplicate of a FAQ (text_b of a label-1 pair)
//                knowledge         MMLU questions with their choices (routellm-evals), with each
//                                  model family's recorded correctness (Mixtral for the cheap tier,
//                                  GPT-4 for the strong ones): the quality the waterfall reports
//                hard              arena-hard prompts (routed to the frontier tier by a rule)
//   system       a ~3,000-token support policy (generated rules; the short-system variant keeps ~800,
//                the edit a prompt review makes: no lever rewrites a system prompt)
//   context      10 retrieved chunks of ~250 tokens from arena-hard's GPT-4 answers, each a
//                <document> inside one <context> block (what the trim lever's context.topK re-ranks)
//   history      40% of sessions are multi-turn (2-4 turns): earlier turns and answers are resent
//   background   15% of knowledge questions are offline triage (a batch candidate)
// Output lengths: arena-hard's recorded GPT-4 answer lengths for hard prompts, log-normal around
// 300 tokens otherwise. Deterministic for a seed.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatRequest, Message } from '../core/canonical.js';
import { countTextTokens, estimateInputTokens } from '../core/tokens.js';
import { parseCsv } from '../lab/router/datasets.js';
import type { PrefixBlock, ReplayItem } from './replay/item.js';
import { seededRandom } from '../core/seeded-random.js';

export interface WorkloadOptions {
  sharedDataDir: string;
  requests: number;
  seed?: number;
  /** the system prompt as a prompt review leaves it: its first ~800 tokens (the chunks and history stay for the trim lever) */
  shortSystemPrompt?: boolean;
  /** upstream ids whose quality is the cheap tier's recorded outcome (Mixtral's), and the strong tiers' (GPT-4's) */
  cheapModels: string[];
  strongModels: string[];
  start?: number;
}


const TOPICS = ['billing', 'refunds', 'shipping', 'returns', 'passwords', 'two-factor login', 'account deletion', 'invoices', 'subscriptions', 'gift cards', 'warranty', 'damaged items', 'order tracking', 'address changes', 'data export', 'privacy requests', 'accessibility', 'business accounts', 'promotions', 'loyalty points'];
const ACTIONS = [
  'confirm the order number before anything else, then restate the problem in one sentence',
  'never promise a date you cannot see in the order record; say what the record shows and when it updates',
  'offer the self-service link first, and the human hand-off only if the customer asks twice',
  'quote the policy section by name, summarise it in plain words, and do not paraphrase the legal terms',
  'ask for at most one piece of missing information per reply, and say why it is needed',
  'escalate to a specialist when money over the refund limit is involved, and say that you have done so',
  'apologise once, briefly, and move on to what can be done now',
  'keep the answer under five sentences unless the customer asks for detail',
];

/** ~3,000 tokens of rules (800 when trimmed: the first rules, which carry the policy's essentials) */
export function systemPrompt(trimmed: boolean): string {
  const lines = ['You are the support assistant of an online retailer. Follow these rules in every reply.'];
  let i = 0;
  const target = trimmed ? 800 : 3000;
  // lines are counted one by one (a line break is its own token or merges into the next: close enough)
  let tokens = countTextTokens(lines[0]!);
  while (tokens < target) {
    const topic = TOPICS[i % TOPICS.length]!;
    const action = ACTIONS[(i * 3) % ACTIONS.length]!;
    const line = `Rule ${i + 1} (${topic}): when a customer writes about ${topic}, ${action}. If the message also mentions ${TOPICS[(i + 7) % TOPICS.length]}, handle ${topic} first and offer to continue with the other matter.`;
    lines.push(line);
    tokens += countTextTokens(line) + 1;
    i++;
  }
  return lines.join('\n');
}

interface Question {
  kind: 'faq' | 'paraphrase' | 'knowledge' | 'hard';
  text: string;
  /** quality for the cheap and the strong tiers (MMLU's recorded correctness) */
  cheapQ?: number;
  strongQ?: number;
  outputTokens?: number;
}

function loadSources(dir: string) {
  const qqp = readFileSync(join(dir, 'gptcache-qqp/qqp_pairs_labeled.jsonl'), 'utf8')
    .split('\n')
    .slice(0, 5000)
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { text_a: string; text_b: string; label: number })
    .filter((p) => p.label === 1)
    .slice(0, 30);
  const mmluRows = parseCsv(readFileSync(join(dir, 'routellm-evals/mmlu_mixtral_vs_gpt4.csv'), 'utf8'));
  const h = mmluRows.shift()!;
  const [ip, iw, is] = ['prompt', 'mixtral_8x7b_correct', 'gpt4_1106_correct'].map((c) => h.indexOf(c));
  const mmlu: Question[] = mmluRows.filter((r) => r[ip!]).slice(0, 4000).map((r) => ({ kind: 'knowledge', text: r[ip!]!, cheapQ: r[iw!] === 'True' ? 1 : 0, strongQ: r[is!] === 'True' ? 1 : 0 }));
  const hardQs = readFileSync(join(dir, 'arena-hard-v0.1-lite/question.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { question_id: string; turns: { content: string }[] });
  const answers = new Map<string, { text: string; tokens: number }>();
  for (const l of readFileSync(join(dir, 'arena-hard-v0.1-lite/gpt-4-0314.jsonl'), 'utf8').split('\n').filter(Boolean)) {
    const j = JSON.parse(l) as { question_id: string; choices: { turns: { content: string; token_len?: number }[] }[] };
    const t = j.choices[0]?.turns[0];
    if (t) answers.set(j.question_id, { text: t.content, tokens: t.token_len ?? 500 });
  }
  const hard: Question[] = hardQs.map((q) => ({ kind: 'hard', text: q.turns[0]!.content, outputTokens: answers.get(q.question_id)?.tokens }));
  // the knowledge base: GPT-4's arena-hard answers cut into ~1,000-character chunks
  const chunks: string[] = [];
  for (const a of answers.values()) for (let i = 0; i + 200 < a.text.length && chunks.length < 3000; i += 1000) chunks.push(a.text.slice(i, i + 1000));
  return { qqp, mmlu, hard, chunks };
}

function hashOf(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The workload, in arrival order: sessions arriving over an hour, turns a minute apart. */
export function buildSupportWorkload(o: WorkloadOptions): ReplayItem[] {
  const src = loadSources(o.sharedDataDir);
  const rand = seededRandom(o.seed ?? 7);
  const system = systemPrompt(o.shortSystemPrompt ?? false);
  const systemTokens = countTextTokens(system);
  const nChunks = 10;
  const start = o.start ?? Date.UTC(2026, 10, 2, 9);
  const lognormal = (mean: number) => Math.max(20, Math.round(mean * Math.exp(0.6 * gauss() - 0.18)));
  function gauss(): number {
    return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  }
  const zipf = (n: number) => Math.min(n - 1, Math.floor(n * rand() ** 2.2));
  const pick = (): Question => {
    const x = rand();
    if (x < 0.3) return { kind: 'faq', text: src.qqp[zipf(src.qqp.length)]!.text_a };
    if (x < 0.5) return { kind: 'paraphrase', text: src.qqp[zipf(src.qqp.length)]!.text_b };
    if (x < 0.9) return src.mmlu[Math.floor(rand() * src.mmlu.length)]!;
    return src.hard[Math.floor(rand() * src.hard.length)]!;
  };
  const out: ReplayItem[] = [];
  let session = 0;
  const span = 3_600_000;
  while (out.length < o.requests) {
    session++;
    const turns = rand() < 0.4 ? 2 + Math.floor(rand() * 3) : 1;
    const at0 = start + Math.floor(rand() * span);
    const history: Message[] = [];
    for (let t = 0; t < turns && out.length < o.requests; t++) {
      const q = pick();
      const h = hashOf(q.text);
      // retrieval: the same question retrieves the same chunks (so a repeat stays an exact repeat)
      const ctx = Array.from({ length: nChunks }, (_, k) => src.chunks[(h + k * 7919) % src.chunks.length]!);
      const userText = `<context>\n${ctx.map((c, k) => `<document id="${k + 1}">\n${c}\n</document>`).join('\n')}\n</context>\n\nCustomer: ${q.text}`;
      const request: ChatRequest = {
        model: 'support',
        system: [{ type: 'text', text: system }],
        messages: [...history, { role: 'user', content: [{ type: 'text', text: userText }] }],
        temperature: 0,
        stream: false,
        includeUsage: false,
        extra: {},
      };
      const outputTokens = q.outputTokens ?? lognormal(300);
      const id = `s${session}t${t}`;
      const prefix: PrefixBlock[] = [{ hash: `sys:${o.shortSystemPrompt ? 'short' : 'full'}`, tokens: systemTokens }];
      const item: ReplayItem = {
        id,
        at: at0 + t * 60_000,
        request,
        synthetic: false,
        format: 'openai',
        endpoint: '/v1/chat/completions',
        caller: { keyId: 'support-app', team: 'support', user: `customer-${session}` },
        inputTokens: estimateInputTokens(request),
        outputTokens,
        prefix,
        background: q.kind === 'knowledge' && turns === 1 && rand() < 0.15,
      };
      // the support app files engineering questions in their own queue, which a rule can read
      if (q.kind === 'hard') item.headers = { 'x-support-queue': 'engineering' };
      if (q.cheapQ !== undefined && q.strongQ !== undefined) {
        item.outcomes = Object.fromEntries([...o.cheapModels.map((m) => [m, q.cheapQ!]), ...o.strongModels.map((m) => [m, q.strongQ!])]);
      }
      out.push(item);
      // the next turn resends this one: the question (without the chunks) and an answer of its length
      history.push({ role: 'user', content: [{ type: 'text', text: q.text }] }, { role: 'assistant', content: [{ type: 'text', text: src.chunks[(h + 1) % src.chunks.length]!.slice(0, Math.min(1000, outputTokens * 4)) }] });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}
