// The `judge:` config section: the judge model, its rubric, and how much live traffic it sees.

import { z } from 'zod';

export const judgeConfigSchema = z
  .object({
    /** a model from `models:` that grades answers (called through the gateway's own providers) */
    model: z.string().min(1),
    /** the grading instructions put before the question and the answer; default: rubric.ts's DEFAULT_RUBRIC */
    rubric: z.string().min(1).max(8000).optional(),
    /** the share of successful user requests whose answer is judged (a draw per request) */
    sampleRate: z.number().min(0).max(1).default(0.05),
    /**
     * the share of routed requests that are shadow-evaluated: a request answered by a weaker tier
     * also runs on the route's strongest model and both answers are judged; one answered by the
     * strongest model is judged once and counts as a pair of equal scores
     */
    shadowRate: z.number().min(0).max(1).default(0),
    /**
     * the share of semantic-cache hits that are shadow-checked: the upstream answers the question
     * too (off the response path) and the judge says whether the cached answer answers it; this
     * estimates the cache's live false-hit rate, held to cache.semantic.maxFalseHitRate
     */
    cacheShadowRate: z.number().min(0).max(1).default(0),
    /** judge and shadow calls in flight at once */
    concurrency: z.number().int().min(1).max(64).default(2),
    /** evaluations waiting for a slot; past this they are dropped (and counted) */
    queueSize: z.number().int().min(1).max(10_000).default(200),
    /** pairs a route (or judged hits a cache policy) needs before its estimate may tighten the lever */
    minSamples: z.number().int().min(2).default(30),
    /** the interval's confidence level */
    confidence: z.number().gt(0.5).lt(1).default(0.95),
    /**
     * tighten a route's classifier when its quality ratio's upper bound is below its target, and a
     * semantic cache's threshold when its false-hit rate's lower bound is above its maxFalseHitRate
     */
    tighten: z.boolean().default(true),
    /** how far one tightening moves: the next operating point with at least this much more strong share */
    tightenStep: z.number().gt(0).max(1).default(0.1),
  })
  .strict()
  .optional();

export type JudgeConfig = NonNullable<z.infer<typeof judgeConfigSchema>>;
