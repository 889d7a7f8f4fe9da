// Text -> sparse hashed features, shared by the built-in embedder, its trainer and the lexical
// baseline. Word unigrams (or their lemmas), word bigrams and character trigrams (within word
// boundaries), hashed into a fixed number of buckets so the weights file stays small and unseen
// words still map somewhere. Lemmas (wink-lemmatizer) let "studies"/"studied"/"study" share the
// rows they were trained on, which is what carries over to questions never seen in training.

import lemmatizer from 'wink-lemmatizer';

export interface SparseFeatures {
  /** bucket ids (may repeat across kinds; summed by the consumer) */
  ids: Int32Array;
  /** feature values before any learned or idf weighting (1 + log tf) */
  values: Float32Array;
}

/** Lower-case, Unicode-normalised word tokens; digits kept, punctuation dropped (apostrophes folded). */
export function tokenize(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/['’]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0);
}

/** FNV-1a 32-bit: fast, stable across runs and platforms (the weights file depends on it). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface FeatureOptions {
  buckets: number;
  bigrams: boolean;
  trigrams: boolean;
  /** word features on lemmas instead of surface forms */
  lemmas?: boolean;
}

/** One lemma per word: the verb lemma if the word inflects as a verb, else the noun, else the adjective. */
export function lemma(w: string): string {
  if (w.length < 3 || /\d/.test(w)) return w;
  const v = lemmatizer.verb(w);
  if (v !== w) return v;
  const n = lemmatizer.noun(w);
  if (n !== w) return n;
  return lemmatizer.adjective(w);
}

/** The raw feature strings of a text (also used by the TF-IDF baseline, unhashed). */
export function featureStrings(text: string, opts: { bigrams: boolean; trigrams: boolean; lemmas?: boolean }): string[] {
  const toks = tokenize(text);
  const words = opts.lemmas ? toks.map(lemma) : toks;
  const out: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    out.push((opts.lemmas ? 'l:' : 'w:') + words[i]);
    if (opts.bigrams && i + 1 < toks.length) out.push('b:' + words[i] + ' ' + words[i + 1]);
    if (opts.trigrams) {
      const w = ' ' + t + ' ';
      for (let j = 0; j + 3 <= w.length; j++) out.push('c:' + w.slice(j, j + 3));
    }
  }
  return out;
}

export function hashedFeatures(text: string, opts: FeatureOptions): SparseFeatures {
  const counts = new Map<number, number>();
  for (const f of featureStrings(text, opts)) {
    const id = fnv1a(f) % opts.buckets;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const ids = new Int32Array(counts.size);
  const values = new Float32Array(counts.size);
  let i = 0;
  for (const [id, c] of counts) {
    ids[i] = id;
    values[i] = 1 + Math.log(c);
    i++;
  }
  return { ids, values };
}
