// Shared bits of the end-to-end routing tests: a client on the gateway, the simulator's admin API,
// ledger look-ups and /metrics parsing. Everything runs against the real gateway and simulator
// (test/gateway/helpers.ts starts both).

import OpenAI from 'openai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLedger } from '../../src/ledger/read.js';
import type { RequestRecord } from '../../src/ledger/record.js';
import { HARNESS_ADMIN_KEY, type Harness } from '../gateway/helpers.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MMLU_WEIGHTS = join(REPO_ROOT, 'data/router/mmlu.json');

export function client(h: Harness): OpenAI {
  return new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'test-key', maxRetries: 0 });
}

/** One chat call; returns the response headers and the ledger id even when the gateway answers an error. */
export async function chat(
  ai: OpenAI,
  body: { model: string; content: string; max_tokens?: number },
  headers: Record<string, string> = {},
): Promise<{ ok: boolean; status: number; id: string; route: string | null; text?: string; error?: InstanceType<typeof OpenAI.APIError> }> {
  try {
    const { data, response } = await ai.chat.completions
      .create({ model: body.model, messages: [{ role: 'user', content: body.content }], max_tokens: body.max_tokens }, { headers })
      .withResponse();
    return { ok: true, status: response.status, id: response.headers.get('x-tollgate-request-id')!, route: response.headers.get('x-tollgate-route'), text: data.choices[0]?.message.content ?? '' };
  } catch (err) {
    if (!(err instanceof OpenAI.APIError)) throw err;
    return { ok: false, status: err.status ?? 0, id: err.headers?.get('x-tollgate-request-id') ?? '', route: err.headers?.get('x-tollgate-route') ?? null, error: err };
  }
}

export async function recordOf(h: Harness, id: string): Promise<RequestRecord> {
  await h.gw.ledger.flush();
  const rec = readLedger(h.dataDir, { last: 1000 }).find((r) => r.requestId === id);
  if (!rec) throw new Error(`no ledger record for ${id}`);
  return rec;
}

/** PUT /_sim/models/:model — change a simulated model's latency or faults at run time. */
export async function simModel(h: Harness, model: string, patch: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${h.sim.url}/_sim/models/${model}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
  if (res.status !== 200) throw new Error(`sim admin PUT ${model}: ${res.status} ${await res.text()}`);
}

export async function simRequests(h: Harness, model: string): Promise<number> {
  const stats = (await (await fetch(`${h.sim.url}/_sim/stats`)).json()) as { requests: Record<string, number> };
  return stats.requests[model] ?? 0;
}

/** The value of one Prometheus sample line, e.g. metric('tollgate_upstream_retries_total', { upstream: 'sim-openai/gpt-4o-mini' }). */
export async function metric(h: Harness, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await (await fetch(`${h.gw.url}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const labelText = line.slice(name.length + 1, close);
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) return Number(line.slice(close + 1).trim());
  }
  return undefined;
}

export interface UpstreamStatsView {
  requests: number;
  shortCircuited: number;
  retries: number;
  retriesDenied: number;
  budgetRemaining: number;
  breaker: 'closed' | 'open' | 'half_open';
  breakerOpens: number;
  errorRate: number;
}

export async function upstreams(h: Harness): Promise<Record<string, UpstreamStatsView>> {
  const res = await fetch(`${h.gw.url}/admin/upstreams`, { headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}` } });
  if (res.status !== 200) throw new Error(`GET /admin/upstreams: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, UpstreamStatsView>;
}

/** `route=x;tier=y;model=z;by=...` → { route: 'x', tier: 'y', ... } */
export function parseRouteHeader(h: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (h ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
