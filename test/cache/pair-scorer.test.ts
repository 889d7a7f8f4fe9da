// The built-in embedder's pair scorer: what it scores, that the file round-trips, that the cache
// thresholds its score (not the cosine), and that it carries over to the QQP val components, which
// no training pair touches.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { createCacheStage } from '../../src/levers/cache/index.js';
import { builtinEmbedder, loadBuiltin, loadPairScorer } from '../../src/levers/cache/embedders/index.js';
import { dot } from '../../src/levers/cache/embedders/builtin-model.js';
import { PairScorer, pairText, DENSE_FEATURES, denseCount } from '../../src/levers/cache/embedders/pair-scorer.js';
import { loadQqpPairs, rateAtFalseHits, splitPairs } from '../../src/lab/cache/qqp.js';
import { DEFAULT_THRESHOLD, embedderScorer, guarded, splitScores } from '../../src/lab/cache/run.js';
import { context, costOf, request, tmpDir, upstream } from './helpers.js';

const QQP = '../shared/data/gptcache-qqp';
const e = builtinEmbedder();
const score = (a: string, b: string): number => e.rescorer!.score(pairText(a), pairText(b), dot(e.embedSync(a), e.embedSync(b)));

describe('built-in pair scorer', () => {
  it('ships with the built-in embedder and says what it was trained on', () => {
    const s = loadPairScorer(loadBuiltin());
    expect(s.header.format).toBe('tollgate-builtin-pair-scorer');
    expect(s.header.dense).toHaveLength(denseCount(s.header.quadratic));
    expect(DENSE_FEATURES).toBe(17);
    expect(s.header.trainedOn).toMatchObject({ split: expect.stringMatching(/no test or val question in training/) });
    expect(e.rescorer).toBeDefined();
    expect(builtinEmbedder(undefined, false).rescorer).toBeUndefined();
  });

  it('scores a paraphrase above a question one word apart, though their cosines are close', () => {
    const para = score('How can I lose weight fast?', 'What is the fastest way to lose weight?');
    const swap = score('What is the best way to learn python?', 'What is the best way to learn java?');
    expect(para).toBeGreaterThan(DEFAULT_THRESHOLD);
    // far under the default threshold, though the cosines (0.85, 0.80) are not
    expect(swap).toBeLessThan(DEFAULT_THRESHOLD - 0.2);
    expect(score('How do I learn to cook?', 'How do I learn to swim?')).toBeLessThan(DEFAULT_THRESHOLD - 0.2);
  });

  it('is symmetric and a probability', () => {
    for (const [a, b] of [['Why is the sky blue?', 'Why is the sky blue during the day?'], ['How do I reset my password?', 'How can I reset my password?']] as const) {
      const s = score(a, b);
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThan(1);
      expect(score(b, a)).toBeCloseTo(s, 6);
    }
  });

  it('round-trips through its file format', () => {
    const s = loadPairScorer(loadBuiltin());
    const back = PairScorer.deserialize(s.serialize(), loadBuiltin());
    const a = pairText('How do I install numpy on windows?'), b = pairText('How can I install numpy in windows 10?');
    expect(back.score(a, b, 0.9)).toBe(s.score(a, b, 0.9));
    expect(() => PairScorer.deserialize(Buffer.from('not a scorer file at all'), loadBuiltin())).toThrow(/not a tollgate pair-scorer file/);
  });

  it('is what the cache thresholds: the hit reports its score as the similarity and the cosine beside it', async () => {
    const stage = await createCacheStage({ semantic: { enabled: true } }, { dataDir: tmpDir(), costOf });
    const up = upstream();
    await stage.handle(context(request('How can I lose weight fast?')), up.complete);
    const c = context(request('What is the fastest way to lose weight?'));
    await stage.handle(c, up.complete);
    expect(c.cache?.status).toBe('semantic_hit');
    const t = c.trail.find((x) => x.decision === 'semantic_hit')!;
    expect(t.data!.threshold).toBe(DEFAULT_THRESHOLD);
    expect(t.data!.similarity as number).toBeCloseTo(score('What is the fastest way to lose weight?', 'How can I lose weight fast?'), 6);
    expect(typeof t.data!.cosine).toBe('number');
    expect(t.data!.cosine).not.toBe(t.data!.similarity);
    // one word apart with a cosine the plain embedder serves at 0.8: the scorer keeps it a miss
    await stage.handle(context(request('How do I learn to cook?')), up.complete);
    const swim = context(request('How do I learn to swim?'));
    await stage.handle(swim, up.complete);
    expect(swim.cache?.status).toBe('miss');
    await stage.close!();
    const plain = await createCacheStage({ semantic: { enabled: true, threshold: 0.8, embedder: { kind: 'builtin', pairScorer: false } } }, { dataDir: tmpDir(), costOf });
    const up2 = upstream();
    await plain.handle(context(request('How do I learn to cook?')), up2.complete);
    const swim2 = context(request('How do I learn to swim?'));
    await plain.handle(swim2, up2.complete);
    expect(swim2.cache?.status).toBe('semantic_hit');
    expect(swim2.trail.find((x) => x.decision === 'semantic_hit')!.data!.cosine).toBeUndefined();
    await plain.close!();
  });

  it.skipIf(!existsSync(`${QQP}/qqp_pairs_labeled.jsonl`))('finds more duplicates than the cosine alone at 1% false hits on the val components, and its default threshold keeps them under 1% false hits (guards on)', { timeout: 120_000 }, async () => {
    const { val } = splitPairs(loadQqpPairs(QQP));
    const at1 = async (emb: typeof e) => {
      const { pos, neg } = splitScores(val, guarded(val, await embedderScorer(emb)(val)));
      return rateAtFalseHits(pos, neg, 0.01).hitRate;
    };
    const withScorer = await at1(e), cosine = await at1(builtinEmbedder(undefined, false));
    expect(withScorer).toBeGreaterThan(cosine * 1.2);
    // the default threshold was chosen on these pairs to keep false hits under 1% (guards on)
    const { neg } = splitScores(val, guarded(val, await embedderScorer(e)(val)));
    expect(neg.filter((x) => x >= DEFAULT_THRESHOLD).length / neg.length).toBeLessThanOrEqual(0.01);
  });
});
