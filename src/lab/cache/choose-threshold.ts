// Picks the semantic cache's default threshold for a built-in embedder file: the lowest similarity
// (to 0.01) at which at most 1% of the val components' non-duplicates hit with the guards on, then
// reports what it does on the test components it was not chosen on (hit rate, false-hit rate).
//   npx tsx src/lab/cache/choose-threshold.ts ../shared/data/gptcache-qqp [data/cache/builtin-embedder.bin]

import { BuiltinModel, dot } from '../../levers/cache/embedders/builtin-model.js';
import { defaultBuiltinPath } from '../../levers/cache/embedders/index.js';
import { curve, loadQqpPairs, splitPairs, type LabelledPair } from './qqp.js';
import { guarded, splitScores } from './run.js';

export function chooseThreshold(model: BuiltinModel, val: LabelledPair[], test: LabelledPair[], maxFalseHits = 0.01) {
  const score = (ps: LabelledPair[]) => guarded(ps, ps.map((p) => dot(model.embed(p.a), model.embed(p.b))));
  const v = splitScores(val, score(val));
  let threshold = 1;
  for (let t = 0.5; t <= 1.0001; t += 0.01) {
    const r = Math.round(t * 100) / 100;
    if (curve(v.pos, v.neg, [r])[0]!.falseHitRate <= maxFalseHits) {
      threshold = r;
      break;
    }
  }
  const t = splitScores(test, score(test));
  return { threshold, val: curve(v.pos, v.neg, [threshold])[0]!, test: curve(t.pos, t.neg, [threshold])[0]! };
}

if (process.argv[1] && /choose-threshold/.test(process.argv[1]) && process.argv[2]) {
  const s = splitPairs(loadQqpPairs(process.argv[2]));
  const model = BuiltinModel.load(process.argv[3] ?? defaultBuiltinPath());
  console.log(JSON.stringify(chooseThreshold(model, s.val, s.test), null, 2));
}
