// The judge's prompts: a long answer keeps its conclusion when cut, and the cache check's reference
// decides the simulator's verdict (the same final answer or not), whatever the question's case.
import { expect, it } from 'vitest';
import { JUDGE_TEXT_CHARS, cacheHitPrompt, judgePrompt, parseScore } from '../../src/quality/rubric.js';
import { judgeReply, meaning, rightToken } from '../../src/sim/quality.js';

it('cuts a long answer to its head and tail, so its final answer is still judged', () => {
  const q = 'How do I bake rye bread at home?';
  const long = 'word '.repeat(10_000) + `\n\nFinal answer: ${rightToken(q)}.`;
  const p = judgePrompt(undefined, q, long);
  expect(p.length).toBeLessThan(JUDGE_TEXT_CHARS + 1000);
  expect(p).toContain('characters left out');
  expect(p).toContain(`Final answer: ${rightToken(q)}.`);
  expect(parseScore(judgeReply(7, p)!)).toBe(1);
});

it('the cache check compares the cached answer with the reference, and paraphrases are one question', () => {
  const q = 'How do I bake rye bread at home?';
  const para = 'Please, how do i bake rye bread at home';
  const near = 'How do I bake corn bread at home?';
  expect(meaning(para)).toBe(meaning(q));
  expect(rightToken(para)).toBe(rightToken(q));
  expect(rightToken(near)).not.toBe(rightToken(q));
  const answer = (token: string) => `Some text.\n\nFinal answer: ${token}.`;
  let same = 0;
  let differ = 0;
  for (let seed = 0; seed < 200; seed++) {
    if (parseScore(judgeReply(seed, cacheHitPrompt(para, answer(rightToken(q)), answer(rightToken(para))))!) === 1) same++;
    if (parseScore(judgeReply(seed, cacheHitPrompt(near, answer(rightToken(q)), answer(rightToken(near))))!) === 0) differ++;
  }
  // the reference judge's noise is 0.2%
  expect(same).toBeGreaterThanOrEqual(198);
  expect(differ).toBeGreaterThanOrEqual(198);
});
