// An experiment: a variant policy (a flags-style overlay) against the baseline on a sticky share of
// one route's or model's traffic, ramped in steps while its guardrails hold. Definitions are
// checked here; the share in force is a flag (`experiment:<name>`), so every ramp, promotion and
// rollback is a flag change in the audit log, with its reason.

import { z } from 'zod';

export const SHARE_FLAG_PREFIX = 'experiment:';

export const guardrailsSchema = z
  .object({
    /** the variant's error rate may exceed the control's by at most this much (absolute, 0..1) */
    errorRateIncrease: z.number().min(0).max(1).default(0.02),
    /** its mean latency may exceed the control's by at most this share (0.2 = +20%) */
    latencyIncrease: z.number().min(0).default(0.2),
    /** its cost per request may exceed the control's by at most this share */
    costIncrease: z.number().min(0).default(0.1),
    /**
     * its mean judged answer score (0..1, the judge's sampled scores of each arm's answers) may be
     * below the control's by at most this much; a guardrail only where a judge is configured
     */
    qualityDecrease: z.number().min(0).max(1).default(0.05),
  })
  .strict()
  .prefault({});

export const experimentSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'an experiment name is 1-64 letters, digits and . _ -'),
    /** the route or model whose traffic is split */
    target: z.string().min(1),
    /** the variant's policy (what a flag's overlay may change) */
    variant: z
      .object({
        model: z.string().min(1).optional(),
        tier: z.string().min(1).optional(),
        maxTier: z.string().min(1).optional(),
        levers: z.record(z.string(), z.boolean()).optional(),
      })
      .strict()
      .refine((o) => Object.keys(o).length > 0, 'the variant changes at least one of model, tier, maxTier, levers'),
    /** what keeps a caller in one arm: the session (x-tollgate-session), else the user, else the key */
    stickyBy: z.enum(['session', 'user', 'key']).default('session'),
    /** the variant's share at each step, percent, ascending, ending at 100 */
    ramp: z
      .array(z.number().gt(0).max(100))
      .min(1)
      .default([1, 5, 25, 50, 100])
      .refine((r) => r.every((v, i) => i === 0 || v > r[i - 1]!) && r[r.length - 1] === 100, 'the ramp is ascending and ends at 100'),
    /** each step lasts at least this long, and until each arm has `minSamples` requests in it */
    minStepMinutes: z.number().min(0).default(10),
    minSamples: z.number().int().min(2).default(200),
    /** 1 − confidence of every verdict (always valid, however often it is checked) */
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    guardrails: guardrailsSchema,
  })
  .strict();

export type ExperimentDef = z.infer<typeof experimentSchema>;

export type ExperimentState = 'running' | 'completed' | 'rolled_back' | 'stopped';

export interface Experiment {
  def: ExperimentDef;
  state: ExperimentState;
  startedAt: number;
  /** index into def.ramp of the step in force */
  step: number;
  stepStartedAt: number;
  endedAt?: number;
  /** why it ended (the breached guardrail and its interval, or the operator's reason) */
  reason?: string;
  startedBy: string;
  /** the arms' guardrail figures as of the last evaluation pass (`at`): a restart resumes from them */
  figures?: { at: number; control: ArmFigures; variant: ArmFigures };
}

/** one arm's running sums (n, sum, sum of squares) per guardrail metric, and its requests in the current step */
export interface ArmFigures {
  errors: Moments;
  latencyMs: Moments;
  costUsd: Moments;
  quality: Moments;
  stepN: number;
}

export interface Moments {
  n: number;
  sum: number;
  sumSq: number;
}

/** the arm a request is in, as the record's `variant` says it */
export const armLabel = (name: string, arm: 'control' | 'variant'): string => `${name}:${arm}`;
