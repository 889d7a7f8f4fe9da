// Number formatting shared by the dashboard (in the browser) and the weekly report (in Node).

/** dollars: cents for ordinary sums, more digits for the fractions of a cent one request costs */
export function usd(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  const digits = a === 0 ? 2 : a < 0.01 ? 5 : a < 1 ? 4 : 2;
  return `${v < 0 ? '−' : ''}$${a.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

export function ms(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v).toLocaleString('en-US')} ms`;
}

export function pct(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return `${(v * 100).toFixed(1)}%`;
}

export function count(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Math.round(v).toLocaleString('en-US');
}

export function tokens(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return count(v);
}

/** an instant as UTC, to the minute */
export function when(t) {
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
}
