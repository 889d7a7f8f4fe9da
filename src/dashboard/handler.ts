// /dashboard: the web app behind an admin key. `GET /dashboard` answers the app to a request with
// `Authorization: Bearer <admin key>` (scripts, reverse proxies) or a valid session cookie, and a
// 401 sign-in page otherwise. The sign-in form posts the key once; the answer sets the session
// cookie (session.ts) and the app's API calls (the read-only GETs reach.ts lists) carry it. Static files are open:
// they are the package's own code and hold no data.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { GatewayError } from '../core/errors.js';
import type { Caller } from '../pipeline/stage.js';
import { presentedKey, type Authenticate } from '../server/auth.js';
import { readBody, sendError } from '../server/http-util.js';
import { assetTable, type Asset } from './assets.js';
import { APP_CSP, SIGN_IN_CSP, appPage, signInPage } from './pages.js';
import { SESSION_COOKIE, cookieValue, createSessions, type Sessions } from './session.js';

/** a sign-in form holds one key: anything longer is not one */
const SIGN_IN_BODY_LIMIT = 4096;

export interface DashboardOptions {
  authenticate: Authenticate;
  sessions?: Sessions;
  /** the web app's folder (default: dashboard/ at the package root) */
  appDir?: string;
}

export interface Dashboard {
  owns(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void>;
  /**
   * The admin a request's session cookie stands for, when the request presents no key (a key, if
   * present, decides alone). The gateway lets this caller make the read-only GETs reach.ts lists and nothing else.
   */
  sessionCaller(headers: IncomingMessage['headers']): (Caller & { role: 'admin' }) | undefined;
}

const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin', 'x-frame-options': 'DENY' };

function isSecure(req: IncomingMessage): boolean {
  return Boolean((req.socket as TLSSocket).encrypted) || req.headers['x-forwarded-proto'] === 'https';
}

/**
 * A form post from another site (login CSRF) is refused. Browsers say where a request comes from
 * in Sec-Fetch-Site; older ones only in Origin (which is "null" under some referrer policies, so
 * only a named, different origin counts against it there).
 */
function crossSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const origin = req.headers['origin'];
  if (typeof origin !== 'string' || origin === 'null') return false;
  try {
    return new URL(origin).host !== req.headers['host'];
  } catch {
    return true;
  }
}

function sendHtml(res: ServerResponse, status: number, html: string, csp: string, headers: Record<string, string | string[]> = {}): void {
  const body = Buffer.from(html);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
    'content-security-policy': csp,
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(body);
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { location, 'content-length': 0, 'cache-control': 'no-store', ...headers });
  res.end();
}

export function createDashboard(opts: DashboardOptions): Dashboard {
  const sessions = opts.sessions ?? createSessions();
  const assets = assetTable(opts.appDir);

  const sessionCaller: Dashboard['sessionCaller'] = (headers) => {
    if (presentedKey(headers) !== undefined) return undefined;
    return sessions.verify(cookieValue(headers['cookie'], SESSION_COOKIE));
  };

  // the first visit (the sign-in page, or the app) starts reading and compressing the files the app
  // will ask for next, so its first load does not wait for a megabyte of charting library to gzip
  let warmed = false;
  const warm = (): void => {
    if (warmed) return;
    warmed = true;
    for (const a of assets.values()) a.load().catch(() => {});
  };

  async function serveApp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    warm();
    if (presentedKey(req.headers) !== undefined) {
      const caller = opts.authenticate(req.headers);
      if (!caller) return sendError(res, 'openai', new GatewayError('unauthorized', 'Invalid API key: present a Tollgate admin key as a Bearer token or x-api-key.'));
      if (caller.role !== 'admin') return sendError(res, 'openai', new GatewayError('forbidden', "The dashboard needs an admin key; this key's role is client."));
      return sendHtml(res, 200, appPage({ keyId: caller.keyId, team: caller.team, viaSession: false }), APP_CSP);
    }
    const session = sessionCaller(req.headers);
    if (session) return sendHtml(res, 200, appPage({ keyId: session.keyId, team: session.team, viaSession: true }), APP_CSP);
    sendHtml(res, 401, signInPage(), SIGN_IN_CSP, { 'www-authenticate': 'Bearer realm="tollgate"' });
  }

  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (crossSite(req)) return sendHtml(res, 403, signInPage('Sign-in must come from this page.'), SIGN_IN_CSP);
    let raw: Buffer;
    try {
      raw = await readBody(req, SIGN_IN_BODY_LIMIT);
    } catch (err) {
      res.shouldKeepAlive = false;
      return sendHtml(res, err instanceof GatewayError && err.code === 'body_too_large' ? 413 : 400, signInPage('That is not a sign-in form.'), SIGN_IN_CSP);
    }
    const key = new URLSearchParams(raw.toString('utf8')).get('key')?.trim();
    // the key is checked like any presented key and never echoed, logged or stored
    const caller = key ? opts.authenticate({ authorization: `Bearer ${key}` }) : undefined;
    if (!caller || caller.role !== 'admin') return sendHtml(res, 401, signInPage('That is not an admin key.'), SIGN_IN_CSP);
    redirect(res, '/dashboard', { 'set-cookie': sessions.setCookie(sessions.issue(caller), isSecure(req)) });
  }

  async function serveAsset(req: IncomingMessage, res: ServerResponse, a: Asset, head: boolean): Promise<void> {
    const file = await a.load();
    const common = { 'content-type': a.contentType, 'cache-control': a.cacheControl, etag: file.etag, vary: 'accept-encoding', ...SECURITY_HEADERS };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, common);
      return void res.end();
    }
    const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gz ? file.gzipped : file.body;
    res.writeHead(200, { ...common, 'content-length': body.length, ...(gz ? { 'content-encoding': 'gzip' } : {}) });
    res.end(head ? undefined : body);
  }

  return {
    owns: (path) => path === '/dashboard' || path.startsWith('/dashboard/'),
    sessionCaller,
    async handle(req, res, method, path) {
      if (path === '/dashboard' || path === '/dashboard/') {
        if (method !== 'GET' && method !== 'HEAD') return sendError(res, 'openai', new GatewayError('method_not_allowed', `${method} is not allowed on ${path}; use GET.`), { allow: 'GET, HEAD' });
        return serveApp(req, res);
      }
      if (path === '/dashboard/sign-in') {
        if (method === 'POST') return signIn(req, res);
        if (method === 'GET') return redirect(res, '/dashboard');
        return sendError(res, 'openai', new GatewayError('method_not_allowed', `${method} is not allowed on ${path}; use POST.`), { allow: 'POST' });
      }
      if (path === '/dashboard/sign-out') {
        if (method !== 'POST') return sendError(res, 'openai', new GatewayError('method_not_allowed', `${method} is not allowed on ${path}; use POST.`), { allow: 'POST' });
        if (crossSite(req)) return sendError(res, 'openai', new GatewayError('forbidden', 'Sign-out must come from the dashboard.'));
        return redirect(res, '/dashboard', { 'set-cookie': sessions.clearCookie(isSecure(req)) });
      }
      const a = assets.get(path);
      if (!a) return sendError(res, 'openai', new GatewayError('not_found', `Unknown dashboard file ${path}`));
      if (method !== 'GET' && method !== 'HEAD') return sendError(res, 'openai', new GatewayError('method_not_allowed', `${method} is not allowed on ${path}; use GET.`), { allow: 'GET, HEAD' });
      return serveAsset(req, res, a, method === 'HEAD');
    },
  };
}
