// Features of a prompt for the learned router: hashed word 1..n-grams and character n-grams (the
// "hashing trick": no vocabulary to ship, a fixed-size weight vector), an optional task tag (the
// x-tollgate-task header), and a few length/structure numbers.
//
// Decision time is the budget here (rules + classifier p99 ≤ 50 µs), so the hashing core writes only
// slot indices into a reusable buffer (every hashed feature has the same value, 1/sqrt(count)),
// char n-grams of all sizes come from one pass (one running hash per position), character n-grams
// stop at `charMaxChars` (the long tail of prompts was the p99), and the structure features are one
// scan with no regexes. The scorer (model.ts) sums weights straight from the index buffer; training
// goes through `featurize`, which builds the same vector explicitly, so both see identical features.

export interface FeatureSpec {
  /** hashed feature slots, a power of two */
  dim: number;
  /** word n-grams from 1 to this (at most 4) */
  wordNgrams: number;
  /** character n-gram sizes (inclusive range), [0, 0] = none */
  charNgrams: [number, number];
  /** only the first maxChars characters are featurized (bounds decision time) */
  maxChars: number;
  /** character n-grams only over the first charMaxChars characters (default: maxChars) */
  charMaxChars?: number;
  /** a `task=<tag>` feature from the task header */
  useTask: boolean;
  /** hashing scheme; a weight file from another scheme must be retrained (`tollgate router train`) */
  hashVersion?: number;
}

/** The hashing scheme this code implements (1 = the first release: per-size char n-gram hashes). */
export const HASH_VERSION = 2;

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

/** Reusable scratch space for one featurization: hashed slot indices and the dense values. */
export interface FeatureScratch {
  idx: Int32Array;
  /** hashed text features written to idx[0..n) */
  n: number;
  /** slot of the task tag, -1 when none */
  task: number;
  dense: Float64Array;
  /** the lower-cased text's UTF-16 code units (the loops read typed arrays, not strings) */
  lower: Uint16Array;
}

export function newScratch(capacity = 4096): FeatureScratch {
  return { idx: new Int32Array(capacity), n: 0, task: -1, dense: new Float64Array(DENSE_COUNT), lower: new Uint16Array(1024) };
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const GOLDEN = 0x9e3779b1;

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c > 127;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/**
 * Hashes `text` into `sc` (indices only) and fills its dense features. Upper bound on the number of
 * indices: words × wordNgrams + chars × (char sizes), so the buffer is sized once per call.
 */
export function hashFeatures(text: string, task: string | undefined, spec: FeatureSpec, sc: FeatureScratch): FeatureScratch {
  const raw = text.length > spec.maxChars ? text.slice(0, spec.maxChars) : text;
  const lowered = raw.toLowerCase();
  const mask = spec.dim - 1;
  const L = lowered.length;
  // one charCodeAt pass into a typed array: every later loop (words, each n-gram size) reads it
  if (sc.lower.length < L) sc.lower = new Uint16Array(Math.max(L, sc.lower.length * 2));
  const s = sc.lower;
  for (let k = 0; k < L; k++) s[k] = lowered.charCodeAt(k);
  const [cmin, cmax] = spec.charNgrams;
  const charL = Math.min(L, spec.charMaxChars ?? L);
  const need = L * Math.max(1, spec.wordNgrams) + (cmin > 0 ? charL * (cmax - cmin + 1) : 0) + 8;
  if (sc.idx.length < need) sc.idx = new Int32Array(Math.max(need, sc.idx.length * 2));
  const idx = sc.idx;
  let n = 0;

  // word n-grams: hash each word, combine consecutive word hashes for n > 1
  const maxN = Math.min(spec.wordNgrams, 4);
  let r0 = 0;
  let r1 = 0;
  let r2 = 0;
  let words = 0;
  let i = 0;
  while (i < L) {
    while (i < L && !isWordChar(s[i]!)) i++;
    if (i >= L) break;
    let h = FNV_OFFSET;
    while (i < L && isWordChar(s[i]!)) {
      h = Math.imul(h ^ s[i]!, FNV_PRIME);
      i++;
    }
    h >>>= 0;
    words++;
    idx[n++] = h & mask;
    if (maxN >= 2 && words >= 2) {
      let g = (Math.imul(h ^ r0, GOLDEN) ^ 2) >>> 0;
      idx[n++] = g & mask;
      if (maxN >= 3 && words >= 3) {
        g = (Math.imul(g ^ r1, GOLDEN) ^ 3) >>> 0;
        idx[n++] = g & mask;
        if (maxN >= 4 && words >= 4) idx[n++] = ((Math.imul(g ^ r2, GOLDEN) ^ 4) >>> 0) & mask;
      }
    }
    r2 = r1;
    r1 = r0;
    r0 = h;
  }

  // character n-grams, every size from one running hash per start position
  if (cmin > 0) {
    for (let p = 0; p + cmin <= charL; p++) {
      let h = FNV_OFFSET;
      const end = Math.min(charL, p + cmax);
      for (let q = p; q < end; q++) {
        h = Math.imul(h ^ s[q]!, FNV_PRIME);
        const len = q - p + 1;
        // the size is mixed in so "abc" and the 3-char prefix of "abcd" stay separate slots
        if (len >= cmin) idx[n++] = (Math.imul(h ^ (len << 24), GOLDEN) >>> 0) & mask;
      }
    }
  }
  sc.n = n;

  sc.task = -1;
  if (spec.useTask && task) {
    let h = FNV_OFFSET;
    const t = `task=${task.toLowerCase()}`;
    for (let q = 0; q < t.length; q++) h = Math.imul(h ^ t.charCodeAt(q), FNV_PRIME);
    sc.task = (h >>> 0) & mask;
  }

  // dense structure features on the original text, one scan
  let digits = 0;
  let upper = 0;
  let symbols = 0;
  let lines = 1;
  let qmarks = 0;
  let math = 0;
  let options = 0;
  let codeLineEnd = false;
  let lastNonBlank = 0;
  const R = raw.length;
  let prev = 10;
  for (let k = 0; k < R; k++) {
    const c = raw.charCodeAt(k);
    if (prev === 10) {
      // an answer option line: optional blanks, optional "(", A-D, then "." or ")"
      let q = k;
      while (q < R && isBlank(raw.charCodeAt(q))) q++;
      if (q < R && raw.charCodeAt(q) === 40) q++;
      if (q + 1 < R) {
        const a = raw.charCodeAt(q);
        const d = raw.charCodeAt(q + 1);
        if (a >= 65 && a <= 68 && (d === 46 || d === 41)) options++;
      }
    }
    if (c >= 48 && c <= 57) digits++;
    else if (c >= 65 && c <= 90) upper++;
    else if (c === 10) {
      lines++;
      if (lastNonBlank === 59 || lastNonBlank === 123 || lastNonBlank === 125) codeLineEnd = true;
    } else if (c === 63) qmarks++;
    else if (c === 61 || c === 43 || c === 94 || c === 42 || c === 47 || c === 92 || c === 36) math++;
    else if (c < 128 && !(c >= 97 && c <= 122) && c !== 32) symbols++;
    if (c !== 10 && !isBlank(c)) lastNonBlank = c;
    else if (c === 10) lastNonBlank = 0;
    prev = c;
  }
  if (lastNonBlank === 59 || lastNonBlank === 123 || lastNonBlank === 125) codeLineEnd = true;
  const hasCode = codeLineEnd || raw.includes('```') || raw.includes('def ') || raw.includes('function');
  const len = Math.max(1, R);
  const dense = sc.dense;
  dense[0] = Math.log1p(text.length) / 10;
  dense[1] = Math.log1p(words) / 8;
  dense[2] = digits / len;
  dense[3] = upper / len;
  dense[4] = symbols / len;
  dense[5] = Math.log1p(lines) / 5;
  dense[6] = hasCode ? 1 : 0;
  dense[7] = Math.min(qmarks, 5) / 5;
  dense[8] = Math.min(options, 8) / 8;
  dense[9] = math / len;
  return sc;
}

/** The hashed features' common value: 1/sqrt(count), so long and short prompts have comparable norms. */
export function hashedValue(sc: FeatureScratch): number {
  return sc.n > 0 ? 1 / Math.sqrt(sc.n) : 0;
}

const sharedScratch = newScratch();

/**
 * Featurizes `text` into `out` (reset first) as an explicit sparse vector, for training. Hashed
 * features are 1/sqrt(count) each; the task tag (strong and rare) has full weight; dense features
 * are roughly in [0, 1].
 */
export function featurize(text: string, task: string | undefined, spec: FeatureSpec, out: SparseVec, scratch: FeatureScratch = sharedScratch): SparseVec {
  const sc = hashFeatures(text, task, spec, scratch);
  const total = sc.n + 1 + DENSE_COUNT;
  if (out.idx.length < total) {
    out.idx = new Int32Array(total * 2);
    out.val = new Float32Array(total * 2);
  }
  const v = hashedValue(sc);
  for (let k = 0; k < sc.n; k++) {
    out.idx[k] = sc.idx[k]!;
    out.val[k] = v;
  }
  let n = sc.n;
  if (sc.task >= 0) {
    out.idx[n] = sc.task;
    out.val[n++] = 1;
  }
  for (let k = 0; k < DENSE_COUNT; k++) {
    out.idx[n] = spec.dim + k;
    out.val[n++] = sc.dense[k]!;
  }
  out.n = n;
  return out;
}
