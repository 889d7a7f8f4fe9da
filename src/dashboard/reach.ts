// What a dashboard session (a cookie, no key) may call: the read-only GETs the pages draw from,
// and nothing that changes anything. Every other rule stays the admin router's: a tenant admin's
// session sees only what the route lets a tenant admin see, and a route that covers every tenant
// still needs an admin with no team.

/** the admin routes, outside the query API, that the Budgets, Alerts and Experiments pages read */
export const SESSION_READ_PATHS: readonly string[] = ['/admin/budgets', '/admin/alerts', '/admin/alerts/history', '/admin/experiments', '/admin/flags/audit'];

const QUERY_API_PREFIX = '/admin/api/';

export function sessionMayCall(method: string, path: string): boolean {
  return method === 'GET' && (path.startsWith(QUERY_API_PREFIX) || SESSION_READ_PATHS.includes(path));
}
