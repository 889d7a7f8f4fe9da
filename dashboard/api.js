// The admin query API (GET /admin/api/*) and the few read-only admin routes the Budgets, Alerts and
// Experiments pages read (src/dashboard/reach.ts), called with the session cookie the sign-in set
// (or the Authorization header a reverse proxy adds). Query API answers are the shapes in
// src/insights/contract.ts.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** the common query parameters from the page's state: range and filters */
export function queryParams(state, extra = {}) {
  const p = new URLSearchParams();
  p.set('from', state.from);
  if (state.to) p.set('to', state.to);
  for (const k of ['route', 'model', 'team', 'key']) if (state[k]) p.set(k, state[k]);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== '') p.set(k, String(v));
  return p;
}

export function getInsight(name, params, signal) {
  return getAdmin(`/admin/api/${name}`, params, signal);
}

/** a GET of an admin path (one src/dashboard/reach.ts lets a session make) */
export async function getAdmin(path, params, signal) {
  const res = await fetch(`${path}?${params ?? ''}`, { credentials: 'same-origin', headers: { accept: 'application/json' }, signal });
  if (res.status === 401) {
    // the session expired (or the gateway restarted): back to the sign-in page
    location.assign('/dashboard');
    throw new ApiError(401, 'signed out');
  }
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(res.status, body?.error?.message ?? `${res.status} ${res.statusText}`);
  return body;
}

/** the bucket a range reads best in */
export function bucketFor(state) {
  const span = rangeMs(state);
  return span <= 6 * 3600_000 ? 'minute' : span <= 8 * 86400_000 ? 'hour' : 'day';
}

export function rangeMs(state) {
  const m = /^(\d+)([dhm])$/.exec(state.from ?? '');
  if (m) return Number(m[1]) * { d: 86400_000, h: 3600_000, m: 60_000 }[m[2]];
  const from = Date.parse(state.from);
  const to = state.to ? Date.parse(state.to) : Date.now();
  return Number.isFinite(from) && Number.isFinite(to) ? to - from : 86400_000;
}
