// Features of a prompt for the learned router: hashed word 1..n-grams and character n-grams (the
// "hashing trick": no vocabulary to ship, a fixed-size weight vector), an optional task tag (the
// x-tollgate-task header), and a few length/structure numbers. Sparse output into reusable
// buffers so scoring allocates nothing beyond the lower-cased text.

export interface FeatureSpec {
  /** hashed feature slots, a power of two */
  dim: number;
  /** word n-grams from 1 to this */
  wordNgrams: number;
  /** character n-gram sizes (inclusive range), [0, 0] = none */
  charNgrams: [number, number];
  /** only the first maxChars characters are featurized (bounds decision time) */
  maxChars: number;
  /** a `task=<tag>` feature from the task header */
  useTask: boolean;
}

/** Dense features appended after the hashed slots. */
export const DENSE_FEATURES = [
  'log_chars',
  'log_words',
  'digit_ratio',
  'upper_ratio',
  'symbol_ratio',
  'log_lines',
  'has_code',
  'question_marks',
  'option_lines',
  'math_chars',
] as const;
export const DENSE_COUNT = DENSE_FEATURES.length;

export interface SparseVec {
  idx: Int32Array;
  val: Float32Array;
  n: number;
}

export function newSparseVec(capacity = 8192): SparseVec {
  return { idx: new Int32Array(capacity), val: new Float32Array(capacity), n: 0 };
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function push(v: SparseVec, i: number, x: number): void {
  if (v.n >= v.idx.length) {
    const idx = new Int32Array(v.idx.length * 2);
    const val = new Float32Array(v.val.length * 2);
    idx.set(v.idx);
    val.set(v.val);
    v.idx = idx;
    v.val = val;
  }
  v.idx[v.n] = i;
  v.val[v.n] = x;
  v.n++;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c > 127;
}

/**
 * Featurizes `text` into `out` (reset first). Hashed features are scaled by 1/sqrt(count) so long
 * and short prompts have comparable norms; dense features are roughly in [0, 1].
 */
export function featurize(text: string, task: string | undefined, spec: FeatureSpec, out: SparseVec): SparseVec {
  out.n = 0;
  const raw = text.length > spec.maxChars ? text.slice(0, spec.maxChars) : text;
  const s = raw.toLowerCase();
  const mask = spec.dim - 1;
  const L = s.length;

  // word n-grams: hash each word, combine consecutive word hashes for n > 1
  const maxN = spec.wordNgrams;
  const recent = [0, 0, 0, 0];
  let words = 0;
  let i = 0;
  while (i < L) {
    while (i < L && !isWordChar(s.charCodeAt(i))) i++;
    if (i >= L) break;
    let h = FNV_OFFSET;
    while (i < L && isWordChar(s.charCodeAt(i))) {
      h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
      i++;
    }
    h >>>= 0;
    for (let k = Math.min(maxN, 4) - 1; k > 0; k--) recent[k] = recent[k - 1]!;
    recent[0] = h;
    words++;
    push(out, h & mask, 1);
    let g = h;
    for (let n = 2; n <= maxN && n <= words && n <= 4; n++) {
      g = Math.imul(g ^ recent[n - 1]!, 0x9e3779b1) ^ n;
      push(out, (g >>> 0) & mask, 1);
    }
  }

  // character n-grams over the lower-cased text
  const [cmin, cmax] = spec.charNgrams;
  if (cmin > 0) {
    for (let n = cmin; n <= cmax; n++) {
      for (let p = 0; p + n <= L; p++) {
        let h = Math.imul(FNV_OFFSET ^ n, FNV_PRIME);
        for (let q = p; q < p + n; q++) h = Math.imul(h ^ s.charCodeAt(q), FNV_PRIME);
        push(out, (h >>> 0) & mask, 1);
      }
    }
  }

  if (spec.useTask && task) {
    let h = FNV_OFFSET;
    const t = `task=${task.toLowerCase()}`;
    for (let q = 0; q < t.length; q++) h = Math.imul(h ^ t.charCodeAt(q), FNV_PRIME);
    // the task tag is strong and rare: give it full weight, unaffected by the length scaling
    const scale = out.n > 0 ? 1 / Math.sqrt(out.n) : 1;
    for (let k = 0; k < out.n; k++) out.val[k] = out.val[k]! * scale;
    push(out, (h >>> 0) & mask, 1);
  } else if (out.n > 0) {
    const scale = 1 / Math.sqrt(out.n);
    for (let k = 0; k < out.n; k++) out.val[k] = out.val[k]! * scale;
  }

  // dense structure features on the original text
  let digits = 0;
  let upper = 0;
  let symbols = 0;
  let lines = 1;
  let qmarks = 0;
  let math = 0;
  for (let k = 0; k < raw.length; k++) {
    const c = raw.charCodeAt(k);
    if (c >= 48 && c <= 57) digits++;
    else if (c >= 65 && c <= 90) upper++;
    else if (c === 10) lines++;
    else if (c === 63) qmarks++;
    else if (c === 61 || c === 43 || c === 94 || c === 42 || c === 47 || c === 92 || c === 36) math++;
    else if (c < 128 && !(c >= 97 && c <= 122) && c !== 32) symbols++;
  }
  const n = Math.max(1, raw.length);
  const options = (raw.match(/^\s*\(?[A-D][.)]/gm) ?? []).length;
  const base = spec.dim;
  push(out, base + 0, Math.log1p(text.length) / 10);
  push(out, base + 1, Math.log1p(words) / 8);
  push(out, base + 2, digits / n);
  push(out, base + 3, upper / n);
  push(out, base + 4, symbols / n);
  push(out, base + 5, Math.log1p(lines) / 5);
  push(out, base + 6, raw.includes('```') || /\bdef |\bfunction\b|[;{}]\s*$/m.test(raw) ? 1 : 0);
  push(out, base + 7, Math.min(qmarks, 5) / 5);
  push(out, base + 8, Math.min(options, 8) / 8);
  push(out, base + 9, math / n);
  return out;
}
