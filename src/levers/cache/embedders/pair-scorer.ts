// The built-in embedder's second stage: a logistic scorer over a (query, cached question) pair that
// the vector index proposed. The embedding's cosine alone cannot tell "How do I learn Python?"
// from "How do I learn Java?" (one word apart, both fluent questions); what carries over to new
// questions is which words differ, how rare they are (idf from the training texts), and how the
// differing words relate. The scorer reads the cosine, lexical overlap (lemmas, bigrams, char
// trigrams), the unmatched words' idf mass and their embedding similarity, and hashed weights of
// matched and unmatched lemmas learned from labelled pairs (src/lab/cache/train-pair-scorer.ts).
// Its output, a probability that both ask the same thing, is the similarity the cache thresholds.
// Pure and synchronous: about as costly as one embedding per candidate.

import { readFileSync } from 'node:fs';
import { fnv1a, lemma, tokenize } from './features.js';
import { dot, type BuiltinModel } from './builtin-model.js';

const MAGIC = 'TGPAIR01';

export interface PairScorerHeader {
  format: 'tollgate-builtin-pair-scorer';
  version: number;
  /** hashed sparse features and idf buckets */
  buckets: number;
  /** weights of the dense features, in the order of `pairFeatures` */
  dense: number[];
  /** the dense features are extended by their pairwise products (interactions a linear model lacks) */
  quadratic?: boolean;
  /** free-form provenance: data, split, epochs, held-out figures */
  trainedOn?: Record<string, unknown>;
}

/** Leading words that set what kind of answer a question wants ("how" vs "why"); others fold to '?'. */
const LEAD_WORDS = new Set(['what', 'how', 'why', 'when', 'where', 'which', 'who', 'whom', 'whose', 'can', 'be', 'do', 'should', 'will', 'would', 'could', 'have', 'if', 'a', 'the', 'i', 'my', 'in', 'best', 'does']);

/** per-text parts the scorer needs, computed once per text (a cached entry keeps its own) */
export interface PairText {
  lemmas: string[];
  set: Set<string>;
  bigrams: Set<string>;
  trigrams: Set<string>;
  numbers: string;
}

export function pairText(text: string): PairText {
  const lemmas = tokenize(text).map(lemma);
  const bigrams = new Set<string>();
  for (let i = 0; i + 1 < lemmas.length; i++) bigrams.add(lemmas[i] + ' ' + lemmas[i + 1]);
  const trigrams = new Set<string>();
  const w = ' ' + text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim() + ' ';
  for (let i = 0; i + 3 <= w.length; i++) trigrams.add(w.slice(i, i + 3));
  return { lemmas, set: new Set(lemmas), bigrams, trigrams, numbers: lemmas.filter((x) => /\d/.test(x)).sort().join(' ') };
}

export interface PairFeatures {
  dense: number[];
  /** hashed bucket ids, each with value 1 */
  sparse: number[];
}

export type IdfOf = (lemma: string) => number;
/** cosine of two lemmas' own embeddings */
export type WordSim = (a: string, b: string) => number;

function jaccard(a: Set<string>, b: Set<string>): number {
  let i = 0;
  for (const g of a) if (b.has(g)) i++;
  const u = a.size + b.size - i;
  return u ? i / u : 1;
}

/** Features of a pair, symmetric in a and b. `cos` is the two embeddings' cosine. */
export function pairFeatures(a: PairText, b: PairText, cos: number, idf: IdfOf, wordSim: WordSim, buckets: number, quadratic = false): PairFeatures {
  const ua = [...a.set].filter((w) => !b.set.has(w));
  const ub = [...b.set].filter((w) => !a.set.has(w));
  let sa = 0, sb = 0, na = 0, nb = 0, both = 0, unmatched = 0, maxUnmatched = 0;
  for (const w of a.set) {
    const x = idf(w);
    sa += x;
    na += x * x;
    if (b.set.has(w)) both += x * x;
  }
  for (const w of b.set) {
    const x = idf(w);
    sb += x;
    nb += x * x;
  }
  for (const w of ua.concat(ub)) {
    const x = idf(w);
    unmatched += x;
    maxUnmatched = Math.max(maxUnmatched, x);
  }
  // how close the words that differ are: each unmatched word's best match on the other side
  let sub: number;
  if (ua.length && ub.length) {
    sub = 0;
    const m = ua.map((x) => ub.map((y) => wordSim(x, y)));
    for (let i = 0; i < ua.length; i++) sub += Math.max(...m[i]!);
    for (let j = 0; j < ub.length; j++) sub += Math.max(...m.map((r) => r[j]!));
    sub /= ua.length + ub.length;
  } else sub = ua.length || ub.length ? -0.5 : 1;
  const idfCos = both / Math.sqrt(na * nb || 1);
  const lo = Math.min(ua.length, ub.length), hi = Math.max(ua.length, ub.length);
  const dense = [
    1, cos, cos * cos, idfCos, jaccard(a.set, b.set), unmatched / Math.max(1e-9, sa + sb), maxUnmatched / 10,
    Math.log1p(lo), Math.log1p(hi), Math.abs(a.lemmas.length - b.lemmas.length) / 10,
    Math.abs(Math.log((a.lemmas.length + 1) / (b.lemmas.length + 1))), a.lemmas[0] === b.lemmas[0] ? 1 : 0,
    jaccard(a.trigrams, b.trigrams), a.numbers === b.numbers ? 0 : 1, sub, hi === 0 ? 1 : 0, jaccard(a.bigrams, b.bigrams),
  ];
  if (quadratic) {
    const n = dense.length;
    for (let i = 1; i < n; i++) for (let j = i + 1; j < n; j++) dense.push(dense[i]! * dense[j]!);
  }
  const h = (s: string): number => fnv1a(s) % buckets;
  const sparse: number[] = [];
  for (const w of ua) sparse.push(h('u:' + w));
  for (const w of ub) sparse.push(h('u:' + w));
  for (const w of a.set) if (b.set.has(w)) sparse.push(h('m:' + w));
  const lead = [a.lemmas[0] ?? '', b.lemmas[0] ?? ''].map((w) => (LEAD_WORDS.has(w) ? w : '?')).sort();
  sparse.push(h('wh:' + lead.join('|')));
  // binned cosines and unmatched counts: lets a linear model bend where the evidence bends
  sparse.push(h('cb:' + Math.floor(cos * 40)), h('ib:' + Math.floor(idfCos * 40)), h('nu:' + Math.min(lo, 5) + '|' + Math.min(hi, 5)));
  return { dense, sparse };
}

export const DENSE_FEATURES = 17;
/** with the pairwise products of the 16 non-constant ones */
export const denseCount = (quadratic?: boolean): number => (quadratic ? DENSE_FEATURES + ((DENSE_FEATURES - 1) * (DENSE_FEATURES - 2)) / 2 : DENSE_FEATURES);

export function margin(f: PairFeatures, dense: ArrayLike<number>, sparse: Float32Array): number {
  let z = 0;
  for (let j = 0; j < f.dense.length; j++) z += dense[j]! * f.dense[j]!;
  for (const s of f.sparse) z += sparse[s]!;
  return z;
}

export class PairScorer {
  readonly header: PairScorerHeader;
  readonly sparse: Float32Array;
  /** idf per hashed lemma bucket, quantised to 1/16 */
  readonly idfQ: Uint8Array;
  private readonly model: BuiltinModel;
  /** each row's norm: a lemma's own embedding is its row, normalised (lemma-only models) */
  private rowNorms?: Float32Array;

  constructor(header: PairScorerHeader, sparse: Float32Array, idfQ: Uint8Array, model: BuiltinModel) {
    if (sparse.length !== header.buckets || idfQ.length !== header.buckets || header.dense.length !== denseCount(header.quadratic)) {
      throw new Error('builtin pair scorer: weights do not match header');
    }
    this.header = header;
    this.sparse = sparse;
    this.idfQ = idfQ;
    this.model = model;
  }

  idf = (w: string): number => this.idfQ[fnv1a('idf:' + w) % this.header.buckets]! / 16;

  /**
   * The cosine of two lemmas' own embeddings. For a lemma-only model (the shipped one) a lemma's
   * embedding is its row, so this reads two rows, allocating nothing; otherwise it embeds both.
   */
  wordSim = (x: string, y: string): number => {
    const h = this.model.header;
    if (h.bigrams || h.trigrams || !h.lemmas) return dot(this.model.embed(x), this.model.embed(y));
    const d = h.dim, w = this.model.weights;
    if (!this.rowNorms) {
      const n = new Float32Array(h.buckets);
      for (let r = 0; r < h.buckets; r++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += w[r * d + j]! * w[r * d + j]!;
        n[r] = Math.sqrt(s) || 1;
      }
      this.rowNorms = n;
    }
    const rx = fnv1a('l:' + x) % h.buckets, ry = fnv1a('l:' + y) % h.buckets;
    let s = 0;
    for (let j = 0; j < d; j++) s += w[rx * d + j]! * w[ry * d + j]!;
    return s / (this.rowNorms[rx]! * this.rowNorms[ry]!);
  };

  features(a: PairText, b: PairText, cos: number): PairFeatures {
    return pairFeatures(a, b, cos, this.idf, this.wordSim, this.header.buckets, this.header.quadratic);
  }

  /** probability (0..1) that the two texts ask the same thing */
  score(a: PairText, b: PairText, cos: number): number {
    return 1 / (1 + Math.exp(-margin(this.features(a, b, cos), this.header.dense, this.sparse)));
  }

  serialize(): Buffer {
    const head = Buffer.from(JSON.stringify(this.header), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(head.length);
    return Buffer.concat([Buffer.from(MAGIC), len, head, Buffer.from(this.sparse.buffer, this.sparse.byteOffset, this.sparse.byteLength), Buffer.from(this.idfQ)]);
  }

  static deserialize(buf: Buffer, model: BuiltinModel): PairScorer {
    if (buf.subarray(0, 8).toString() !== MAGIC) throw new Error('builtin pair scorer: not a tollgate pair-scorer file');
    const hl = buf.readUInt32LE(8);
    const header = JSON.parse(buf.subarray(12, 12 + hl).toString('utf8')) as PairScorerHeader;
    let off = 12 + hl;
    const sparse = new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + header.buckets * 4));
    off += header.buckets * 4;
    const idfQ = new Uint8Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + header.buckets));
    return new PairScorer(header, sparse, idfQ, model);
  }

  static load(path: string, model: BuiltinModel): PairScorer {
    return PairScorer.deserialize(readFileSync(path), model);
  }
}

/** idf of a lemma over a corpus, hashed and quantised the way PairScorer reads it */
export function buildIdf(texts: Iterable<string>, buckets: number): Uint8Array {
  const df = new Map<string, number>();
  let n = 0;
  for (const t of texts) {
    n++;
    for (const w of new Set(tokenize(t).map(lemma))) df.set(w, (df.get(w) ?? 0) + 1);
  }
  const q = new Uint8Array(buckets);
  const unseen = Math.log(n + 1) + 1; // a lemma no training text had
  q.fill(Math.min(255, Math.round(unseen * 16)));
  for (const [w, c] of df) q[fnv1a('idf:' + w) % buckets] = Math.min(255, Math.round((Math.log((n + 1) / (c + 1)) + 1) * 16));
  return q;
}
