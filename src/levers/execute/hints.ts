// What the router tells the executor beyond ctx.target/ctx.fallbacks: the error classes on which the
// chosen route moves to a fallback. Kept off the shared GatewayContext contract (a WeakMap keyed by
// the context), so only these two stages know about it.

import type { GatewayContext } from '../../pipeline/stage.js';

const fallbackPolicy = new WeakMap<GatewayContext, ReadonlySet<string>>();

export function setFallbackPolicy(ctx: GatewayContext, classes: ReadonlySet<string>): void {
  fallbackPolicy.set(ctx, classes);
}

export function fallbackPolicyOf(ctx: GatewayContext): ReadonlySet<string> | undefined {
  return fallbackPolicy.get(ctx);
}
