// The seeded fuzz run of `npm run bench:fuzz`, 5,000 requests, in the suite: the built gateway
// (child process) in front of the simulator (its own process), both wire formats and embeddings.
// Asserts what must hold whatever the machine's speed: no crash, no 5xx the gateway made itself,
// every answer in the caller's wire format, every answered request id in the ledger, no hang.
// The /health gaps are reported (bench/results/fuzz.json), not asserted: timing is the bench's job.

import { expect, it } from 'vitest';
import { runFuzz, summarizeFuzz, type FuzzReport } from '../../bench/lib/fuzz-run.mjs';

const brief = (detail: Record<string, { count: number; examples: unknown[] }>) =>
  Object.fromEntries(Object.entries(detail).map(([k, v]) => [k, { count: v.count, example: v.examples[0] }]));

it('5,000 seeded fuzz requests: no crash, no gateway 5xx, every answer in the caller\'s format, every answered request in the ledger', async () => {
  // hangs are bounded by a generous per-request limit; the whole run by the test timeout
  const r: FuzzReport = await runFuzz({ requests: 5000, seed: 20261203, concurrency: 8, hangTimeoutMs: 60_000, maxHangs: 20 });
  console.log(summarizeFuzz(r));
  expect(r.sent).toBe(5000);
  expect(r.crashes, JSON.stringify(r.crash)).toBe(0);
  expect(brief(r.gateway_5xx_detail)).toEqual({});
  expect(brief(r.caller_format.problems)).toEqual({});
  expect(brief(r.no_answer.detail)).toEqual({});
  expect(brief(r.hangs.detail)).toEqual({});
  expect(r.ledger.missing_examples).toEqual([]);
  expect(r.ledger.in_ledger).toBe(r.ledger.answered_with_id);
  expect(r.ledger.answered_with_id).toBeGreaterThan(1000);
  // the gateway's own event-loop delay was read from its /metrics during the run (reported, not asserted)
  expect(r.gateway_event_loop_lag.scrapes).toBeGreaterThan(0);
}, 1_800_000);
