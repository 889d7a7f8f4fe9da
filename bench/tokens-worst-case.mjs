// Worst-case local token counting (issue 13 finding 2): how long one countTextTokens /
// estimateInputTokens call holds the event loop for pathological and ordinary text, against the
// plain gpt-tokenizer call the gateway used before (the baseline).
//
//   npm run bench:tokens                      (builds, then runs the compiled code)
//   BASELINE=0 npm run bench:tokens           (skip the slow baseline runs)
// Writes bench/results/tokens-worst-case.json.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countTokens } from 'gpt-tokenizer';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fromDist = existsSync(join(root, 'dist/core/tokens.js'));
const { countTextTokens, estimateInputTokens } = await import(
  fromDist ? join(root, 'dist/core/tokens.js') : join(root, 'src/core/tokens.ts')
);
const BASELINE = process.env.BASELINE !== '0';

// seeded so that every run measures the same text
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const randomFrom = (alphabet, n) => {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
  return s;
};
const prose =
  'The quick brown fox jumps over the lazy dog. Tollgate records every request in a ledger, with its cost, ' +
  'latency and the levers that were pulled; numbers like 1234567 and punctuation are split as usual. ';
const cjk = Array.from({ length: 2000 }, (_, i) => String.fromCharCode(0x4e00 + i));

const kinds = {
  'one letter (a…)': (n) => 'a'.repeat(n),
  'random letters, no spaces': (n) => randomFrom('abcdefghijklmnopqrstuvwxyz', n),
  'spaces': (n) => ' '.repeat(n),
  'punctuation (!…)': (n) => '!'.repeat(n),
  'random CJK': (n) => randomFrom(cjk, n),
  'ordinary prose': (n) => prose.repeat(Math.ceil(n / prose.length)).slice(0, n),
};

// CPU time (not wall: the shared box preempts us at random) of the first call, cold for this text
// (gpt-tokenizer's merge cache holds none of it; the first non-ASCII text also warms the JIT), and
// the worst of two more calls
function time(fn) {
  const cpuMs = (t) => {
    const d = process.cpuUsage(t);
    return (d.user + d.system) / 1e3;
  };
  let t = process.cpuUsage();
  const out = fn();
  const cold = cpuMs(t);
  let warm = 0;
  for (let r = 0; r < 2; r++) {
    t = process.cpuUsage();
    fn();
    warm = Math.max(warm, cpuMs(t));
  }
  return { cold, warm, out };
}

const rows = [];
for (const [kind, make] of Object.entries(kinds)) {
  for (const n of [50_000, 100_000, 1_000_000, 10_000_000]) {
    // flat, as JSON.parse leaves a request's strings (a concatenated rope would be flattened inside the timing)
    const text = JSON.parse(JSON.stringify(make(n)));
    const req = { model: 'gpt-4o', system: [], messages: [{ role: 'user', content: [{ type: 'text', text }] }], stream: false, extra: {} };
    const now = time(() => estimateInputTokens(req));
    const row = { kind, chars: n, cold_ms: +now.cold.toFixed(2), warm_ms: +now.warm.toFixed(2), tokens: now.out };
    // the baseline is quadratic on the pathological kinds: only where it finishes in seconds
    const pathological = kind !== 'ordinary prose';
    if (BASELINE && (pathological ? n <= 50_000 : n <= 1_000_000)) {
      const t = process.cpuUsage();
      const base = { out: countTokens(text, { disallowedSpecial: new Set() }) };
      const d = process.cpuUsage(t);
      row.baseline_ms = +((d.user + d.system) / 1e3).toFixed(2);
      row.baseline_tokens = base.out;
    }
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}

const out = {
  date: new Date().toISOString(),
  machine: `${cpus().length}× ${cpus()[0]?.model ?? '?'}, Node ${process.version}`,
  method: 'CPU ms of one estimateInputTokens call on one message: cold (first) and worst of two warm; baseline: one cold gpt-tokenizer countTokens call',
  rows,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/tokens-worst-case.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(`max ${Math.max(...rows.map((r) => r.cold_ms)).toFixed(1)} ms cold, ${Math.max(...rows.map((r) => r.warm_ms)).toFixed(1)} ms warm per call; wrote bench/results/tokens-worst-case.json`);
