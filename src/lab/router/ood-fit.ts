// Fitting the router's out-of-distribution guard (src/levers/router/classifier/ood.ts): a logistic
// regression telling the training prompts (0) from the background (1), over the classifier's
// features folded into a 2^14-slot table; the threshold from the validation prompts' scores.

import { hashFeatures, newScratch, type FeatureSpec } from '../../levers/router/classifier/features.js';
import { OodGuard } from '../../levers/router/classifier/ood.js';
import { DEFAULT_TRAIN, trainLogReg } from './train.js';

/** 2^14 slots (64 KB of weights): a domain discriminator needs far fewer than the router. */
export const OOD_DIM = 1 << 14;
/** Share of validation (in-distribution) prompts the guard may refuse. */
export const OOD_VALIDATION_REFUSAL = 0.02;

export function fitOodGuard(spec: FeatureSpec, train: readonly string[], validation: readonly string[], background: readonly string[], backgroundName: string, seed = DEFAULT_TRAIN.seed, refusal = OOD_VALIDATION_REFUSAL): OodGuard {
  const dim = Math.min(OOD_DIM, spec.dim);
  const gspec: FeatureSpec = { ...spec, dim, useTask: false };
  const examples = [...train.map((text) => ({ text, y: 0 })), ...background.map((text) => ({ text, y: 1 }))];
  const { weights, bias } = trainLogReg(examples, gspec, { ...DEFAULT_TRAIN, epochs: 10, seed });
  const probe = new OodGuard(dim, weights, bias, Infinity, '');
  // score with the router's own hashing (slots are folded into the guard's table at run time)
  const sc = newScratch();
  const scores = validation.map((t) => probe.score(hashFeatures(t, undefined, spec, sc))).sort((a, b) => a - b);
  const threshold = scores.length ? scores[Math.min(scores.length - 1, Math.floor((1 - refusal) * scores.length))]! : 1;
  const basis = `${((1 - refusal) * 100).toFixed(0)}th percentile of ${scores.length} validation prompts; background: ${backgroundName}`;
  return new OodGuard(dim, weights, bias, threshold, basis);
}
