// Labeled routing outcomes from public data (read from the shared data directory, never copied in
// full): per prompt, the quality a weak and a strong model reached, plus what each call costs at
// real list prices. Sources and their READMEs: ../shared/data/routellm-evals, llmrouter-9model,
// pricing (LiteLLM's price table).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countTextTokens } from '../../core/tokens.js';

export interface OutcomeItem {
  /** items of one group always land in the same split (MT-Bench: both turns of a question) */
  group: string;
  text: string;
  task: string;
  weakQ: number;
  strongQ: number;
  inputTokens: number;
}

export interface OutcomeSet {
  name: string;
  weakModel: string;
  strongModel: string;
  /** USD per 1M tokens */
  prices: { weak: { input: number; output: number }; strong: { input: number; output: number }; source: string };
  /** output tokens assumed per answer (the data sets do not carry them) */
  outputTokens: number;
  /** quality scale: scores are in [0, scale] */
  scale: number;
  items: OutcomeItem[];
  notes: string[];
}

/** RFC 4180 CSV (quoted fields with commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else q = false;
      } else field += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function litellmPrice(dataDir: string, model: string): { input: number; output: number } {
  const rows = parseCsv(readFileSync(join(dataDir, 'pricing', 'litellm_chat_prices_flat.csv'), 'utf8'));
  const head = rows[0]!;
  const iIn = head.indexOf('input_usd_per_mtok');
  const iOut = head.indexOf('output_usd_per_mtok');
  const row = rows.find((r) => r[0] === model);
  if (!row) throw new Error(`no price for ${model} in pricing/litellm_chat_prices_flat.csv`);
  return { input: Number(row[iIn]), output: Number(row[iOut]) };
}

export function loadMmlu(dataDir: string): OutcomeSet {
  const dir = join(dataDir, 'routellm-evals');
  const rows = parseCsv(readFileSync(join(dir, 'mmlu_mixtral_vs_gpt4.csv'), 'utf8'));
  const head = rows[0]!;
  const [iSub, iPrompt, iW, iS] = ['subject', 'prompt', 'mixtral_8x7b_correct', 'gpt4_1106_correct'].map((h) => head.indexOf(h));
  const contaminated = new Set(
    readFileSync(join(dir, 'mmlu_contaminated_prompts.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { eval_prompt: string }).eval_prompt),
  );
  const items: OutcomeItem[] = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.length < 4) continue;
    const text = row[iPrompt!]!;
    if (contaminated.has(text)) continue;
    items.push({ group: `q${r}`, text, task: row[iSub!]!, weakQ: row[iW!] === 'True' ? 1 : 0, strongQ: row[iS!] === 'True' ? 1 : 0, inputTokens: countTextTokens(text) });
  }
  return {
    name: 'mmlu',
    weakModel: 'mixtral-8x7b-instruct',
    strongModel: 'gpt-4-1106-preview',
    prices: { weak: litellmPrice(dataDir, 'mistral/open-mixtral-8x7b'), strong: litellmPrice(dataDir, 'gpt-4-1106-preview'), source: 'pricing/litellm_chat_prices_flat.csv: gpt-4-1106-preview, mistral/open-mixtral-8x7b' },
    outputTokens: 5,
    scale: 1,
    items,
    notes: [`${contaminated.size} contaminated prompts excluded, as RouteLLM does`, 'output tokens per answer assumed 5 (a letter answer)'],
  };
}

export function loadMtBench(dataDir: string): OutcomeSet {
  const dir = join(dataDir, 'routellm-evals');
  const questions = new Map<number, { category: string; turns: string[] }>();
  for (const l of readFileSync(join(dir, 'mt_bench_questions.jsonl'), 'utf8').split('\n')) {
    if (!l.trim()) continue;
    const q = JSON.parse(l) as { question_id: number; category: string; turns: string[] };
    questions.set(q.question_id, q);
  }
  const scores = new Map<string, { w?: number; s?: number }>();
  for (const l of readFileSync(join(dir, 'mt_bench_judgements_gpt4judge.jsonl'), 'utf8').split('\n')) {
    if (!l.trim()) continue;
    const j = JSON.parse(l) as { question_id: number; model: string; score: number; turn: number };
    const k = `${j.question_id}:${j.turn}`;
    const e = scores.get(k) ?? {};
    if (j.model.startsWith('gpt-4')) e.s = j.score;
    else e.w = j.score;
    scores.set(k, e);
  }
  const items: OutcomeItem[] = [];
  for (const [k, e] of scores) {
    if (e.w === undefined || e.s === undefined || e.w < 0 || e.s < 0) continue;
    const [qid, turn] = k.split(':').map(Number) as [number, number];
    const q = questions.get(qid);
    if (!q) continue;
    const text = q.turns.slice(0, turn).join('\n\n');
    items.push({ group: `q${qid}`, text, task: q.category, weakQ: e.w, strongQ: e.s, inputTokens: countTextTokens(text) });
  }
  return {
    name: 'mt-bench',
    weakModel: 'mixtral-8x7b-instruct',
    strongModel: 'gpt-4-1106-preview',
    prices: { weak: litellmPrice(dataDir, 'mistral/open-mixtral-8x7b'), strong: litellmPrice(dataDir, 'gpt-4-1106-preview'), source: 'pricing/litellm_chat_prices_flat.csv' },
    outputTokens: 400,
    scale: 10,
    items,
    notes: ['GPT-4 judge scores 1-10, both turns; quality = mean score', '160 items: evaluated with 5-fold cross-validation by question (out-of-fold scores only)', 'output tokens per answer assumed 400'],
  };
}

export function loadLlmRouter(dataDir: string, weak = 'gemma-2-9b-it', strong = 'llama-3.1-nemotron-51b-instruct'): OutcomeSet {
  const dir = join(dataDir, 'llmrouter-9model');
  const prices = JSON.parse(readFileSync(join(dir, 'llm_candidates_prices.json'), 'utf8')) as Record<string, { input_price: number; output_price: number }>;
  const p = (m: string): { input: number; output: number } => {
    const e = prices[m];
    if (!e) throw new Error(`llmrouter-9model: unknown model ${m} (have ${Object.keys(prices).join(', ')})`);
    return { input: e.input_price, output: e.output_price };
  };
  const items: OutcomeItem[] = [];
  let i = 0;
  for (const l of readFileSync(join(dir, 'train.jsonl'), 'utf8').split('\n')) {
    if (!l.trim()) continue;
    const r = JSON.parse(l) as { task_name: string; question: string; scores: Record<string, number> };
    const w = r.scores[weak];
    const s = r.scores[strong];
    if (w === undefined || s === undefined) throw new Error(`llmrouter-9model: row ${i} lacks ${weak} or ${strong}`);
    items.push({ group: `r${i++}`, text: r.question, task: r.task_name, weakQ: w, strongQ: s, inputTokens: countTextTokens(r.question) });
  }
  return {
    name: 'llmrouter',
    weakModel: weak,
    strongModel: strong,
    prices: { weak: p(weak), strong: p(strong), source: 'llmrouter-9model/llm_candidates_prices.json' },
    outputTokens: 200,
    scale: 1,
    items,
    notes: ['train.jsonl only (the test.jsonl of the source is held back from this copy); our own seeded split', 'output tokens per answer assumed 200'],
  };
}

export function itemCost(set: OutcomeSet, item: OutcomeItem, which: 'weak' | 'strong'): number {
  const pr = set.prices[which];
  return (item.inputTokens * pr.input + set.outputTokens * pr.output) / 1e6;
}
