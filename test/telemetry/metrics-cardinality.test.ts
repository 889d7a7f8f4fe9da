// Issue 13, the /health stall under the fuzz: the fuzz harness scrapes /metrics every second, and
// every model name a client invented became a label value (~110 samples each), so each scrape was
// one synchronous render that grew with the client's strings (0.2-0.5 s, all requests and
// /health waiting). Now only the gateway's own model and route names are label values, label sets
// are bounded, and the page renders in chunks with a turn of the event loop between them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayMetrics, METRICS_DEFAULTS, OTHER_MODEL, RENDER_CHUNK_CHARS } from '../../src/telemetry/metrics.js';
import { makeRecord } from '../ledger/fixtures.js';
import { HARNESS_ADMIN_KEY, startHarness, type Harness } from '../gateway/helpers.js';

const CHAT = { provider: 'openai', operation: 'chat' } as const;
const KNOWN = new Set(['gpt-4o', 'gpt-4o-mini', 'auto']);

/** sample lines of the page (not HELP/TYPE) */
const sampleLines = (text: string): string[] => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
const requestedModels = (text: string): Set<string> => new Set([...text.matchAll(/gen_ai_request_model="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!));

describe('GatewayMetrics label bounds', () => {
  it('an invented model name never becomes a label value once the known names are set', async () => {
    const m = new GatewayMetrics();
    m.knowModels((n) => KNOWN.has(n));
    m.observe(makeRecord(0, { requestedModel: 'gpt-4o', model: 'gpt-4o' }), CHAT);
    const invent = (i: number) => makeRecord(1, { requestedModel: `gpt-4o-mini\u202e${i}`, model: undefined, status: 'error', httpStatus: 404, errorClass: 'not_found' });
    m.observe(invent(1), CHAT);
    const after1 = await m.render();
    for (let i = 2; i < 2_000; i++) m.observe(invent(i), CHAT);
    const after2000 = await m.render();
    // the same series, only their values moved: the page does not grow with distinct client strings
    expect(sampleLines(after2000).length).toBe(sampleLines(after1).length);
    expect(m.labelSets).toBe(2);
    expect(requestedModels(after2000)).toEqual(new Set(['gpt-4o', OTHER_MODEL]));
    expect(after2000).toMatch(new RegExp(`tollgate_requests_total\\{[^}]*gen_ai_request_model="${OTHER_MODEL}"[^}]*\\} 1999\\n`));
  });

  it('label sets stop at maxLabelSets; the rest is counted in an overflow set, nothing lost', async () => {
    const m = new GatewayMetrics({ maxLabelSets: 20 });
    // routes and error types are the gateway's own names, but their combinations still multiply
    for (let i = 0; i < 500; i++) m.observe(makeRecord(i, { route: `route-${i}` }), CHAT);
    expect(m.labelSets).toBeLessThanOrEqual(20 + 1);
    const text = await m.render();
    const total = [...text.matchAll(/^tollgate_requests_total\{[^}]*\} (\d+)$/gm)].reduce((n, x) => n + Number(x[1]), 0);
    expect(total).toBe(500);
    expect(text).toMatch(/^tollgate_metrics_label_sets_overflow_total 480$/m);
    expect(text).toMatch(/^tollgate_metrics_label_sets 21$/m);
    expect(text).toContain(`route="${OTHER_MODEL}"`);
  });

  it('the default bound holds against any number of client model names without knowModels', async () => {
    const m = new GatewayMetrics();
    for (let i = 0; i < 3_000; i++) m.observe(makeRecord(i, { requestedModel: `x${i}`, route: `r${i % 50}` }), CHAT);
    expect(m.labelSets).toBeLessThanOrEqual(METRICS_DEFAULTS.maxLabelSets + 2);
  });

  it('renders a big page in many chunks with a turn of the event loop between them', async () => {
    const m = new GatewayMetrics({ maxLabelSets: 500 });
    for (let i = 0; i < 300; i++) m.observe(makeRecord(i, { route: `route-${i}` }), CHAT);
    let turns = 0;
    let rendering = true;
    const spin = (): void => {
      turns++;
      if (rendering) setImmediate(spin);
    };
    setImmediate(spin);
    const chunks: string[] = [];
    for await (const c of m.renderChunks()) chunks.push(c);
    rendering = false;
    const text = chunks.join('');
    // ~23 KB a label set: several MB, never one task
    expect(text.length).toBeGreaterThan(20 * RENDER_CHUNK_CHARS);
    expect(chunks.length).toBeGreaterThan(20);
    for (const c of chunks.slice(0, -1)) expect(c.length).toBeLessThan(RENDER_CHUNK_CHARS + 4096);
    expect(turns).toBeGreaterThanOrEqual(chunks.length - 1);
    // and the chunks join into the same page render() gives
    expect(await m.render()).toBe(text);
  });

  it('escapes label values as the exposition format asks', async () => {
    const m = new GatewayMetrics();
    m.observe(makeRecord(1, { requestedModel: 'a"b\\c\nd', route: 'r' }), CHAT);
    const text = await m.render();
    expect(text).toContain('gen_ai_request_model="a\\"b\\\\c\\nd"');
    for (const line of sampleLines(text)) expect(line).toMatch(/^[a-zA-Z_:][\w:]*(\{.*\})? \S+$/);
  });
});

describe('/metrics on a live gateway with hostile model names', () => {
  let h: Harness;
  const scrape = async (): Promise<string> => (await fetch(`${h.gw.url}/metrics`, { headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}` } })).text();
  const chat = (model: string): Promise<Response> =>
    fetch(`${h.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer demo-key' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    });
  beforeAll(async () => {
    h = await startHarness({}, {}, { levers: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the page does not grow with distinct client model names', async () => {
    expect((await chat('gpt-4o-mini')).status).toBe(200);
    const first = await chat('made-up-0');
    expect(first.status).toBe(404);
    const before = sampleLines(await scrape()).filter((l) => l.startsWith('gen_ai_') || l.startsWith('tollgate_requests_total'));
    for (let i = 1; i < 150; i++) expect((await chat(`made-up-${i} \u{1F600}`)).status).toBe(404);
    const text = await scrape();
    const after = sampleLines(text).filter((l) => l.startsWith('gen_ai_') || l.startsWith('tollgate_requests_total'));
    expect(after.length).toBe(before.length);
    expect([...requestedModels(text)].filter((n) => n.startsWith('made-up'))).toEqual([]);
    expect(requestedModels(text)).toContain('gpt-4o-mini');
    expect(requestedModels(text)).toContain(OTHER_MODEL);
  });
});
