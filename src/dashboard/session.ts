// Browser sessions for the dashboard. A person signs in once with an admin key (a form POST); the
// gateway answers with a cookie holding a signed session (who, which team, until when), never the
// key itself. The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page can
// make the browser send it) and signed with a secret made at start, so a restart signs everyone out
// and a forged or edited cookie is refused. Sessions are stateless: nothing grows per sign-in.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Caller } from '../pipeline/stage.js';

export const SESSION_COOKIE = 'tollgate_session';
/** a working day; signing in again after it is cheap, and a stolen cookie stops working */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

interface SessionPayload {
  /** key id */
  k: string;
  /** team, when the admin key has one (a tenant admin) */
  t?: string;
  /** expiry, epoch ms */
  e: number;
}

export interface Sessions {
  /** the cookie value for an admin caller */
  issue(caller: Caller, now?: number): string;
  /** the admin caller a cookie value stands for, or undefined (absent, forged, expired) */
  verify(value: string | undefined, now?: number): (Caller & { role: 'admin' }) | undefined;
  /** Set-Cookie header values */
  setCookie(value: string, secure: boolean): string;
  clearCookie(secure: boolean): string;
}

export function createSessions(secret: Buffer = randomBytes(32), ttlMs = SESSION_TTL_MS): Sessions {
  const sign = (body: string): Buffer => createHmac('sha256', secret).update(body).digest();
  const attributes = (secure: boolean): string => `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  return {
    issue(caller, now = Date.now()) {
      const payload: SessionPayload = { k: caller.keyId, e: now + ttlMs, ...(caller.team !== undefined ? { t: caller.team } : {}) };
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${body}.${sign(body).toString('base64url')}`;
    },
    verify(value, now = Date.now()) {
      if (!value || value.length > 2048) return undefined;
      const dot = value.indexOf('.');
      if (dot <= 0) return undefined;
      const body = value.slice(0, dot);
      const mac = Buffer.from(value.slice(dot + 1), 'base64url');
      const expected = sign(body);
      if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
      let p: SessionPayload;
      try {
        p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SessionPayload;
      } catch {
        return undefined;
      }
      if (typeof p.k !== 'string' || typeof p.e !== 'number' || p.e <= now) return undefined;
      return { keyId: p.k, role: 'admin', ...(typeof p.t === 'string' ? { team: p.t } : {}) };
    },
    setCookie(value, secure) {
      return `${SESSION_COOKIE}=${value}; ${attributes(secure)}; Max-Age=${Math.floor(ttlMs / 1000)}`;
    },
    clearCookie(secure) {
      return `${SESSION_COOKIE}=; ${attributes(secure)}; Max-Age=0`;
    },
  };
}

/** the value of one cookie in a Cookie header */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text) return undefined;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
