// Background prompts for the out-of-distribution guard: traffic that is not any router's training
// set, from public data in the shared directory (none of it is an outcome set we evaluate on).
// Arena-Hard's 500 real Chatbot Arena prompts, 3,000 Quora questions and GPTCache's 999 tech
// sentences.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom, shuffleInPlace } from './train.js';

export const BACKGROUND_SOURCES = 'arena-hard-v0.1-lite/question.jsonl (500), gptcache-qqp/qqp_pairs_labeled.jsonl (3,000 distinct questions, seeded sample), gptcache-qqp/mock_data_paraphrases.json (999)';

export function loadBackground(dataDir: string, seed = 7): string[] {
  const arena = readFileSync(join(dataDir, 'arena-hard-v0.1-lite', 'question.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { turns: { content: string }[] }).turns[0]!.content);
  const qqp = new Set<string>();
  for (const l of readFileSync(join(dataDir, 'gptcache-qqp', 'qqp_pairs_labeled.jsonl'), 'utf8').split('\n')) {
    if (!l.trim()) continue;
    const p = JSON.parse(l) as { text_a: string; text_b: string };
    qqp.add(p.text_a.trim());
  }
  const questions = shuffleInPlace([...qqp].filter(Boolean), seededRandom(seed)).slice(0, 3000);
  const mock = (JSON.parse(readFileSync(join(dataDir, 'gptcache-qqp', 'mock_data_paraphrases.json'), 'utf8')) as { origin: string }[]).map((m) => m.origin);
  return [...arena, ...questions, ...mock];
}
