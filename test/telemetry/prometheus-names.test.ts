// /metrics keeps Prometheus naming conventions, checked on a real gateway with every lever on
// (the demo's config) after traffic: counters end in `_total` and nothing else does, times are in
// seconds, ratios are gauges, names are snake_case with a known prefix.

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARNESS_ADMIN_KEY, startHarness, type Harness } from '../gateway/helpers.js';

let h: Harness;
let families: Map<string, string>;

beforeAll(async () => {
  h = await startHarness({}, {}, { levers: true });
  const ai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'demo-key', maxRetries: 0 });
  for (let i = 0; i < 3; i++) await ai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is a toll?' }] });
  await ai.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
  const text = await (await fetch(`${h.gw.url}/metrics`, { headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}` } })).text();
  families = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
});
afterAll(async () => {
  await h?.close();
});

describe('/metrics names', () => {
  it('exposes the gateway, ledger, cache and upstream families', () => {
    for (const name of ['gen_ai_server_request_duration_seconds', 'tollgate_requests_total', 'tollgate_ledger_records_appended_total', 'tollgate_cache_lookups_total', 'tollgate_upstream_requests_total']) {
      expect(families.has(name), name).toBe(true);
    }
  });

  it('counters end in _total, and only counters do', () => {
    for (const [name, type] of families) {
      if (type === 'counter') expect(name, name).toMatch(/_total$/);
      else expect(name, `${name} (${type})`).not.toMatch(/_total$/);
    }
  });

  it('names are snake_case under gen_ai_ or tollgate_', () => {
    for (const name of families.keys()) expect(name).toMatch(/^(gen_ai|tollgate)_[a-z0-9_]+$/);
  });

  it('durations are in seconds (base unit), never ms; ratios are gauges', () => {
    for (const [name, type] of families) {
      expect(name).not.toMatch(/_(ms|milliseconds|millis|us|microseconds|minutes|hours)(_|$)/);
      if (/duration|latency|overhead|time_to|time_per/.test(name)) expect(name, name).toMatch(/_seconds$/);
      if (/_(ratio|share|rate)$/.test(name)) {
        expect(name, name).toMatch(/_ratio$/);
        expect(type, name).toBe('gauge');
      }
    }
  });
});
