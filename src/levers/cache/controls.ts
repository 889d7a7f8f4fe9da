// Per-request cache controls from the client's headers: standard Cache-Control directives and
// Tollgate's own `x-tollgate-cache` mode. Pure: headers in, a decision out.

export interface CacheControls {
  /** may the request be answered from the cache */
  read: boolean;
  /** may the upstream answer be stored */
  write: boolean;
  /** a miss must not go upstream (504 only_if_cached_miss) */
  onlyIfCached: boolean;
  /** accept entries no older than this, ms (Cache-Control: max-age) */
  maxAgeMs?: number;
  /** extra tags for stored entries (x-tollgate-cache-tags, comma separated) */
  tags: string[];
  /** why reading or writing was switched off, for the trail */
  reason?: string;
}

export function parseControls(headers: Readonly<Record<string, string | undefined>>): CacheControls {
  const c: CacheControls = { read: true, write: true, onlyIfCached: false, tags: [] };
  const cc = headers['cache-control'];
  if (cc) {
    for (const raw of cc.split(',')) {
      const d = raw.trim().toLowerCase();
      if (d === 'no-store') {
        c.read = false;
        c.write = false;
        c.reason = 'cache-control: no-store';
      } else if (d === 'no-cache') {
        c.read = false;
        c.reason = 'cache-control: no-cache';
      } else if (d === 'only-if-cached') {
        c.onlyIfCached = true;
      } else if (d.startsWith('max-age=')) {
        const n = Number(d.slice(8));
        if (Number.isFinite(n) && n >= 0) {
          c.maxAgeMs = n * 1000;
          if (n === 0) {
            c.read = false;
            c.reason = 'cache-control: max-age=0';
          }
        }
      }
    }
  }
  const mode = headers['x-tollgate-cache']?.trim().toLowerCase();
  if (mode === 'off') {
    c.read = false;
    c.write = false;
    c.reason = 'x-tollgate-cache: off';
  } else if (mode === 'read-only') {
    c.write = false;
  } else if (mode === 'write-only') {
    c.read = false;
    c.reason = 'x-tollgate-cache: write-only';
  } else if (mode === 'only-if-cached') {
    c.onlyIfCached = true;
  }
  const tags = headers['x-tollgate-cache-tags'];
  if (tags) c.tags = tags.split(',').map((t) => t.trim()).filter(Boolean);
  return c;
}
