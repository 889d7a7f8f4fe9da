// The admin API (/admin/*): its own route table, its own body limit, admin keys only. Stages
// contribute the routes; this router authenticates, checks the role and the tenant, reads the
// body and renders every error through the one error table in the OpenAI shape (admin tools
// speak plain JSON, and one shape is easier to script against than two).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { AdminContext, AdminRoute, Caller } from '../pipeline/stage.js';
import type { Authenticate } from './auth.js';
import { readBody, sendError, sendJson } from './http-util.js';

export interface AdminRouterOptions {
  routes: readonly AdminRoute[];
  authenticate: Authenticate;
  /** largest admin request body, bytes */
  bodyLimitBytes: number;
  /** ids of the configured keys of each team */
  keyIdsByTeam: ReadonlyMap<string, readonly string[]>;
}

export interface AdminRouter {
  handle(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void>;
}

const PREFIX = '/admin/';

export function isAdminPath(path: string): boolean {
  return path.startsWith(PREFIX) || path === '/admin';
}

/**
 * Who may read figures that cover every tenant (/metrics, `scope: 'global'` admin routes):
 * an admin key with no team. Returns the error to answer otherwise.
 */
export function requireGlobalAdmin(caller: Caller | undefined, what: string): GatewayError | undefined {
  if (!caller) return new GatewayError('unauthorized', 'Invalid API key: present a Tollgate admin key as a Bearer token or x-api-key.');
  if (caller.role !== 'admin') return new GatewayError('forbidden', `${what} needs an admin key; this key's role is client.`);
  if (caller.team !== undefined) return new GatewayError('forbidden', `${what} covers every tenant; it needs an admin key with no team (this key is an admin of team '${caller.team}').`);
  return undefined;
}

export function createAdminRouter(opts: AdminRouterOptions): AdminRouter {
  const table = new Map<string, Map<string, AdminRoute>>();
  for (const r of opts.routes) {
    if (!isAdminPath(r.path)) throw new Error(`admin route ${r.method} ${r.path} is not under /admin/`);
    let byMethod = table.get(r.path);
    if (!byMethod) table.set(r.path, (byMethod = new Map()));
    if (byMethod.has(r.method)) throw new Error(`two stages register the admin route ${r.method} ${r.path}`);
    byMethod.set(r.method, r);
  }

  const allowed = (path: string): string => [...(table.get(path)?.keys() ?? [])].join(', ');

  async function dispatch(req: IncomingMessage, method: string, path: string): Promise<{ status: number; body: unknown }> {
    // who first, so that an unauthenticated caller learns nothing about which routes exist
    const caller = opts.authenticate(req.headers);
    if (!caller) throw new GatewayError('unauthorized', 'Invalid API key: present a Tollgate admin key as a Bearer token or x-api-key.');
    if (caller.role !== 'admin') throw new GatewayError('forbidden', "The admin API needs an admin key; this key's role is client.");
    const byMethod = table.get(path);
    if (!byMethod) throw new GatewayError('not_found', `Unknown admin endpoint ${method} ${path}`);
    const route = byMethod.get(method);
    if (!route) throw new GatewayError('method_not_allowed', `${method} is not allowed on ${path}; allowed: ${allowed(path)}`);
    if ((route.scope ?? 'global') === 'global') {
      const denied = requireGlobalAdmin(caller, `${method} ${path}`);
      if (denied) throw denied;
    }
    const raw = await readBody(req, opts.bodyLimitBytes);
    let body: unknown = undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        throw new GatewayError('invalid_json', `The request body is not valid JSON: ${(err as Error).message}`);
      }
    }
    const tenant = caller.team;
    const admin: AdminContext = {
      caller: { ...caller, role: 'admin' },
      tenant,
      tenantKeyIds: tenant === undefined ? [] : (opts.keyIdsByTeam.get(tenant) ?? []),
    };
    const q = req.url!.indexOf('?');
    const query = new URLSearchParams(q === -1 ? '' : req.url!.slice(q + 1));
    return route.handler(body, query, admin);
  }

  return {
    async handle(req, res, method, path) {
      let answer;
      try {
        answer = await dispatch(req, method, path);
      } catch (err) {
        if (!(err instanceof GatewayError)) process.emitWarning(`tollgate: admin route ${method} ${path} failed: ${(err as Error)?.message}`);
        // the rest of an unread body is not worth reading: close the connection after the answer
        if (!req.complete) res.shouldKeepAlive = false;
        const headers: Record<string, string> = err instanceof GatewayError && err.code === 'method_not_allowed' ? { allow: allowed(path) } : {};
        return sendError(res, 'openai', err, headers);
      }
      sendJson(res, answer.status, answer.body);
    },
  };
}
