// A flag as an admin sends it (the admin API, the CLI, an alert action), checked against the
// running config: an overlay may only name a model the gateway serves, a tier the route has and a
// lever in the pipeline, so a typo is a 400 at the change, not a 500 on every request after it.

import { z } from 'zod';
import { GatewayError } from '../core/errors.js';
import type { Flag } from '../stores/flags.js';

export const FLAG_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const overlaySchema = z
  .object({
    model: z.string().min(1).max(256).optional(),
    tier: z.string().min(1).max(128).optional(),
    maxTier: z.string().min(1).max(128).optional(),
    levers: z.record(z.string().min(1).max(64), z.boolean()).optional(),
  })
  .strict()
  .refine((o) => Object.keys(o).length > 0, 'an overlay changes at least one of model, tier, maxTier, levers');

export const flagInputSchema = z
  .object({
    name: z.string().regex(FLAG_NAME, 'a flag name is 1-128 letters, digits and . _ : - (starting with a letter or digit)'),
    value: z.union([z.boolean(), z.string().max(1024), z.number().finite()]),
    target: z.string().min(1).max(256).optional(),
    overlay: overlaySchema.optional(),
    description: z.string().max(1024).optional(),
    reason: z.string().min(1, 'say why: every change is audited').max(1024),
  })
  .strict()
  .refine((f) => !f.overlay || typeof f.value === 'boolean', { message: 'a flag with an overlay is boolean: true applies it, false keeps it defined but off', path: ['value'] })
  .refine((f) => f.target === undefined || f.overlay !== undefined, { message: 'target only means something with an overlay', path: ['target'] });

export type FlagInput = z.infer<typeof flagInputSchema>;

/** What the running config serves, for checking overlays. */
export interface PolicyShape {
  /** the model names clients may send (models: and routes:) */
  isServed(name: string): boolean;
  /** a route's tier names and every model it may send to, or undefined for a name that is not a route */
  route(name: string): { tiers: string[]; models: string[] } | undefined;
  /** lever names in `pipeline` */
  levers: readonly string[];
}

export function parseFlagInput(body: unknown, shape: PolicyShape): FlagInput {
  const r = flagInputSchema.safeParse(body);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new GatewayError('invalid_request', `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`, { param: i.path.join('.') || undefined });
  }
  const f = r.data;
  const o = f.overlay;
  if (!o) return f;
  const target = f.target ?? '*';
  if (target !== '*' && !shape.isServed(target)) throw bad('target', `target '${target}' is neither a route nor a model this gateway serves ('*' for every request)`);
  const route = target === '*' ? undefined : shape.route(target);
  if ((o.tier !== undefined || o.maxTier !== undefined) && !route) throw bad('overlay', 'tier and maxTier need a route as the target');
  for (const k of ['tier', 'maxTier'] as const) {
    const t = o[k];
    if (t !== undefined && !route!.tiers.includes(t)) throw bad(`overlay.${k}`, `route '${target}' has no tier '${t}' (tiers: ${route!.tiers.join(', ')})`);
  }
  if (o.model !== undefined) {
    if (route ? !route.models.includes(o.model) : !shape.isServed(o.model) || shape.route(o.model) !== undefined) {
      throw bad('overlay.model', route ? `route '${target}' never sends to '${o.model}' (its models: ${route.models.join(', ')})` : `'${o.model}' is not a model this gateway serves`);
    }
  }
  for (const lever of Object.keys(o.levers ?? {})) {
    if (!shape.levers.includes(lever)) throw bad(`overlay.levers.${lever}`, `'${lever}' is not in the pipeline (${shape.levers.join(', ')})`);
  }
  return f;
}

function bad(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}

export function toFlag(f: FlagInput, by: string, at: number): Flag {
  return {
    name: f.name,
    value: f.value,
    ...(f.target !== undefined || f.overlay ? { target: f.target ?? '*' } : {}),
    ...(f.overlay ? { overlay: f.overlay } : {}),
    ...(f.description !== undefined ? { description: f.description } : {}),
    updatedAt: at,
    updatedBy: by,
    reason: f.reason,
  };
}
