// The calculator against the chapter's worked examples (with the prices the chapter states, given
// as overrides), and its levers, sensitivity, self-hosting, scenario file and ledger source.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { runCalcCommand } from '../../src/cli/calc.js';
import { calculate } from '../../src/forecast/calc.js';
import { parseScenario } from '../../src/forecast/scenario.js';
import { scenarioFromLedger } from '../../src/forecast/from-ledger.js';
import { MemoryLedgerStore } from '../../src/stores/memory/ledger-store.js';
import type { RequestRecord } from '../../src/ledger/record.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (err += t) });
  const prev = process.exitCode;
  process.exitCode = 0;
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((t: string) => ((out += t), true)) as typeof process.stdout.write;
  process.stderr.write = ((t: string) => ((err += t), true)) as typeof process.stderr.write;
  let code = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    code = (e as { exitCode?: number }).exitCode ?? 1;
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
    process.exitCode = prev;
  }
  return { code, out, err };
}

describe("the chapter's worked examples, to the dollar", () => {
  it('100,000 requests a day x 2,000 tokens on GPT-4o output pricing: $2,000 a day, $60,000 a month', async () => {
    const r = await cli(['calc', '--requests-per-day', '100000', '--input-tokens', '0', '--output-tokens', '2000', '--model', 'gpt-4o', '--price', 'gpt-4o=2.5/10', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.dailyUsd).toBe(2000);
    expect(j.monthlyUsd).toBe(60000);
  });

  it('the same on Gemini Flash ($0.30 per 1M output): $60 a day, $1,800 a month, 33x less', async () => {
    const r = await cli(['calc', '--requests-per-day', '100000', '--input-tokens', '0', '--output-tokens', '2000', '--model', 'gemini-flash', '--price', 'gemini-flash=0.075/0.3', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.dailyUsd).toBe(60);
    expect(j.monthlyUsd).toBe(1800);
    expect(Math.round(2000 / j.dailyUsd)).toBe(33);
  });

  it('1M requests a day at $3 per 1M tokens: $6,000 a day, $180,000 a month, against ~$100,000 for Llama 70B on four H100s', () => {
    // The chapter gives the deployment as "roughly $100,000 per month" for four H100s; the hourly
    // price per GPU that makes it so over a 30-day month (720 h) is 100,000 / (4 x 720).
    const s = parseScenario({
      requestsPerDay: 1_000_000,
      tokens: { user: 1000, output: 1000 },
      mix: [{ model: 'api-model', share: 1 }],
      prices: [{ provider: 'custom', model: 'api-model', input: 3, output: 3 }],
      selfHost: { name: 'llama-70b', gpuType: 'H100', gpus: 4, usdPerGpuHour: 100_000 / (4 * 720), utilisation: 1, tokensPerSecond: 25_000, hasMlStaff: true },
    });
    const r = calculate(s);
    expect(r.dailyUsd).toBe(6000);
    expect(r.monthlyUsd).toBe(180_000);
    const sh = r.selfHost!;
    expect(Math.round(sh.monthlyUsd)).toBe(100_000);
    expect(Math.round(r.monthlyUsd - sh.monthlyUsd)).toBe(80_000);
    // break-even: $100,000 a month at $0.006 a request over 30 days
    expect(sh.breakEven[0]!.breakEvenRequestsPerDay).toBe(555_556);
    expect(sh.rule.selfHost).toBe(true);
    expect(sh.rule.text).toMatch(/\$180,000\/month is above the \$50,000 line/);
  });

  it('the rule says no without ML staff, or below $50,000 a month, whatever the GPUs cost', () => {
    const base = {
      tokens: { user: 1000, output: 1000 },
      mix: [{ model: 'api-model', share: 1 }],
      prices: [{ provider: 'custom', model: 'api-model', input: 3, output: 3 }],
    };
    const gpu = { gpus: 4, usdPerGpuHour: 2, tokensPerSecond: 25_000, utilisation: 1 };
    const noStaff = calculate(parseScenario({ ...base, requestsPerDay: 1_000_000, selfHost: { ...gpu, hasMlStaff: false } })).selfHost!;
    expect(noStaff.monthlyUsd).toBeLessThan(180_000);
    expect(noStaff.rule.selfHost).toBe(false);
    expect(noStaff.rule.text).toMatch(/^Stick with APIs.*no ML engineering staff/);
    const small = calculate(parseScenario({ ...base, requestsPerDay: 100_000, selfHost: { ...gpu, hasMlStaff: true } })).selfHost!;
    expect(small.apiMonthlyUsd).toBe(18_000);
    expect(small.rule.apiSpendAbove).toBe(false);
    expect(small.rule.selfHost).toBe(false);
  });

  it('more tokens than one deployment serves need more deployments', () => {
    const r = calculate(
      parseScenario({
        requestsPerDay: 1_000_000,
        tokens: { user: 1000, output: 1000 },
        mix: [{ model: 'm', share: 1 }],
        prices: [{ provider: 'custom', model: 'm', input: 3, output: 3 }],
        selfHost: { gpus: 4, usdPerGpuHour: 4, tokensPerSecond: 10_000, utilisation: 0.5 },
      }),
    ).selfHost!;
    // 2e9 tokens a day / (10,000 x 0.5 x 86,400 = 432M) = 4.6 -> 5 deployments
    expect(r.deployments).toBe(5);
    expect(r.monthlyUsd).toBe(5 * 4 * 4 * 720);
  });
});

describe('levers, waterfall and sensitivity', () => {
  const caseStudy = {
    requestsPerDay: 10_000,
    tokens: { system: 3000, context: 2500, user: 100, output: 300 },
    mix: [
      { model: 'claude-3-haiku', share: 70 },
      { model: 'claude-3-5-sonnet', share: 25 },
      { model: 'claude-3-opus', share: 5 },
    ],
    cache: { semanticHitRate: 0.3, promptCacheHitRate: 0.9 },
    trim: { system: 2200 / 3000, context: 0.7 },
    batchShare: 0.1,
  };

  it('starts from everything on the most expensive model and adds one bar per lever, ending at the scenario', () => {
    const r = calculate(parseScenario(caseStudy));
    expect(r.waterfall.map((s) => s.lever)).toEqual(['baseline', 'tiering', 'trim', 'prompt-cache', 'semantic-cache', 'batch']);
    expect(r.waterfall[0]!.label).toBe('everything on claude-3-opus');
    for (const s of r.waterfall.slice(1)) expect(s.deltaUsd).toBeLessThan(0);
    expect(r.waterfall.at(-1)!.monthlyUsd).toBeCloseTo(r.monthlyUsd, 4);
    // each bar's delta is the difference of consecutive bars
    for (let i = 1; i < r.waterfall.length; i++) expect(r.waterfall[i]!.deltaUsd).toBeCloseTo(r.waterfall[i]!.monthlyUsd - r.waterfall[i - 1]!.monthlyUsd, 4);
  });

  it('prices cache reads, cache writes and batch from the catalog (Anthropic: reads 0.1x, 5-minute writes 1.25x, batch 50% off)', () => {
    const one = (cache: object, batchShare = 0) =>
      calculate(parseScenario({ requestsPerDay: 1, days: 1, tokens: { system: 1_000_000, output: 0 }, mix: [{ model: 'claude-3-5-haiku', share: 1 }], cache, batchShare, at: '2026-06-01' })).dailyUsd;
    const plain = one({});
    expect(plain).toBe(0.8); // $0.80 per 1M input
    expect(one({ promptCacheHitRate: 1 })).toBe(0.08);
    // every request misses: each writes the prefix at 1.25x
    expect(one({ promptCacheHitRate: 0.000001 })).toBeCloseTo(1.0, 5);
    expect(one({}, 1)).toBe(0.4);
  });

  it('applies long-context tiers per request', () => {
    const at = (n: number) => calculate(parseScenario({ requestsPerDay: 1, days: 1, tokens: { user: n, output: 0 }, mix: [{ model: 'gemini-2.5-pro', share: 1 }] }));
    const small = at(100_000);
    const big = at(300_000);
    // above 200k input tokens the per-token rate is higher
    expect(big.dailyUsd / 300_000).toBeGreaterThan(small.dailyUsd / 100_000);
    expect(big.notes.join(' ')).toMatch(/long-context tiers/);
  });

  it('ranks the assumptions by how much they move the bill', () => {
    const r = calculate(parseScenario(caseStudy));
    const names = r.sensitivity.map((s) => s.assumption);
    expect(names).toContain('requestsPerDay');
    expect(names).toContain('mix.claude-3-opus');
    for (let i = 1; i < r.sensitivity.length; i++) expect(r.sensitivity[i - 1]!.swingUsd).toBeGreaterThanOrEqual(r.sensitivity[i]!.swingUsd);
    // traffic moves the bill linearly: +-20% of requests is a 40% swing
    const traffic = r.sensitivity.find((s) => s.assumption === 'requestsPerDay')!;
    expect(traffic.swingUsd).toBeCloseTo(0.4 * r.monthlyUsd, 2);
  });

  it('projects growth month by month', () => {
    const r = calculate(parseScenario({ ...caseStudy, growthPerMonth: 0.1 }));
    expect(r.projection[0]!.monthlyUsd).toBeCloseTo(r.monthlyUsd, 4);
    expect(r.projection[1]!.monthlyUsd).toBeCloseTo(r.monthlyUsd * 1.1, 4);
  });

  it('renders a terminal report with the waterfall bars and the sensitivity table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-calc-'));
    const file = join(dir, 'support.yaml');
    writeFileSync(file, `requestsPerDay: 10000\ntokens: { system: 3000, context: 2500, user: 100, output: 300 }\nmix:\n  - { model: claude-3-haiku, share: 70 }\n  - { model: claude-3-opus, share: 30 }\ncache: { semanticHitRate: 0.3 }\n`);
    const r = await cli(['calc', '--scenario', file, '--requests-per-day', '20000']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/20,000 requests a day/);
    expect(r.out).toMatch(/Waterfall/);
    expect(r.out).toMatch(/everything on claude-3-opus/);
    expect(r.out).toMatch(/█/);
    expect(r.out).toMatch(/Sensitivity/);
  });
});

describe('mistakes exit 2 with a clear message', () => {
  it('an unknown model names the --price flag', async () => {
    const r = await cli(['calc', '--requests-per-day', '10', '--input-tokens', '10', '--output-tokens', '10', '--model', 'no-such-model-x']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no price for 'no-such-model-x'.*--price no-such-model-x=IN\/OUT/);
  });

  it('a bad flag value, a bad scenario field and a missing file', async () => {
    expect((await cli(['calc', '--requests-per-day', 'many'])).code).not.toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'tg-calc-'));
    const file = join(dir, 's.yaml');
    writeFileSync(file, 'requestsPerDay: 10\ntokens: { output: 5 }\nmix: [{ model: gpt-4o, share: 1 }]\ncache: { exactHitRate: 0.8, semanticHitRate: 0.5 }\nbogus: 1\n');
    let out = '';
    let err = '';
    const code = await runCalcCommand({ scenario: file }, { out: (t) => (out += t), err: (t) => (err += t) });
    expect(code).toBe(2);
    expect(err).toMatch(/unknown field bogus/);
    expect(err).toMatch(/exactHitRate \+ semanticHitRate cannot exceed 1/);
    expect(out).toBe('');
    const missing = await runCalcCommand({ scenario: join(dir, 'nope.yaml') }, { out: () => {}, err: (t) => (err = t) });
    expect(missing).toBe(2);
    expect(err).toMatch(/no such file/);
  });
});

describe('from the ledger', () => {
  it('measures requests a day, tokens, the mix and the cache hit rates through the aggregate', async () => {
    const store = new MemoryLedgerStore();
    const now = Date.UTC(2026, 10, 30);
    const recs: RequestRecord[] = [];
    for (let i = 0; i < 100; i++) {
      const hit = i % 10 === 0;
      const model = i % 4 === 0 ? 'gpt-4o' : 'gpt-4o-mini';
      recs.push({
        requestId: `r${i}`,
        endpoint: '/v1/chat/completions',
        apiFormat: 'openai',
        requestedModel: model,
        model,
        provider: 'openai',
        stream: false,
        receivedAt: now - 10 * 86_400_000 + i * 8_640_000,
        completedAt: now,
        latencyMs: 10,
        overheadMs: 0,
        usage: hit ? { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0 } : { input: 200, cacheRead: 800, cacheWrite5m: 0, cacheWrite1h: 0, output: 100, reasoning: 0 },
        costUsd: hit ? 0 : 0.001,
        cacheStatus: hit ? 'hit' : 'miss',
        trail: [],
        status: 'ok',
        httpStatus: 200,
      });
    }
    store.commit(recs.map((rec) => ({ rec, json: JSON.stringify(rec) })), { segment: 0, offset: 1, corrupt: 0 });
    const m = (await scenarioFromLedger(store, now - 30 * 86_400_000, now))!;
    expect(m.requests).toBe(100);
    expect(m.windowDays).toBeCloseTo(10, 5);
    expect(m.recordedDailyUsd).toBeCloseTo(0.009, 9);
    const s = parseScenario(m.scenario);
    expect(s.requestsPerDay).toBeCloseTo(10, 5);
    expect(s.cache.exactHitRate).toBeCloseTo(0.1, 9);
    expect(s.tokens.system).toBe(800);
    expect(s.tokens.user).toBe(200);
    expect(s.tokens.output).toBe(100);
    expect(s.cache.promptCacheHitRate).toBe(1);
    const mix = Object.fromEntries(s.mix.map((x) => [x.model, x.share]));
    expect(mix['gpt-4o']! + mix['gpt-4o-mini']!).toBeCloseTo(1, 9);
    expect(calculate(s).dailyUsd).toBeGreaterThan(0);
  });
});
