import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createCacheStage } from '../../src/levers/cache/index.js';
import { ALL_GUARDS, signature, veto } from '../../src/levers/cache/guards.js';
import { builtinEmbedder } from '../../src/levers/cache/embedders/index.js';
import { context, costOf, request, tmpDir, upstream } from './helpers.js';
import type { Message } from '../../src/core/canonical.js';

const hard = JSON.parse(readFileSync(new URL('./hard-negatives.json', import.meta.url), 'utf8')) as { pairs: [string, string][] };

describe('semantic cache', () => {
  it('serves a paraphrase from the same context, with similarity in the header and trail', async () => {
    const stage = await createCacheStage({ semantic: { enabled: true, threshold: 0.8 } }, { dataDir: tmpDir(), costOf });
    const up = upstream();
    await stage.handle(context(request('How do I reset my password?')), up.complete);
    const c = context(request('How can I reset my password?'));
    const r = await stage.handle(c, up.complete);
    expect(up.calls).toBe(1);
    expect(r.source).toBe('cache');
    expect(c.cache?.status).toBe('semantic_hit');
    expect(c.responseHeaders['x-tollgate-cache']).toBe('hit');
    expect(Number(c.responseHeaders['x-tollgate-cache-similarity'])).toBeGreaterThanOrEqual(0.8);
    const t = c.trail.find((x) => x.decision === 'semantic_hit')!;
    expect(t.data).toMatchObject({ threshold: 0.8 });
    expect(typeof t.data!.entryId).toBe('number');
    await stage.close!();
  });

  it('never matches across a different conversation prefix, system prompt or tenant', async () => {
    const stage = await createCacheStage({ semantic: { enabled: true, threshold: 0.5 } }, { dataDir: tmpDir(), costOf });
    const up = upstream();
    const turn = (prev: string, q: string): Message[] => [
      { role: 'user', content: [{ type: 'text', text: prev }] },
      { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
      { role: 'user', content: [{ type: 'text', text: q }] },
    ];
    await stage.handle(context(request('', { messages: turn('Tell me about Rust', 'How do I install it?') })), up.complete);
    const other = context(request('', { messages: turn('Tell me about Go', 'How do I install it?') }));
    await stage.handle(other, up.complete);
    expect(other.cache?.status).toBe('miss');
    await stage.handle(context(request('How do I reset my password?')), up.complete);
    const sys = context(request('How can I reset my password?', { system: [{ type: 'text', text: 'You are a pirate.' }] }));
    await stage.handle(sys, up.complete);
    expect(sys.cache?.status).toBe('miss');
    const tenant = context(request('How can I reset my password?'), { team: 'other' });
    await stage.handle(tenant, up.complete);
    expect(tenant.cache?.status).toBe('miss');
    await stage.close!();
  });

  it('hand-written hard negatives never hit, even at a permissive threshold', async () => {
    const stage = await createCacheStage({ semantic: { enabled: true, threshold: 0.3 } }, { dataDir: tmpDir(), costOf });
    const up = upstream();
    for (const [i, [a, b]] of hard.pairs.entries()) {
      await stage.handle(context(request(a), { team: `t${i}` }), up.complete);
      const c = context(request(b), { team: `t${i}` });
      await stage.handle(c, up.complete);
      expect(c.cache?.status, `${a} <-> ${b}`).toBe('miss');
      expect(veto(signature(a), signature(b), ALL_GUARDS), `${a} <-> ${b}`).toBeDefined();
    }
    await stage.close!();
  });

  it('the built-in embedder ranks a paraphrase above a different question', () => {
    const e = builtinEmbedder();
    const [a, p, n] = ['What is the best way to learn Python?', 'How should I start learning Python?', 'What is the best way to cook rice?'].map((t) => e.embedSync(t));
    const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    expect(dot(a!, p!)).toBeGreaterThan(dot(a!, n!));
  });

  it('sends borderline similarities to the verifier and records its verdict', async () => {
    const asked: [string, string][] = [];
    const stage = await createCacheStage({ semantic: { enabled: true, threshold: 0.999, verifyFrom: 0.3 } }, {
      dataDir: tmpDir(), costOf,
      verify: async (q, c) => { asked.push([q, c]); return { same: true, costUsd: 0.0001 }; },
    });
    const up = upstream();
    await stage.handle(context(request('How do I reset my password?')), up.complete);
    const c = context(request('How can I reset my password?'));
    await stage.handle(c, up.complete);
    expect(asked).toEqual([['How can I reset my password?', 'How do I reset my password?']]);
    expect(c.cache?.status).toBe('semantic_hit');
    expect(c.trail.find((t) => t.decision === 'verified')?.data).toMatchObject({ verifierCostUsd: 0.0001 });
    await stage.close!();
  });

  it('rebuilds the semantic index from the store on restart', async () => {
    const dir = tmpDir();
    const s1 = await createCacheStage({ semantic: { enabled: true, threshold: 0.8 } }, { dataDir: dir, costOf });
    await s1.handle(context(request('How do I reset my password?')), upstream().complete);
    await s1.close!();
    const s2 = await createCacheStage({ semantic: { enabled: true, threshold: 0.8 } }, { dataDir: dir, costOf });
    const c = context(request('How can I reset my password?'));
    await s2.handle(c, upstream().complete);
    expect(c.cache?.status).toBe('semantic_hit');
    await s2.close!();
  });
});

describe('vector partitions', () => {
  it('switches to an HNSW graph past hnswMinEntries and still finds the nearest entries, also after removals', async () => {
    const { VectorPartition } = await import('../../src/levers/cache/vector-index.js');
    const e = builtinEmbedder();
    const texts = Array.from({ length: 60 }, (_, i) => `question number ${i} about topic ${i * 7919 % 97} and item ${i % 13}`);
    const p = new VectorPartition(e.embedSync('x').length, 16, { m: 8, efConstruction: 100, efSearch: 64 });
    texts.forEach((t, i) => p.add(i, e.embedSync(t)));
    expect(p.usesGraph).toBe(true);
    expect(p.search(e.embedSync(texts[42]!), 1)[0]).toMatchObject({ id: 42 });
    expect(p.search(e.embedSync(texts[42]!), 1)[0]!.similarity).toBeCloseTo(1, 4);
    p.remove(42);
    expect(p.search(e.embedSync(texts[42]!), 3).map((n) => n.id)).not.toContain(42);
    expect(p.size).toBe(59);
  });
});
