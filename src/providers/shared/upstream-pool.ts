// One undici Pool per upstream origin. `request()` rather than fetch: no WHATWG Request/Response
// objects on the hot path (see the measurements in STYLE.md).

import { Pool } from 'undici';

export function createUpstreamPool(origin: string, connections: number): Pool {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    // timeouts are per call (CallOptions.timeoutMs / config timeoutMs): a slow model is not a dead socket
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

/** Splits a base URL into the pool's origin and the path prefix every call starts with. */
export function splitBaseUrl(baseUrl: string): { origin: string; basePath: string } {
  const u = new URL(baseUrl);
  return { origin: u.origin, basePath: u.pathname.replace(/\/+$/, '') };
}
