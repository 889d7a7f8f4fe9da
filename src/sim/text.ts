// Deterministic English-looking answers of an exact token length, from a built-in vocabulary.

import { Rng } from './random.js';
import { encodeText, decodeTokens } from './tokens.js';

const OPENERS = [
  'Here is a practical way to approach this.',
  'Short answer: it depends on a few trade-offs, so let us walk through them.',
  'Good question. The key idea is simpler than it first looks.',
  'There are a few things worth separating here.',
  'Let us start with the constraints and work forward from there.',
  'In most real systems the answer comes down to three factors.',
];
const SUBJECTS = [
  'the request path', 'a small cache', 'the configuration', 'each worker', 'the main loop', 'the data model',
  'a careful reader', 'the test suite', 'the first approach', 'this function', 'the scheduler', 'an index',
  'the user interface', 'the database', 'a simple heuristic', 'the final result', 'the network layer', 'the team',
];
const VERBS = [
  'keeps', 'reduces', 'improves', 'changes', 'avoids', 'measures', 'limits', 'handles', 'stores', 'returns',
  'explains', 'balances', 'validates', 'splits', 'combines', 'tracks', 'simplifies', 'exposes',
];
const OBJECTS = [
  'the overall cost', 'most of the latency', 'every edge case', 'the memory footprint', 'the error rate',
  'a clear boundary', 'the expected output', 'the common path', 'a stable interface', 'the slow queries',
  'each input value', 'the total budget', 'a predictable order', 'the important details', 'the hot spots',
];
const TAILS = [
  'without adding much complexity', 'in a way that is easy to test', 'when the load is high',
  'as long as the inputs are valid', 'for the typical case', 'at the cost of some flexibility',
  'which matters more than it seems', 'before anything else runs', 'over a longer period of time',
  'so the behaviour stays predictable', 'and that is usually enough',
];
const CONNECTORS = ['In practice,', 'As a result,', 'For example,', 'On the other hand,', 'Most of the time,', 'Then', 'Finally,', 'Note that', 'Similarly,', 'However,'];
const HEADINGS = ['Overview', 'Key steps', 'Trade-offs', 'Example', 'Details', 'Summary', 'Next steps', 'Why it works'];

function sentence(rng: Rng): string {
  const s = `${rng.pick(SUBJECTS)} ${rng.pick(VERBS)} ${rng.pick(OBJECTS)}${rng.chance(0.6) ? ` ${rng.pick(TAILS)}` : ''}.`;
  if (rng.chance(0.45)) return `${rng.pick(CONNECTORS)} ${s}`;
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function paragraph(rng: Rng): string {
  const kind = rng.next();
  if (kind < 0.2) {
    const n = rng.int(2, 4);
    return Array.from({ length: n }, (_, i) => `${i + 1}. ${sentence(rng)}`).join('\n');
  }
  if (kind < 0.3) return `### ${rng.pick(HEADINGS)}\n\n${sentence(rng)} ${sentence(rng)}`;
  if (kind < 0.4) return Array.from({ length: rng.int(2, 4) }, () => `- ${sentence(rng)}`).join('\n');
  return Array.from({ length: rng.int(2, 5) }, () => sentence(rng)).join(' ');
}

/** Exactly `tokens` o200k tokens of prose; returned as the token ids and their text pieces. */
export function generateText(rng: Rng, tokens: number): { ids: number[]; pieces: string[]; text: string } {
  if (tokens <= 0) return { ids: [], pieces: [], text: '' };
  let text = rng.pick(OPENERS);
  let ids = encodeText(text);
  while (ids.length < tokens) {
    // ~1.3 tokens per word, ~17 words per sentence: add roughly what is missing, then re-count
    const missing = tokens - ids.length;
    const chunk: string[] = [];
    let budget = missing;
    while (budget > 0) {
      const p = paragraph(rng);
      chunk.push(p);
      budget -= Math.ceil(p.length / 4);
    }
    text += `\n\n${chunk.join('\n\n')}`;
    ids = encodeText(text);
  }
  ids = ids.slice(0, tokens);
  const pieces = ids.map((id) => decodeTokens([id]));
  return { ids, pieces, text: pieces.join('') };
}
