// Mergeable latency histograms: fixed log-spaced buckets, so histograms from any minutes, hours,
// models or teams add up bucket by bucket and a percentile over any range comes from their sum.
//
// Bucket 0 holds values ≤ MIN_MS; bucket i ≥ 1 holds (MIN_MS·R^(i-1), MIN_MS·R^i] with R = 2^(1/8);
// the last bucket also takes everything above the range (an hour). A percentile is the geometric
// middle of the bucket holding the nearest-rank value, so it is within a factor √R of the exact
// nearest-rank value: at most 4.4% above or 4.2% below it (HIST_RELATIVE_ERROR), for any range and
// any merge. Values at or below 0.1 ms are reported as 0.1 ms, values above ~56 min as ~56 min.

export const HIST_MIN_MS = 0.1;
export const HIST_RATIO = 2 ** (1 / 8);
/** buckets: 0.1 ms · 2^(200/8) ≈ 56 min, then one for everything longer */
export const HIST_BUCKETS = 202;
/** the largest relative error of a percentile: the bucket's geometric middle against its edges */
export const HIST_RELATIVE_ERROR = Math.sqrt(HIST_RATIO) - 1;

const LOG_R = Math.log(HIST_RATIO);

export function bucketOf(ms: number): number {
  if (!(ms > HIST_MIN_MS)) return 0;
  const i = Math.ceil(Math.log(ms / HIST_MIN_MS) / LOG_R - 1e-9);
  return i >= HIST_BUCKETS - 1 ? HIST_BUCKETS - 1 : i < 1 ? 1 : i;
}

/** the value a bucket reports: its geometric middle (bucket 0: HIST_MIN_MS) */
export function bucketValue(i: number): number {
  if (i <= 0) return HIST_MIN_MS;
  return HIST_MIN_MS * HIST_RATIO ** (i - 0.5);
}

/** A histogram: count per non-empty bucket (sparse: a cell of a few records holds a few buckets). */
export type Histogram = Map<number, number>;

export function emptyHistogram(): Histogram {
  return new Map();
}

export function addValue(h: Histogram, ms: number, n = 1): void {
  const i = bucketOf(ms);
  h.set(i, (h.get(i) ?? 0) + n);
}

export function mergeInto(into: Histogram, from: Histogram): void {
  // forEach, not for...of: no [key, value] pair allocated per bucket (the ingest merges millions)
  if (from.size > 0) from.forEach((c, i) => into.set(i, (into.get(i) ?? 0) + c));
}

export function countOf(h: Histogram): number {
  let n = 0;
  for (const c of h.values()) n += c;
  return n;
}

/** nearest-rank percentile (the bucket value at rank ceil(n·p/100)), or null for an empty histogram */
export function percentile(h: Histogram, p: number): number | null {
  const n = countOf(h);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil((n * p) / 100 - 1e-9));
  const idx = [...h.keys()].sort((a, b) => a - b);
  let seen = 0;
  for (const i of idx) {
    seen += h.get(i)!;
    if (seen >= rank) return bucketValue(i);
  }
  return bucketValue(idx[idx.length - 1]!);
}

/** Bytes: 5 per non-empty bucket (u8 index, u32 count, little-endian), ascending. Empty → 0 bytes. */
export function encodeHistogram(h: Histogram): Buffer {
  if (h.size === 0) return EMPTY;
  const idx: number[] = [];
  h.forEach((c, i) => {
    if (c > 0) idx.push(i);
  });
  idx.sort((a, b) => a - b);
  const b = Buffer.allocUnsafe(idx.length * 5);
  let o = 0;
  for (const i of idx) {
    b[o] = i;
    b.writeUInt32LE(Math.min(h.get(i)!, 0xffffffff), o + 1);
    o += 5;
  }
  return b;
}
const EMPTY = Buffer.alloc(0);

/** adds the encoded histogram `b` into `into` */
export function decodeInto(into: Histogram, b: Uint8Array | null | undefined): void {
  if (!b) return;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let o = 0; o + 5 <= b.byteLength; o += 5) {
    const i = b[o]!;
    if (i < HIST_BUCKETS) into.set(i, (into.get(i) ?? 0) + view.getUint32(o + 1, true));
  }
}

/** Dense counts, for summing many encoded histograms (SQLite's hist_sum). */
export class DenseHistogram {
  readonly counts = new Float64Array(HIST_BUCKETS);
  addEncoded(b: Uint8Array | null | undefined): void {
    if (!b) return;
    for (let o = 0; o + 5 <= b.byteLength; o += 5) {
      const i = b[o]!;
      if (i < HIST_BUCKETS) this.counts[i]! += b[o + 1]! + b[o + 2]! * 0x100 + b[o + 3]! * 0x10000 + b[o + 4]! * 0x1000000;
    }
  }
  encode(): Buffer {
    let k = 0;
    for (let i = 0; i < HIST_BUCKETS; i++) if (this.counts[i]! > 0) k++;
    const b = Buffer.allocUnsafe(k * 5);
    let o = 0;
    for (let i = 0; i < HIST_BUCKETS; i++) {
      const c = this.counts[i]!;
      if (c > 0) {
        b[o] = i;
        b.writeUInt32LE(Math.min(c, 0xffffffff), o + 1);
        o += 5;
      }
    }
    return b;
  }
}

/** the sum of two encoded histograms, encoded */
export function mergeEncoded(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): Buffer {
  if (!a || a.byteLength === 0) return Buffer.from(b ?? []);
  if (!b || b.byteLength === 0) return Buffer.from(a);
  const h = new DenseHistogram();
  h.addEncoded(a);
  h.addEncoded(b);
  return h.encode();
}
