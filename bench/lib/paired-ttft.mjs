// Added TTFT measured in pairs, so noise cannot make a proxy look faster than no proxy.
//
// Percentiles of two separate runs (system vs direct, minutes apart) differ by whatever the
// machine was doing in each: on a busy box that once gave an added TTFT of -141 ms. Here, while
// the system is under its open-loop load, a probe sends the same streaming request through the
// system and straight to the upstream, one right after the other (order alternating pair by
// pair), and keeps the per-pair difference. Both halves of a pair meet the same load, the same
// upstream and the same moment, so the difference is the proxy's own cost plus symmetric noise;
// the median of the differences (with its 95% confidence interval from order statistics) is the
// added TTFT.

import { Pool } from 'undici';
import { readAnswer } from './open-loop.mjs';

/** TTFT of one streaming request: arrival of the first SSE event with non-empty delta content */
async function ttftOnce(pool, path, headers, body, timeoutMs) {
  const start = performance.now();
  const res = await pool.request({ method: 'POST', path, headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const { first, tail } = await readAnswer(res.body, start, true);
  if (res.statusCode !== 200 || first < 0 || !tail.includes('[DONE]')) return null;
  return first;
}

const sortedCopy = (xs) => Float64Array.from(xs).sort();
const at = (s, p) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : null);
const r3 = (x) => (x == null ? null : Math.round(x * 1000) / 1000);

/** median, quartiles, tails and a distribution-free 95% CI of the median of paired differences */
export function summarizePairs(diffs, extra = {}) {
  const s = sortedCopy(diffs);
  const n = s.length;
  const half = 1.96 * Math.sqrt(n) / 2;
  const lo = Math.max(0, Math.floor(n / 2 - half));
  const hi = Math.min(n - 1, Math.ceil(n / 2 + half));
  return {
    method: 'paired: system and direct requests one after the other under the same load, order alternating; per-pair difference of TTFT',
    pairs: n,
    median_ms: r3(at(s, 50)),
    ci95_ms: n ? [r3(s[lo]), r3(s[hi])] : null,
    p25_ms: r3(at(s, 25)),
    p75_ms: r3(at(s, 75)),
    p10_ms: r3(at(s, 10)),
    p90_ms: r3(at(s, 90)),
    p99_ms: r3(at(s, 99)),
    share_negative: n ? r3(s.filter((d) => d < 0).length / n) : null,
    ...extra,
  };
}

/**
 * Probe pairs until `signal` says stop (the load phase ended). `sys` and `direct` are
 * {origin, headers}; the probe keeps one connection to each, so no pair waits for a connect.
 */
export async function probePairedTtft({ sys, direct, path, body, isDone, timeoutMs = 30_000, gapMs = 5 }) {
  const ps = new Pool(sys.origin, { connections: 1, keepAliveTimeout: 60_000 });
  const pd = new Pool(direct.origin, { connections: 1, keepAliveTimeout: 60_000 });
  const diffs = [];
  const sysT = [];
  const dirT = [];
  let failed = 0;
  try {
    for (let k = 0; !isDone(); k++) {
      let a;
      let b;
      try {
        if (k % 2 === 0) {
          a = await ttftOnce(ps, path, sys.headers, body, timeoutMs);
          b = await ttftOnce(pd, path, direct.headers, body, timeoutMs);
        } else {
          b = await ttftOnce(pd, path, direct.headers, body, timeoutMs);
          a = await ttftOnce(ps, path, sys.headers, body, timeoutMs);
        }
      } catch {
        a = null;
      }
      if (a == null || b == null) failed++;
      else {
        diffs.push(a - b);
        sysT.push(a);
        dirT.push(b);
      }
      if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    }
  } finally {
    await ps.close();
    await pd.close();
  }
  return { diffs, sysT, dirT, failed };
}
