// The built-in embedder's model: hashed word/bigram/char-trigram features times a learned
// projection (idf folded in), L2-normalised. Trained offline on a train split of the QQP pairs
// (train-builtin.ts); shipped as data/cache/builtin-embedder.bin (int8 rows with a per-row scale).
// No downloads, no native code: an embedding is a sum of ~100 rows of `dim` numbers.

import { readFileSync } from 'node:fs';
import { hashedFeatures, type FeatureOptions } from './features.js';

export interface BuiltinHeader {
  format: 'tollgate-builtin-embedder';
  version: number;
  buckets: number;
  dim: number;
  bigrams: boolean;
  trigrams: boolean;
  /** word features on lemmas (version 2 on); absent = surface words */
  lemmas?: boolean;
  /** free-form provenance: data set, split, epochs, held-out figures */
  trainedOn?: Record<string, unknown>;
}

const MAGIC = 'TGEMB001';

export class BuiltinModel {
  readonly header: BuiltinHeader;
  /** buckets x dim, row-major, dequantised once at load (buckets*dim floats) */
  readonly weights: Float32Array;
  private readonly featOpts: FeatureOptions;

  constructor(header: BuiltinHeader, weights: Float32Array) {
    if (weights.length !== header.buckets * header.dim) throw new Error('builtin embedder: weights size does not match header');
    this.header = header;
    this.weights = weights;
    this.featOpts = { buckets: header.buckets, bigrams: header.bigrams, trigrams: header.trigrams, lemmas: header.lemmas };
  }

  get dim(): number {
    return this.header.dim;
  }

  embed(text: string): Float32Array {
    const { ids, values } = hashedFeatures(text, this.featOpts);
    const d = this.header.dim;
    const out = new Float32Array(d);
    const w = this.weights;
    for (let k = 0; k < ids.length; k++) {
      const base = ids[k]! * d;
      const v = values[k]!;
      for (let j = 0; j < d; j++) out[j]! += v * w[base + j]!;
    }
    normalize(out);
    return out;
  }

  /** int8 rows with a float32 scale per row: 4x smaller than float32, no measurable loss here. */
  serialize(): Buffer {
    const { buckets, dim } = this.header;
    const head = Buffer.from(JSON.stringify(this.header), 'utf8');
    const scales = new Float32Array(buckets);
    const q = new Int8Array(buckets * dim);
    for (let r = 0; r < buckets; r++) {
      let max = 0;
      for (let j = 0; j < dim; j++) max = Math.max(max, Math.abs(this.weights[r * dim + j]!));
      const s = max / 127 || 1;
      scales[r] = s;
      for (let j = 0; j < dim; j++) q[r * dim + j] = Math.round(this.weights[r * dim + j]! / s);
    }
    const len = Buffer.alloc(4);
    len.writeUInt32LE(head.length);
    return Buffer.concat([Buffer.from(MAGIC), len, head, Buffer.from(scales.buffer), Buffer.from(q.buffer)]);
  }

  static deserialize(buf: Buffer): BuiltinModel {
    if (buf.subarray(0, 8).toString() !== MAGIC) throw new Error('builtin embedder: not a tollgate embedder file');
    const hl = buf.readUInt32LE(8);
    const header = JSON.parse(buf.subarray(12, 12 + hl).toString('utf8')) as BuiltinHeader;
    const { buckets, dim } = header;
    let off = 12 + hl;
    const scales = new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + buckets * 4));
    off += buckets * 4;
    const q = new Int8Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + buckets * dim));
    const w = new Float32Array(buckets * dim);
    for (let r = 0; r < buckets; r++) for (let j = 0; j < dim; j++) w[r * dim + j] = q[r * dim + j]! * scales[r]!;
    return new BuiltinModel(header, w);
  }

  static load(path: string): BuiltinModel {
    return BuiltinModel.deserialize(readFileSync(path));
  }
}

export function normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (let j = 0; j < v.length; j++) n += v[j]! * v[j]!;
  n = Math.sqrt(n);
  if (n > 0) for (let j = 0; j < v.length; j++) v[j]! /= n;
  return v;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}
