// Sticky assignment: a caller's position in [0, 1) is a hash of the experiment and its sticky id,
// fixed for the experiment's life, and it is in the variant while the share is above it. A ramp
// only raises the share, so a caller in the variant stays there; a caller never flips mid-session
// (a rollback sends everyone back to the baseline, by design).

import { createHash } from 'node:crypto';

export function position(experiment: string, stickyId: string): number {
  const h = createHash('sha256').update(experiment).update('\u0000').update(stickyId).digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

export function inVariant(experiment: string, stickyId: string, sharePercent: number): boolean {
  return sharePercent > 0 && position(experiment, stickyId) < sharePercent / 100;
}
