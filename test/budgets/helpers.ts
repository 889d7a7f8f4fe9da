// Budgets' tests: a simulator and a gateway with virtual keys in two teams, budgets and rate limits
// from the test's config; ledger sums computed from the records the gateway wrote.

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoConfig } from '../../src/config/demo.js';
import { resolveConfig } from '../../src/config/load.js';
import { readLedger } from '../../src/ledger/read.js';
import type { RequestRecord } from '../../src/ledger/record.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';
import { startSimulator } from '../../src/sim/index.js';

export interface Harness {
  sim: { url: string; close(): Promise<void> };
  gw: RunningGateway;
  dataDir: string;
  /** stops the gateway (a graceful stop) and starts a new one on the same data dir and config */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const KEYS = {
  admin: 'tg_test_admin_secret',
  alpha: 'tg_test_alpha_secret', // team a, user ana
  alpha2: 'tg_test_alpha2_secret', // team a
  beta: 'tg_test_beta_secret', // team b
  tenantAdminA: 'tg_test_tenant_admin_a',
} as const;

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

export const AUTH = {
  mode: 'keys',
  keys: [
    { id: 'admin', sha256: sha(KEYS.admin), role: 'admin' },
    { id: 'alpha', sha256: sha(KEYS.alpha), team: 'a', user: 'ana' },
    { id: 'alpha2', sha256: sha(KEYS.alpha2), team: 'a' },
    { id: 'beta', sha256: sha(KEYS.beta), team: 'b' },
    { id: 'tenant-admin-a', sha256: sha(KEYS.tenantAdminA), team: 'a', role: 'admin' },
  ],
};

/**
 * The simulator and a gateway with the test auth; `extra` replaces top-level keys of the demo's
 * config (budgets, rateLimits, routes...), `models` adds to its models.
 */
export async function startBudgetHarness(extra: Record<string, unknown> = {}, opts: { models?: unknown[]; providers?: (simUrl: string) => unknown[] } = {}): Promise<Harness> {
  const sim = await startSimulator({ port: 0, latencyScale: 0, seed: 11 });
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-budgets-'));
  const base = demoConfig({ simUrl: sim.url, port: 0, dataDir, levers: false }) as { models: unknown[]; providers: unknown[] };
  const providers = [...base.providers, ...(opts.providers?.(sim.url) ?? [])];
  const config = resolveConfig({ ...base, auth: AUTH, retry: { maxRetries: 0 }, ...extra, providers, models: [...base.models, ...(opts.models ?? [])] }, '(test)', {});
  const h: Harness = {
    sim,
    gw: await startGateway({ config, port: 0 }),
    dataDir,
    async restart() {
      await h.gw.close();
      h.gw = await startGateway({ config, port: 0 });
    },
    async close() {
      await h.gw.close();
      await sim.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}

export async function records(h: Harness, dataDir = h.dataDir): Promise<RequestRecord[]> {
  await h.gw.ledger.flush();
  return readLedger(dataDir, { last: 10_000 });
}

/** what the ledger says a set of records cost, every attempt included */
export const spentIn = (recs: readonly RequestRecord[]): number => recs.reduce((s, r) => s + r.costUsd, 0);

export async function admin(h: Harness, method: string, path: string, body?: unknown, key: string = KEYS.admin): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** one raw OpenAI-format chat call */
export async function chatRaw(h: Harness, key: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${h.gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Say something about budgets.' }], ...body }),
  });
}
