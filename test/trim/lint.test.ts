// `tollgate prompt lint` on a fixture request (OpenAI and Anthropic formats) and on a route's
// traffic in a real gateway's ledger.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { runPromptLint } from '../../src/cli/prompt.js';
import { startHarness } from '../gateway/helpers.js';

const FIXTURE = join(import.meta.dirname, 'fixtures/support-request.json');

async function lint(file: string | undefined, opts: Record<string, unknown>) {
  let out = '';
  let err = '';
  const code = await runPromptLint(file, { last: 1000, ...opts }, { out: (t) => (out += t), err: (t) => (err += t) }, {});
  return { code, out, err };
}

describe('tollgate prompt lint FILE', () => {
  it('sections with tokens and monthly dollars at the stated rate, repeated content, ordering, trim settings', async () => {
    const { code, out } = await lint(FIXTURE, { json: true, requestsPerDay: 20_000 });
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.format).toBe('openai');
    expect(r.model).toBe('gpt-4o');
    expect(r.sections.map((s: { section: string }) => s.section)).toEqual(['system', 'context', 'history', 'user']);
    const sum = r.sections.reduce((a: number, s: { tokens: number }) => a + s.tokens, 0);
    expect(sum).toBe(r.totalTokens);
    // gpt-4o input at $2.50 per million, 20,000 requests a day, 30 days
    for (const s of r.sections) expect(s.usdPerMonth).toBeCloseTo(s.tokens * 2.5e-6 * 20_000 * 30, 6);
    expect(r.chunks).toBe(8);
    expect(r.turns).toBe(5);
    const repeated = r.findings.find((f: { kind: string }) => f.kind === 'repeated');
    expect(repeated.message).toMatch(/2× the same .* \(system, messages\[8\]\)/);
    expect(repeated.tokens).toBeGreaterThan(40);
    expect(r.findings.find((f: { kind: string }) => f.kind === 'ordering').message).toMatch(/variable content .* in system precedes/);
    const settings = Object.fromEntries(r.trimOptions.map((o: { setting: string; tokensRemoved: number }) => [o.setting, o.tokensRemoved]));
    expect(settings['history.keepLastTurns: 1']).toBe(r.sections.find((s: { section: string }) => s.section === 'history').tokens);
    expect(settings['history.keepLastTurns: 1']).toBeGreaterThan(settings['history.keepLastTurns: 3']);
    expect(settings['context.topK: 3']).toBeGreaterThan(0);
    expect(settings['context.topK: 1']).toBeGreaterThan(settings['context.topK: 5']);
  });

  it('prints a table by default, and reads an Anthropic body (detected)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-lint-'));
    const file = join(dir, 'anthropic.json');
    writeFileSync(file, JSON.stringify({ model: 'claude-sonnet-4', max_tokens: 100, system: 'You answer from the documents.', messages: [{ role: 'user', content: [{ type: 'document', title: 'faq', source: { type: 'text', media_type: 'text/plain', data: 'Refunds take 14 days.' } }, { type: 'text', text: 'How long do refunds take?' }] }] }));
    const { code, out } = await lint(file, {});
    expect(code).toBe(0);
    expect(out).toMatch(/\(anthropic\)/);
    expect(out).toMatch(/on claude-sonnet-4: .* a month at 10000 requests a day/);
    expect(out).toMatch(/^context\s+\d+/m);
  });

  it('bad input is a message and an exit code, not a stack trace', async () => {
    expect((await lint('/nonexistent.json', {})).err).toMatch(/no such file/);
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-lint-'));
    writeFileSync(join(dir, 'x.json'), '[1,2]');
    expect((await lint(join(dir, 'x.json'), {})).code).toBe(1);
    expect((await lint(FIXTURE, { model: 'no-such-model' })).err).toMatch(/no price for model 'no-such-model'/);
    expect((await lint(FIXTURE, { contextMessages: 'a-b' })).code).toBe(2);
    expect((await lint(undefined, {})).code).toBe(2);
  });
});

describe('tollgate prompt lint --route', () => {
  it("a route's recent traffic from the ledger: sizes, monthly dollars, what trimming did, what needs the payload", async () => {
    const h = await startHarness({
      routes: { chat: { tiers: [{ name: 'only', models: ['gpt-4o-mini'] }] } },
      trim: { routes: { chat: { enabled: true, history: { keepLastTurns: 1 } } } },
    });
    try {
      const client = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'client', maxRetries: 0 });
      for (let i = 0; i < 3; i++) {
        await client.chat.completions.create({ model: 'chat', max_tokens: 10, messages: [{ role: 'user', content: `first question ${i}` }, { role: 'assistant', content: 'an answer '.repeat(50) }, { role: 'user', content: 'and then?' }] });
      }
      await h.gw.ledger.flush();
      const { code, out } = await lint(undefined, { route: 'chat', dataDir: h.dataDir, json: true, requestsPerDay: 1000 });
      expect(code).toBe(0);
      const r = JSON.parse(out);
      expect(r.records).toBe(3);
      expect(r.trimmed.requests).toBe(3);
      expect(r.trimmed.tokensRemoved).toBeGreaterThan(150);
      expect(r.usdPerMonth).toBeCloseTo(r.avgCostUsd * 1000 * 30, 9);
      expect(r.needsPayload.join(' ')).toMatch(/repeated content/);
      // the sections come from the records' token components (of the request as sent: trimmed to its last turn)
      expect(r.withComponents).toBe(3);
      expect(r.sections.map((x: { section: string }) => x.section)).toEqual(['user']);
      expect(r.sections[0].avgTokens).toBeGreaterThan(0);
      const text = await lint(undefined, { route: 'chat', dataDir: h.dataDir });
      expect(text.out).toMatch(/route chat: 3 recent request\(s\)/);
      expect((await lint(undefined, { route: 'nope', dataDir: h.dataDir })).err).toMatch(/no records for route 'nope'/);
    } finally {
      await h.close();
    }
  });
});

describe('npx tollgate prompt lint (the built command)', () => {
  const bin = join(import.meta.dirname, '../../bin/tollgate.mjs');
  it('answers --json for a file and exits 2 with a message when given nothing', () => {
    const ok = spawnSync(process.execPath, [bin, 'prompt', 'lint', FIXTURE, '--json', '--requests-per-day', '5000'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ requestsPerDay: 5000, model: 'gpt-4o' });
    const bad = spawnSync(process.execPath, [bin, 'prompt', 'lint'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/give a request file/);
    const rate = spawnSync(process.execPath, [bin, 'prompt', 'lint', FIXTURE, '--requests-per-day', 'lots'], { encoding: 'utf8' });
    expect(rate.status).not.toBe(0);
    expect(rate.stderr).toMatch(/expected a positive number/);
  });
});
