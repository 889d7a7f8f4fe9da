// The embedded defaults `tollgate demo` (and `npm start`) runs with: simulated providers under the
// real model names and list prices, demo auth (any key is a client; the admin key is the one the
// demo prints), /metrics open (a browser can read it), data under ./.tollgate.

import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** the simulator's per-request controls (fault injection, forced output length) reach it through the gateway */
const SIM_HEADERS = ['x-sim-fault', 'x-sim-output-tokens'];

/** the simulator wants a key like the real APIs do, but accepts any: this one is no secret */
const SIM_BEARER = { authorization: 'Bearer sim' };

export interface DemoConfigOptions {
  simUrl: string;
  port?: number;
  dataDir?: string;
  /** turn the levers on as the demo shows them (caching at any temperature, the `auto` route); default true */
  levers?: boolean;
  /** the one key that may call /admin/* (every other key, or none, is a client) */
  adminKey?: string;
}

/** the learned router's weights shipped with the package (dist/config/demo.js → data/router/) */
const MMLU_ROUTER_WEIGHTS = fileURLToPath(new URL('../../data/router/mmlu.json', import.meta.url));

/** The demo's levers: every answer is cacheable (exact and semantic), and `auto` picks a tier per request. */
function demoLevers(): Record<string, unknown> {
  return {
    cache: {
      eligible: { maxTemperature: null },
      semantic: { enabled: true },
      promptCache: { enabled: true },
    },
    routes: {
      auto: {
        tiers: [
          { name: 'cheap', models: ['gpt-4o-mini', 'claude-3-5-haiku'] },
          { name: 'strong', models: ['gpt-4o', 'claude-sonnet-4'] },
        ],
        rules: [{ name: 'long-prompts', when: { inputTokensGt: 2000 }, tier: 'strong' }],
        classifier: { weights: MMLU_ROUTER_WEIGHTS, target: { qualityGe: 0.95 } },
        fallbacks: ['gemini-2.0-flash'],
        baseline: 'gpt-4o',
      },
    },
  };
}

export function demoConfig(opts: DemoConfigOptions): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: opts.port ?? 8787, publicMetrics: true },
    dataDir: opts.dataDir ?? './.tollgate',
    auth: {
      mode: 'demo',
      keys: opts.adminKey ? [{ id: 'demo-admin', sha256: createHash('sha256').update(opts.adminKey).digest('hex'), role: 'admin' }] : [],
    },
    providers: [
      { name: 'sim-openai', kind: 'openai', baseUrl: `${opts.simUrl}/v1`, headers: SIM_BEARER, forwardHeaders: SIM_HEADERS },
      { name: 'sim-anthropic', kind: 'anthropic', baseUrl: opts.simUrl, headers: { 'x-api-key': 'sim' }, forwardHeaders: SIM_HEADERS },
      { name: 'sim-gemini', kind: 'openai-compatible', baseUrl: `${opts.simUrl}/v1beta/openai`, otelProviderName: 'gcp.gemini', headers: SIM_BEARER, forwardHeaders: SIM_HEADERS },
    ],
    ...(opts.levers === false ? {} : demoLevers()),
    models: [
      { name: 'gpt-4o', provider: 'sim-openai', price: { provider: 'openai', model: 'gpt-4o' } },
      { name: 'gpt-4o-mini', provider: 'sim-openai', price: { provider: 'openai', model: 'gpt-4o-mini' } },
      { name: 'o4-mini', provider: 'sim-openai', price: { provider: 'openai', model: 'o4-mini' } },
      { name: 'text-embedding-3-small', provider: 'sim-openai', price: { provider: 'openai', model: 'text-embedding-3-small' } },
      { name: 'claude-sonnet-4', provider: 'sim-anthropic', price: { provider: 'anthropic', model: 'claude-sonnet-4' } },
      { name: 'claude-3-5-haiku', provider: 'sim-anthropic', price: { provider: 'anthropic', model: 'claude-3-5-haiku' } },
      { name: 'gemini-2.0-flash', provider: 'sim-gemini', price: { provider: 'google', model: 'gemini-2.0-flash' } },
    ],
  };
}
