// The built-in embedder: the shipped weights are the lemma model trained on the component split,
// paraphrases that differ only by inflection meet, and an over-long text is a semantic miss rather
// than long synchronous work on the event loop or a failed request.
import { describe, expect, it } from 'vitest';
import { createCacheStage } from '../../src/levers/cache/index.js';
import { BUILTIN_MAX_CHARS, builtinEmbedder, loadBuiltin } from '../../src/levers/cache/embedders/index.js';
import { dot } from '../../src/levers/cache/embedders/builtin-model.js';
import { lemma } from '../../src/levers/cache/embedders/features.js';
import { context, costOf, request, tmpDir, upstream } from './helpers.js';

describe('built-in embedder', () => {
  it('ships the lemma model trained on the component split', () => {
    const h = loadBuiltin().header;
    expect(h).toMatchObject({ version: 2, lemmas: true, bigrams: false, trigrams: false, dim: 128 });
    expect(String(h.trainedOn?.split)).toMatch(/connected components/);
  });

  it('maps inflections to one lemma, so they share trained rows', () => {
    expect(['studies', 'studied', 'studying', 'study'].map(lemma)).toEqual(['study', 'study', 'study', 'study']);
    const e = builtinEmbedder();
    const a = e.embedSync('How do I study for exams?'), b = e.embedSync('How did you studied for the exam?'), c = e.embedSync('How do I cook for guests?');
    expect(dot(a, b)).toBeGreaterThan(dot(a, c));
  });

  it('refuses a text over its limit, and the cache does not even try it: an exact-only miss, not a failed request', async () => {
    expect(() => builtinEmbedder().embedSync('x '.repeat(BUILTIN_MAX_CHARS))).toThrow(/over the built-in embedder/);
    const stage = await createCacheStage({ semantic: { enabled: true } }, { dataDir: tmpDir(), costOf });
    const up = upstream();
    const long = 'Summarise this: ' + 'lorem ipsum dolor sit amet '.repeat(2000);
    await stage.handle(context(request(long)), up.complete);
    const c = context(request(long + ' Thanks.'));
    const r = await stage.handle(c, up.complete);
    expect(r.source).not.toBe('cache');
    expect(up.calls).toBe(2);
    expect(c.cache?.status).toBe('miss');
    // longer than any embedder takes: an exact-only request, no embedding or guard work at all
    expect(c.trail.some((t) => t.decision === 'semantic_error')).toBe(false);
    await stage.close!();
  });
});
