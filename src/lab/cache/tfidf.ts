// The lexical baseline the issue names: TF-IDF over words and character trigrams, cosine.
// Fitted on the evaluated texts themselves (the most favourable setting for the baseline).

import { featureStrings } from '../../levers/cache/embedders/features.js';

export class TfidfBaseline {
  private readonly df = new Map<string, number>();
  private docs = 0;

  fit(texts: Iterable<string>): this {
    for (const t of texts) {
      this.docs++;
      for (const f of new Set(featureStrings(t, { bigrams: false, trigrams: true }))) this.df.set(f, (this.df.get(f) ?? 0) + 1);
    }
    return this;
  }

  vector(text: string): Map<string, number> {
    const tf = new Map<string, number>();
    for (const f of featureStrings(text, { bigrams: false, trigrams: true })) tf.set(f, (tf.get(f) ?? 0) + 1);
    let norm = 0;
    for (const [f, c] of tf) {
      const w = (1 + Math.log(c)) * (Math.log((this.docs + 1) / ((this.df.get(f) ?? 0) + 1)) + 1);
      tf.set(f, w);
      norm += w * w;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [f, w] of tf) tf.set(f, w / norm);
    return tf;
  }

  similarity(a: string, b: string): number {
    const va = this.vector(a);
    const vb = this.vector(b);
    let s = 0;
    for (const [f, w] of va) s += w * (vb.get(f) ?? 0);
    return s;
  }
}
