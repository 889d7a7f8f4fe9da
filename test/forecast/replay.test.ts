// Replay against a window the real gateway recorded (the simulator as its upstream, the official
// SDK as the client, the opt-in payload store on): with the policy unchanged the predicted cost is
// the ledger's cost exactly; a cheaper policy predicts less; the payload store redacts; the CLI's
// JSON carries the contract's fields; traces replay with their prompts synthesised.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import { startGateway } from '../../src/server/gateway.js';
import { resolveConfig } from '../../src/config/load.js';
import { demoConfig } from '../../src/config/demo.js';
import { runReplayCommand } from '../../src/cli/replay.js';
import { readLedger } from '../../src/ledger/read.js';
import { replayTrace } from '../../src/forecast/replay/index.js';

let dir: string;
let dataDir: string;
let policyFile: string;
let cheapFile: string;
let recordedCost = 0;
let recordedCount = 0;

function policy(simUrl: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const base = demoConfig({ simUrl, port: 0, dataDir, levers: false }) as Record<string, unknown>;
  return {
    ...base,
    payloadStore: { enabled: true },
    cache: { eligible: { maxTemperature: 0 } },
    routes: {
      support: {
        tiers: [
          { name: 'cheap', models: ['gpt-4o-mini'] },
          { name: 'strong', models: ['gpt-4o'] },
        ],
        rules: [{ name: 'refunds', when: { keywords: ['refund', 'chargeback'] }, tier: 'strong' }],
        defaultTier: 'cheap',
        baseline: 'gpt-4o',
      },
    },
    ...over,
  };
}

async function cli(args: Parameters<typeof runReplayCommand>[0]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runReplayCommand({ progress: false, ...args }, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tg-replay-'));
  dataDir = join(dir, 'data');
  const sim = await startSimulator({ port: 0, latencyScale: 0, seed: 11 });
  const raw = policy(sim.url);
  const gw = await startGateway({ config: resolveConfig(raw, '(test)', {}), port: 0 });
  try {
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'tg_demo_client', maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'tg_demo_client', maxRetries: 0 });
    const questions = [
      'How do I reset my password?',
      'I want a refund for order 1234, it arrived broken.',
      'What are your opening hours?',
      'My card was charged twice, I will file a chargeback.',
      'How do I reset my password?',
      'Can I change my delivery address? Write to me at jane.doe@example.com or +44 20 7946 0958.',
    ];
    for (let round = 0; round < 3; round++) {
      for (const q of questions) {
        await openai.chat.completions.create({ model: 'support', temperature: 0, messages: [{ role: 'system', content: 'You are a support agent.' }, { role: 'user', content: q }] });
      }
      await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: `Summarise round ${round} of the support log.` }] });
      await anthropic.messages.create({ model: 'claude-3-5-haiku', max_tokens: 200, messages: [{ role: 'user', content: `Classify ticket ${round}: late parcel.` }] });
    }
  } finally {
    await gw.close();
    await sim.close();
  }
  const recs = readLedger(dataDir, { last: 1000 });
  recordedCount = recs.length;
  recordedCost = [...recs].reverse().reduce((a, r) => a + r.costUsd, 0);
  policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, stringify(raw));
  // the same traffic, everything on the cheap tier
  const cheap = policy(sim.url);
  (cheap.routes as { support: { rules: unknown[] } }).support.rules = [];
  cheapFile = join(dir, 'cheap.yaml');
  writeFileSync(cheapFile, stringify({ ...cheap, models: (cheap.models as { name: string }[]).filter((m) => m.name !== 'gpt-4o'), replay: { batch: 'none' } }).replace(/- gpt-4o\n/g, '- gpt-4o-mini\n').replace(/baseline: gpt-4o\n/, 'baseline: gpt-4o-mini\n'));
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('replay of a recorded window', () => {
  it('with the policy unchanged, predicts exactly the cost the ledger recorded', async () => {
    expect(recordedCount).toBe(24);
    expect(recordedCost).toBeGreaterThan(0);
    const r = await cli({ dataDir, config: policyFile, json: true });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.requests).toBe(24);
    expect(j.synthesisedPrompts).toBe(0);
    expect(j.recorded.costUsd).toBe(recordedCost);
    expect(j.predicted.costUsd).toBe(j.recorded.costUsd);
    expect(j.predicted.cacheHits).toBe(j.recorded.cacheHits);
    expect(j.predicted.cacheHits).toBeGreaterThan(0);
    expect(j.predicted.byModel).toEqual(j.recorded.byModel);
  });

  it('a policy without the strong tier predicts less, and says which models it would use', async () => {
    const r = await cli({ dataDir, config: cheapFile, json: true });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.predicted.costUsd).toBeLessThan(j.recorded.costUsd);
    expect(Object.keys(j.recorded.byModel)).toContain('gpt-4o');
    expect(j.predicted.byModel['gpt-4o-mini'].requests).toBeGreaterThan(j.recorded.byModel['gpt-4o-mini'].requests);
    expect(j.costChange).toBeLessThan(0);
  });

  it('prints recorded and predicted side by side', async () => {
    const r = await cli({ dataDir, config: cheapFile });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/recorded\s+predicted\s+change/);
    expect(r.out).toMatch(/latency p95/);
  });

  it('the payload store kept the prompts, redacted (no e-mail, no phone number)', () => {
    const text = readFileSync(join(dataDir, 'payloads.jsonl'), 'utf8');
    expect(text.split('\n').filter(Boolean)).toHaveLength(24);
    expect(text).toMatch(/Can I change my delivery address\? Write to me at \[email\] or \[phone\]/);
    expect(text).not.toMatch(/jane\.doe@example\.com/);
    expect(text).not.toMatch(/7946/);
  });

  it('without payloads, records are replayed with synthesised prompts and the report says so', async () => {
    const copy = join(dir, 'nopayload');
    const { cpSync } = await import('node:fs');
    cpSync(dataDir, copy, { recursive: true });
    rmSync(join(copy, 'payloads.jsonl'));
    const r = await cli({ dataDir: copy, config: policyFile, json: true });
    const j = JSON.parse(r.out);
    expect(j.synthesisedPrompts).toBe(24);
    expect(j.notes.join(' ')).toMatch(/synthesised/);
    // the same models, prompts the same size: the cost stays that of the recorded usage
    expect(j.predicted.costUsd).toBeGreaterThan(0);
  });

  it('mistakes exit 2 with a message', async () => {
    expect((await cli({ dataDir })).code).toBe(2);
    const missing = await cli({ dataDir, config: join(dir, 'nope.yaml') });
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no such file/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'providers: []\n');
    const b = await cli({ dataDir, config: bad });
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/providers/);
    const noLedger = await cli({ dataDir: join(dir, 'empty'), config: policyFile });
    expect(noLedger.code).toBe(2);
    expect(noLedger.err).toMatch(/no ledger/);
  });
});

/** the public traces beside the checkout (../shared/data); these tests skip without them */
describe.skipIf(!existsSync('../shared/data/mooncake-traces'))('replay of a public trace', () => {
  it('Mooncake: the prefix hashes make the provider prompt cache read tokens', async () => {
    const policyObj = { providers: [{ name: 'openai', kind: 'openai', baseUrl: 'https://api.openai.com/v1' }], models: [{ name: 'gpt-4o', provider: 'openai' }] };
    const r = await replayTrace({
      trace: 'mooncake',
      file: '../shared/data/mooncake-traces/conversation_trace.jsonl',
      model: 'gpt-4o',
      policy: { policy: policyObj, extras: {} },
      limit: 3000,
    });
    expect(r.requests).toBe(3000);
    expect(r.synthesisedPrompts).toBe(3000);
    expect(r.predicted.tokens.cacheRead).toBeGreaterThan(0);
    // cached input is billed at half price on gpt-4o: the same trace costs less than its tokens at list price
    const listInput = ((r.predicted.tokens.input + r.predicted.tokens.cacheRead) * 2.5) / 1e6 + (r.predicted.tokens.output * 10) / 1e6;
    expect(r.predicted.costUsd).toBeLessThan(listInput);
    expect(r.notes.join(' ')).toMatch(/synthesised/);
  });

  it('Azure: a tiering policy against everything on the baseline model', async () => {
    const policyObj = {
      providers: [{ name: 'openai', kind: 'openai', baseUrl: 'https://api.openai.com/v1' }],
      models: [
        { name: 'gpt-4o', provider: 'openai' },
        { name: 'gpt-4o-mini', provider: 'openai' },
      ],
      routes: { auto: { tiers: [{ name: 'cheap', models: ['gpt-4o-mini'] }, { name: 'strong', models: ['gpt-4o'] }], rules: [{ name: 'long', when: { inputTokensGt: 2000 }, tier: 'strong' }], defaultTier: 'cheap', baseline: 'gpt-4o' } },
    };
    const r = await replayTrace({ trace: 'azure', file: '../shared/data/azure-llm-trace-2023/AzureLLMInferenceTrace_code.csv', model: 'auto', policy: { policy: policyObj, extras: {} }, limit: 2000 });
    expect(Object.keys(r.recorded.byModel)).toEqual(['gpt-4o']);
    expect(r.predicted.byModel['gpt-4o']!.requests).toBeGreaterThan(0);
    expect(r.predicted.byModel['gpt-4o-mini']!.requests).toBeGreaterThan(0);
    expect(r.predicted.costUsd).toBeLessThan(r.recorded.costUsd);
  });
});
