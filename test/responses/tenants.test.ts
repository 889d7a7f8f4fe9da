// Stored responses belong to the caller's tenant (its team, else its key): another tenant's id is a
// 404 for retrieve, input_items and delete, and a 400 as previous_response_id; the same team's
// other key shares them. Also what the `responses` config bounds.

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { resolveConfig } from '../../src/config/load.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const KEYS = { a1: 'tg_team_a_one', a2: 'tg_team_a_two', b: 'tg_team_b', solo: 'tg_no_team' };

let h: Harness;
const client = (key: string) => new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: key, maxRetries: 0 });

beforeAll(async () => {
  h = await startHarness({
    auth: {
      mode: 'keys',
      keys: [
        { id: 'a1', sha256: sha(KEYS.a1), team: 'a' },
        { id: 'a2', sha256: sha(KEYS.a2), team: 'a' },
        { id: 'b', sha256: sha(KEYS.b), team: 'b' },
        { id: 'solo', sha256: sha(KEYS.solo) },
      ],
    },
    responses: { maxResponseBytes: 64 * 1024 },
  });
});
afterAll(async () => {
  await h?.close();
});

describe('tenant isolation of stored responses', () => {
  it.each(['claude-sonnet-4', 'gpt-4o'])("%s: another team's id is not found; the same team's other key sees it", async (model) => {
    const r = await client(KEYS.a1).responses.create({ model, input: 'A secret of team a.' });
    for (const key of [KEYS.b, KEYS.solo]) {
      const other = client(key);
      await expect(other.responses.retrieve(r.id)).rejects.toMatchObject({ status: 404 });
      await expect(other.responses.inputItems.list(r.id)).rejects.toMatchObject({ status: 404 });
      await expect(other.responses.create({ model, input: 'go on', previous_response_id: r.id })).rejects.toMatchObject({ status: 400, param: 'previous_response_id' });
      await expect(other.responses.create({ model, input: [{ type: 'item_reference', id: r.output[0]!.id! }] })).rejects.toMatchObject({ status: 400 });
      await expect(other.responses.delete(r.id)).rejects.toMatchObject({ status: 404 });
    }
    const mate = client(KEYS.a2);
    expect((await mate.responses.retrieve(r.id)).id).toBe(r.id);
    const next = await mate.responses.create({ model, input: 'go on', previous_response_id: r.id });
    expect(next.previous_response_id).toBe(r.id);
    // still there for its own team after the others tried to delete it
    expect((await client(KEYS.a1).responses.retrieve(r.id)).id).toBe(r.id);
  });

  it('a key without a team has its own scope', async () => {
    const r = await client(KEYS.solo).responses.create({ model: 'claude-sonnet-4', input: 'Mine.' });
    await expect(client(KEYS.a1).responses.retrieve(r.id)).rejects.toMatchObject({ status: 404 });
    expect((await client(KEYS.solo).responses.retrieve(r.id)).id).toBe(r.id);
  });

  it('no key: 401 in OpenAI shape for create and retrieve', async () => {
    const res = await fetch(`${h.gw.url}/v1/responses/resp_x`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });
});

describe('bounds', () => {
  it('a response above maxResponseBytes is answered but not stored', async () => {
    const big = 'word '.repeat(20_000); // ~100 KB of input, over the 64 KiB cap
    const r = await client(KEYS.a1).responses.create({ model: 'claude-sonnet-4', input: big });
    expect(r.output_text.length).toBeGreaterThan(0);
    await expect(client(KEYS.a1).responses.retrieve(r.id)).rejects.toMatchObject({ status: 404 });
  });

  it('responses.ttlDays: an answer past its TTL is gone', async () => {
    const short = await startHarness({ responses: { ttlDays: 1e-7 } }); // ~9 ms
    try {
      const c = new OpenAI({ baseURL: `${short.gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const r = await c.responses.create({ model: 'claude-sonnet-4', input: 'Soon gone.' });
      await new Promise((res) => setTimeout(res, 50));
      await expect(c.responses.retrieve(r.id)).rejects.toMatchObject({ status: 404 });
      await expect(c.responses.create({ model: 'claude-sonnet-4', input: 'x', previous_response_id: r.id })).rejects.toMatchObject({ status: 400 });
    } finally {
      await short.close();
    }
  });

  it('config: maxResponseBytes above maxTotalBytes, or a zero TTL, is refused at start', () => {
    const base = { auth: { mode: 'demo' }, providers: [{ name: 'p', kind: 'openai', baseUrl: 'http://127.0.0.1:1/v1' }] };
    expect(() => resolveConfig({ ...base, responses: { maxResponseBytes: 10, maxTotalBytes: 5 } }, '(test)', {})).toThrow(/maxResponseBytes/);
    expect(() => resolveConfig({ ...base, responses: { ttlDays: 0 } }, '(test)', {})).toThrow(/ttlDays/);
    expect(() => resolveConfig({ ...base, responses: { ttl_days: 3 } }, '(test)', {})).toThrow();
    expect(resolveConfig(base, '(test)', {}).responses).toMatchObject({ ttlDays: 30 });
  });
});
