// Virtual keys: only configured keys get in (by their hash); the ledger attributes each request to
// the key's team and user and never stores the key.

import { afterAll, beforeAll, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hashKey } from '../../src/server/auth.js';
import { readLedger } from '../../src/ledger/read.js';
import { startHarness, type Harness } from './helpers.js';

const KEY = 'tg_test_key_do_not_log_123';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ auth: { mode: 'keys', keys: [{ id: 'key-alice', sha256: hashKey(KEY), team: 'support', user: 'alice' }] } });
});
afterAll(async () => {
  await h?.close();
});

it('rejects unknown keys in each wire format and admits the configured one', async () => {
  const bad = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
  await expect(bad.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 401 });
  const badA = new Anthropic({ baseURL: h.gw.url, apiKey: 'wrong', maxRetries: 0 });
  await expect(badA.messages.create({ model: 'claude-3-5-haiku', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(Anthropic.AuthenticationError);

  const good = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
  const { response } = await good.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
  const goodA = new Anthropic({ baseURL: h.gw.url, apiKey: KEY, maxRetries: 0 });
  await goodA.messages.create({ model: 'claude-3-5-haiku', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] });

  await h.gw.ledger.flush();
  const rec = readLedger(h.dataDir, { last: 10 }).find((r) => r.requestId === response.headers.get('x-tollgate-request-id'));
  expect(rec).toMatchObject({ keyId: 'key-alice', team: 'support', user: 'alice', status: 'ok' });
  // the key itself is nowhere in the data directory
  const files = readdirSync(join(h.dataDir, 'ledger')).map((f) => join(h.dataDir, 'ledger', f));
  for (const f of [...files, join(h.dataDir, 'ledger.db')]) {
    try {
      expect(readFileSync(f).includes(KEY)).toBe(false);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
    }
  }
});
