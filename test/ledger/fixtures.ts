// Realistic RequestRecords for ledger and metrics tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestRecord } from '../../src/ledger/record.js';
import { readLedger } from '../../src/ledger/read.js';
import { MAX_QUERY_LIMIT } from '../../src/stores/ledger.js';

export function tempDataDir(prefix = 'tollgate-ledger-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function makeRecord(i: number, over: Partial<RequestRecord> = {}): RequestRecord {
  const receivedAt = 1_760_000_000_000 + i * 10;
  const latencyMs = 420.5 + (i % 7);
  return {
    requestId: `req_${String(i).padStart(8, '0')}`,
    keyId: 'key_demo',
    team: i % 2 === 0 ? 'search' : 'support',
    route: i % 3 === 0 ? 'cheap' : 'default',
    endpoint: '/v1/chat/completions',
    apiFormat: 'openai',
    requestedModel: 'gpt-4o',
    provider: 'openai',
    model: i % 3 === 0 ? 'gpt-4o-mini' : 'gpt-4o',
    stream: i % 2 === 1,
    receivedAt,
    upstreamSentAt: receivedAt + 0.3,
    firstTokenAt: i % 2 === 1 ? receivedAt + 180 : undefined,
    completedAt: receivedAt + latencyMs,
    latencyMs,
    ttftMs: i % 2 === 1 ? 180 : undefined,
    upstreamMs: latencyMs - 0.6,
    overheadMs: 0.6,
    usage: { input: 1200, cacheRead: 1024, cacheWrite5m: 0, cacheWrite1h: 0, output: 256, reasoning: 0 },
    costUsd: 0.0058,
    trail: [{ stage: 'route', decision: 'route', reason: 'default route' }],
    cacheStatus: 'miss',
    status: 'ok',
    httpStatus: 200,
    finishReason: 'stop',
    ...over,
  };
}

/**
 * Every record in a data directory, newest first, in pages of readLedger's largest answer (the
 * fixtures' receivedAt values are unique, so paging by `until` skips none).
 */
export function readWholeLedger(dataDir: string): RequestRecord[] {
  const out: RequestRecord[] = [];
  let until: number | undefined;
  for (;;) {
    const page = readLedger(dataDir, { until, last: MAX_QUERY_LIMIT });
    out.push(...page);
    if (page.length < MAX_QUERY_LIMIT) return out;
    until = page[page.length - 1]!.receivedAt;
  }
}
