// Issue 13 finding 3: a record over 1 MiB (the client controls `user`, `metadata.user_id`, the model
// name) was skipped by the ingester as "corrupt", paid answers included, with
// tollgate_ledger_records_dropped_total at 0 and /metrics' cost total above the ledger's sum. Now the
// client's strings are capped, the record says which fields were cut, and every record is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { ledgerDbPath } from '../../src/stores/sqlite/ledger-db.js';
import { MAX_RECORD_BYTES, MAX_RECORD_STRING, boundRecord, recordLine } from '../../src/ledger/bound-record.js';
import type { RequestRecord } from '../../src/ledger/record.js';
import { startHarness, type Harness } from '../gateway/helpers.js';

const TWO_MB = 2 * 1024 * 1024;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ cache: { enabled: false } });
});
afterAll(async () => {
  await h?.close();
});

interface Row {
  cost_usd: number;
  user_id: string | null;
  requested_model: string;
  record: string;
}

function stored(requestId: string | null): { row: Row; rec: RequestRecord } {
  const db = new Database(ledgerDbPath(h.dataDir), { readonly: true });
  try {
    const row = db.prepare('SELECT cost_usd, user_id, requested_model, record FROM requests WHERE request_id = ?').get(requestId) as Row | undefined;
    if (!row) throw new Error(`record ${requestId} is not in ledger.db`);
    return { row, rec: JSON.parse(row.record) as RequestRecord };
  } finally {
    db.close();
  }
}

function ledgerSum(): { n: number; cost: number } {
  const db = new Database(ledgerDbPath(h.dataDir), { readonly: true });
  try {
    const r = db.prepare('SELECT count(*) AS n, coalesce(sum(cost_usd), 0) AS cost FROM requests').get() as { n: number; cost: number };
    return r;
  } finally {
    db.close();
  }
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${h.gw.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

describe('oversize client strings through the gateway', () => {
  it('a paid answer with a 2 MB `user` is in ledger.db, flagged, and its cost counted once everywhere', async () => {
    const client = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const user = 'u'.repeat(TWO_MB);
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hi.' }], user }).withResponse();
    expect(data.choices[0]!.message.content).toBeTruthy();
    const cost = Number(response.headers.get('x-tollgate-cost-usd'));
    expect(cost).toBeGreaterThan(0);
    await h.gw.ledger.flush();
    const { row, rec } = stored(response.headers.get('x-tollgate-request-id'));
    expect(rec.truncated).toContain('user');
    expect(rec.user!.length).toBeLessThanOrEqual(MAX_RECORD_STRING + 1);
    expect(rec.user!.startsWith('uuuu')).toBe(true);
    expect(row.user_id).toBe(rec.user);
    expect(row.cost_usd).toBeCloseTo(cost, 12);
    expect(rec.costUsd).toBeCloseTo(cost, 12);
  });

  it('an Anthropic metadata.user_id of 2 MB and a 2 MB model name are stored too', async () => {
    const client = new Anthropic({ baseURL: h.gw.url, apiKey: 'x', maxRetries: 0 });
    const { response } = await client.messages
      .create({ model: 'claude-sonnet-4', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }], metadata: { user_id: 'a'.repeat(TWO_MB) } })
      .withResponse();
    await h.gw.ledger.flush();
    expect(stored(response.headers.get('x-tollgate-request-id')).rec.truncated).toContain('user');

    const err = (await client.messages.create({ model: 'm'.repeat(TWO_MB), max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err.status).toBe(404);
    await h.gw.ledger.flush();
    const { row, rec } = stored(err.headers?.get('x-tollgate-request-id') ?? null);
    expect(rec.truncated).toContain('requestedModel');
    expect(row.requested_model.length).toBeLessThanOrEqual(MAX_RECORD_STRING + 1);
  });

  it('/metrics and the ledger agree: every request stored, none dropped or corrupt, same cost', async () => {
    await h.gw.ledger.flush();
    const { n, cost } = ledgerSum();
    expect(n).toBe(3);
    expect(await metric('tollgate_ledger_records_dropped_total')).toBe(0);
    expect(await metric('tollgate_ledger_corrupt_lines_total')).toBe(0);
    expect(await metric('tollgate_ledger_records_stored_total')).toBe(3);
    expect(await metric('tollgate_cost_usd_total')).toBeCloseTo(cost, 10);
  });
});

describe('bounding a record', () => {
  const base: RequestRecord = {
    requestId: 'req_1',
    endpoint: '/v1/chat/completions',
    apiFormat: 'openai',
    requestedModel: 'gpt-4o',
    stream: false,
    receivedAt: 1,
    completedAt: 2,
    latencyMs: 1,
    overheadMs: 0,
    usage: { input: 1, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 1, reasoning: 0 },
    costUsd: 0.5,
    trail: [{ stage: 'router', decision: 'route', data: { model: 'x'.repeat(5000), n: 3 } }],
    status: 'ok',
    httpStatus: 200,
  };

  it('leaves an ordinary record untouched (the same object)', () => {
    const r = { ...base, trail: [{ stage: 'cache', decision: 'miss' }] };
    expect(boundRecord(r)).toBe(r);
  });

  it('caps strings anywhere in the record and lists them', () => {
    const b = boundRecord({ ...base, session: 's'.repeat(3000) });
    expect([...b.truncated!].sort()).toEqual(['session', 'trail[0].data.model']);
    expect((b.trail[0]!.data!.model as string).length).toBe(MAX_RECORD_STRING + 1);
    expect(b.trail[0]!.data!.n).toBe(3);
    expect(base.trail[0]!.data!.model).toHaveLength(5000); // the caller's record is not changed
  });

  it('keeps the accounting fields of a record too large even after capping, within the bound', () => {
    const trail = Array.from({ length: 10_000 }, (_, i) => ({ stage: 's', decision: 'd', reason: `${i}`.padEnd(1000, 'r') }));
    const line = recordLine({ ...base, trail })!;
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_RECORD_BYTES + 1);
    const rec = JSON.parse(line) as RequestRecord;
    expect(rec.costUsd).toBe(0.5);
    expect(rec.truncated).toContain('trail');
  });
});
