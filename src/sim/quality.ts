// Answer quality in the simulator: whether a model gets a question right, so the judge, shadow
// evaluation and self-tightening levers run end to end with no key. Everything is deterministic:
//
//   difficulty(q) in [0, 1] = 0.6 * u(q) + 0.25 * min(1, words(q) / 150) + 0.15 * [q has a hard keyword]
//     u(q): a uniform draw from SHA-256(question); hard keywords: prove, derive, why, optimal, step by step
//   P(correct | model, q) = strength(model) ^ (0.5 + 3 * difficulty(q))
//     so a strong model (strength 0.95) falls from 0.97 to 0.85 across difficulties and a weak one
//     (0.85) from 0.92 to 0.57: the weak model loses more on hard questions.
//   correct = v(seed, model, q) < P, v another uniform draw: one fixed outcome per (model, question)
//
// A correct answer ends with "Final answer: <the question's token>." (the token is a hash of the
// question), a wrong one with another token. The simulator's judge (a chat request in the judge's
// rubric format, see JUDGE_PATTERN) checks that token and says "Score: 10" or "Score: 0", flipped
// with probability JUDGE_NOISE (a draw from the seed, question and answer). Given a reference answer
// (`<reference>`, the semantic cache's shadow check) it says whether the answer's final token is the
// reference's, flipped with probability REFERENCE_JUDGE_NOISE.
//
// A question is its meaning(): case, punctuation and filler words ("please") do not change it, so
// "How many legs does a spider have?" and "how many legs does a spider have" are one question (the
// same difficulty, outcome and token) while "... does an ant have?" is another. That is what lets
// the semantic cache's live false-hit estimate be checked against a known truth.

import { hashSeed } from './random.js';

const HARD = /\b(prove|derive|why|optimal|step by step)\b/i;
export const JUDGE_NOISE = 0.03;
/** comparing an answer with a reference is easier than grading it alone: a smaller flip rate */
export const REFERENCE_JUDGE_NOISE = 0.002;
const REFERENCE_PATTERN = /<reference>\n?([\s\S]*?)\n?<\/reference>/;
const FILLER = new Set(['please', 'kindly', 'hey', 'hi', 'hello', 'thanks']);

/** what the simulator takes a question to ask: lower case, no punctuation, no filler words */
export function meaning(question: string): string {
  return question
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]+/gu, ' ')
    .split(/\s+/)
    .filter((w) => w !== '' && !FILLER.has(w))
    .join(' ');
}
/** the judge's rubric format: the question and the answer between these tags (src/quality/ writes it) */
export const JUDGE_PATTERN = /<question>\n?([\s\S]*?)\n?<\/question>\s*<answer>\n?([\s\S]*?)\n?<\/answer>/;

const unit = (...parts: (string | number)[]): number => hashSeed(...parts) / 4294967296;

export function difficulty(question: string): number {
  const q = meaning(question);
  const words = q === '' ? 0 : q.split(' ').length;
  return Math.min(1, 0.6 * unit('difficulty', q) + 0.25 * Math.min(1, words / 150) + (HARD.test(q) ? 0.15 : 0));
}

export function pCorrect(strength: number, question: string): number {
  return Math.pow(Math.max(0, Math.min(1, strength)), 0.5 + 3 * difficulty(question));
}

/** the expected score the simulator's judge gives (in [0, 1]): correctness seen through its noise */
export function expectedJudgedScore(strength: number, question: string): number {
  const p = pCorrect(strength, question);
  return p * (1 - JUDGE_NOISE) + (1 - p) * JUDGE_NOISE;
}

export function rightToken(question: string): string {
  return `Q${(hashSeed('answer', meaning(question)) % 90000) + 10000}`;
}

function wrongToken(question: string, model: string): string {
  const right = hashSeed('answer', meaning(question)) % 90000;
  const off = 1 + (hashSeed('wrong', model, meaning(question)) % 89999);
  return `Q${((right + off) % 90000) + 10000}`;
}

export function isCorrect(seed: number, model: string, strength: number, question: string): boolean {
  return unit('correct', seed, model, meaning(question)) < pCorrect(strength, question);
}

/** the last words of a simulated answer to `question` by `model` */
export function finalAnswerLine(seed: number, model: string, strength: number, question: string): string {
  const token = isCorrect(seed, model, strength, question) ? rightToken(question) : wrongToken(question, model);
  return `\n\nFinal answer: ${token}.`;
}

/** the simulator judge's reply to a rubric-format prompt, or undefined when the text is not one */
export function judgeReply(seed: number, prompt: string): string | undefined {
  const m = JUDGE_PATTERN.exec(prompt);
  if (!m) return undefined;
  const question = m[1]!;
  const answer = m[2]!;
  const reference = REFERENCE_PATTERN.exec(prompt)?.[1];
  const said = finalToken(answer);
  if (reference !== undefined) {
    let same = said !== undefined && said === finalToken(reference);
    if (unit('reference-noise', seed, meaning(question), answer, reference) < REFERENCE_JUDGE_NOISE) same = !same;
    return `Score: ${same ? 10 : 0}`;
  }
  let right = said === rightToken(question);
  if (unit('judge-noise', seed, meaning(question), answer) < JUDGE_NOISE) right = !right;
  return `Score: ${right ? 10 : 0}`;
}

/** the token a simulated answer ends with ("Final answer: Q12345."), if it has one */
export function finalToken(answer: string): string | undefined {
  return /Final answer:\s*(Q\d+)\.?\s*$/.exec(answer.trim())?.[1];
}

/** the text of the last user turn of an OpenAI or Anthropic messages array (string or text parts) */
export function lastUserText(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown } | null;
    if (!m || m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      const texts = m.content.filter((p): p is { type: 'text'; text: string } => !!p && (p as { type?: unknown }).type === 'text' && typeof (p as { text?: unknown }).text === 'string');
      return texts.map((p) => p.text).join('\n');
    }
    return undefined;
  }
  return undefined;
}

/** GenInput.quality for a request body, when the sim's quality is on and the last turn is the user's text */
export function qualityInput(state: { quality: boolean; seed: number }, body: { messages?: unknown }): { seed: number; question: string } | undefined {
  if (!state.quality) return undefined;
  const question = lastUserText(body.messages);
  return question === undefined ? undefined : { seed: state.seed, question };
}
