// Exact percentiles over a full sample (the benches keep every latency; a few thousand floats).

/** p in [0, 100]; nearest-rank on the sorted sample; null when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(samples) {
  const s = Float64Array.from(samples).sort();
  const r3 = (x) => (x == null ? null : Math.round(x * 1000) / 1000);
  let sum = 0;
  for (const v of s) sum += v;
  return {
    count: s.length,
    mean_ms: s.length ? r3(sum / s.length) : null,
    p50_ms: r3(percentile(s, 50)),
    p90_ms: r3(percentile(s, 90)),
    p99_ms: r3(percentile(s, 99)),
    max_ms: r3(s.length ? s[s.length - 1] : null),
  };
}

export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
