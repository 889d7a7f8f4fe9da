// The admin endpoint: read and change latency and fault settings while the simulator runs.
//   GET  /_sim/models            all models with their live settings
//   GET  /_sim/models/:model     one model
//   PUT  /_sim/models/:model     merge {ttftBaseMs, prefillMsPerToken, tokensPerSec, jitterSigma, queueMs,
//                                outputMeanTokens, outputSigma, toolCallProbability, requestsPerMin,
//                                tokensPerMin, faults} into the model's settings
//                                strength (answer quality, see quality.ts)
//   GET  /_sim/config, PUT /_sim/config   {latencyScale, enforceRateLimits, quality}
//   GET  /_sim/stats             requests and injected faults per model / kind
//   GET  /_sim/requests          the last 64 model requests received: path, protocol headers, body as sent
//   POST /_sim/reset             back to start-up settings; caches, rate windows and counters emptied

import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { FAULT_KINDS, FaultSpecError, formatFaults, parseFaults, type FaultRule } from './faults.js';
import { sendJson } from './http-io.js';
import type { SimModelInfo } from './settings.js';
import type { SimState } from './state.js';

const faultRule = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  p: z.number().min(0).max(1).optional(),
  retryAfterS: z.number().min(0).optional(),
  at: z.number().min(0).max(1).optional(),
});

export const settingsPatch = z.strictObject({
  queueMs: z.number().min(0).optional(),
  ttftBaseMs: z.number().min(0).optional(),
  prefillMsPerToken: z.number().min(0).optional(),
  tokensPerSec: z.number().positive().optional(),
  jitterSigma: z.number().min(0).max(3).optional(),
  outputMeanTokens: z.number().positive().optional(),
  outputSigma: z.number().min(0).max(3).optional(),
  toolCallProbability: z.number().min(0).max(1).optional(),
  strength: z.number().min(0).max(1).optional(),
  requestsPerMin: z.number().int().positive().optional(),
  tokensPerMin: z.number().int().positive().optional(),
  /** the x-sim-fault grammar as a string, or a list of rules; [] or "" clears */
  faults: z.union([z.string(), z.array(faultRule)]).optional(),
});

const configPatch = z.strictObject({ latencyScale: z.number().min(0).max(1000).optional(), enforceRateLimits: z.boolean().optional(), quality: z.boolean().optional() });

function view(m: SimModelInfo) {
  return {
    id: m.id,
    wire: m.wire,
    kind: m.kind,
    aliases: m.aliases,
    promptCache: m.promptCache,
    minCacheTokens: m.minCacheTokens,
    settings: m.settings,
    faultsSpec: formatFaults(m.settings.faults),
  };
}

function issues(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

export function handleAdmin(req: IncomingMessage, res: ServerResponse, raw: string, state: SimState, path: string): void {
  const bad = (status: number, message: string) => sendJson(res, status, { error: { message } });
  let body: unknown = undefined;
  if (raw.trim() !== '') {
    try {
      body = JSON.parse(raw);
    } catch {
      return bad(400, 'body is not valid JSON');
    }
  }
  const method = req.method ?? 'GET';
  if (path === '/_sim/reset' && method === 'POST') {
    state.reset();
    return sendJson(res, 200, { ok: true });
  }
  if (path === '/_sim/stats' && method === 'GET') return sendJson(res, 200, state.stats);
  if (path === '/_sim/requests' && method === 'GET') return sendJson(res, 200, { requests: state.received });
  if (path === '/_sim/config') {
    if (method === 'GET') return sendJson(res, 200, { seed: state.seed, latencyScale: state.latencyScale, enforceRateLimits: state.enforceRateLimits, quality: state.quality });
    if (method === 'PUT') {
      const p = configPatch.safeParse(body ?? {});
      if (!p.success) return bad(400, issues(p.error));
      if (p.data.latencyScale !== undefined) state.latencyScale = p.data.latencyScale;
      if (p.data.enforceRateLimits !== undefined) state.enforceRateLimits = p.data.enforceRateLimits;
      if (p.data.quality !== undefined) state.quality = p.data.quality;
      return sendJson(res, 200, { seed: state.seed, latencyScale: state.latencyScale, enforceRateLimits: state.enforceRateLimits, quality: state.quality });
    }
  }
  if (path === '/_sim/models' && method === 'GET') {
    return sendJson(res, 200, { latencyScale: state.latencyScale, models: [...state.models.values()].map(view) });
  }
  const m = path.match(/^\/_sim\/models\/([^/]+)$/);
  if (m) {
    const model = state.resolve(decodeURIComponent(m[1]!));
    if (!model) return bad(404, `no simulated model '${decodeURIComponent(m[1]!)}' (known: ${[...state.models.keys()].join(', ')})`);
    if (method === 'GET') return sendJson(res, 200, view(model));
    if (method === 'PUT' || method === 'PATCH') {
      const p = settingsPatch.safeParse(body ?? {});
      if (!p.success) return bad(400, issues(p.error));
      const { faults, ...rest } = p.data;
      let rules: FaultRule[] | undefined;
      if (typeof faults === 'string') {
        try {
          rules = parseFaults(faults);
        } catch (e) {
          if (e instanceof FaultSpecError) return bad(400, `faults: ${e.message}`);
          throw e;
        }
      } else if (faults) rules = faults;
      const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      model.settings = { ...model.settings, ...defined, ...(rules ? { faults: rules } : {}) };
      return sendJson(res, 200, view(model));
    }
  }
  return bad(404, `no admin route ${method} ${path}`);
}
