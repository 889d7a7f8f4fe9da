// The judge's prompt and how its verdict is read. Pure: no I/O.
//
// The prompt puts the question and the answer between tags (and a reference answer when one
// exists), so any judge model can read it and the simulator's judge can parse it; the verdict is
// "Score: N" with N from 0 to 10, read back as N / 10.

export const DEFAULT_RUBRIC =
  'You are grading an assistant\'s answer to a user\'s question. Judge correctness first, then completeness and clarity. ' +
  'A wrong final answer scores at most 2.';

/** questions and answers longer than this are cut (head and tail kept) before judging, so a judge call's cost stays bounded */
export const JUDGE_TEXT_CHARS = 16_000;

/** a long text keeps its head and its tail: an answer's conclusion (its final answer) is at the end */
function cut(s: string): string {
  if (s.length <= JUDGE_TEXT_CHARS) return s;
  const half = Math.floor(JUDGE_TEXT_CHARS / 2);
  return `${s.slice(0, half)}\n[... ${s.length - 2 * half} characters left out ...]\n${s.slice(-half)}`;
}

export function judgePrompt(rubric: string | undefined, question: string, answer: string, reference?: string): string {
  return [
    rubric ?? DEFAULT_RUBRIC,
    '',
    `<question>\n${cut(question)}\n</question>`,
    `<answer>\n${cut(answer)}\n</answer>`,
    ...(reference !== undefined ? [`<reference>\n${cut(reference)}\n</reference>`, 'Compare the answer with the reference answer.'] : []),
    '',
    'Reply with one line: "Score: N", where N is an integer from 0 (wrong or useless) to 10 (correct and complete).',
  ].join('\n');
}

/** the verdict's score in [0, 1], or undefined when the judge did not answer in the format */
export function parseScore(text: string): number | undefined {
  const m = /score\s*[:=]\s*(\d{1,2}(?:\.\d+)?)/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n >= 0 && n <= 10 ? n / 10 : undefined;
}

/**
 * The semantic cache's shadow check: the answer the cache served (stored for an earlier, similar
 * question) against a fresh upstream answer to this question as the reference. A score under
 * PASS_SCORE says the cached answer does not answer this question: a false hit.
 */
export const CACHE_HIT_RUBRIC =
  'You are checking a cached answer. The answer below was stored for an earlier question that looked similar to this one; ' +
  'the reference is a fresh answer to this question. Score 10 when the answer answers this question as the reference does ' +
  '(the same final answer), 0 when it answers a different question or disagrees with the reference.';

export const PASS_SCORE = 0.5;

export function cacheHitPrompt(question: string, cachedAnswer: string, freshAnswer: string): string {
  return judgePrompt(CACHE_HIT_RUBRIC, question, cachedAnswer, freshAnswer);
}
