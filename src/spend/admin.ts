// /admin/budgets: GET lists the budgets in force with what each has spent this period, what is
// left, the burn rate and the forecast date of exhaustion; PUT (or POST) sets one, DELETE removes
// one set at run time. A tenant admin (an admin key with a team) sees and sets only its team's
// budget and its team's keys' budgets.

import type { LoadedConfig } from '../config/load.js';
import { GatewayError } from '../core/errors.js';
import type { AdminContext, AdminRoute } from '../pipeline/stage.js';
import type { BudgetStore, StoredBudget } from '../stores/budgets.js';
import { fromNano, storedFromConfig, type LiveBudget } from './budget-book.js';
import { checkBudgets } from './check.js';
import { budgetSchema, BUDGET_PERIODS, BUDGET_SCOPES } from './config.js';
import type { SpendControl } from './spend.js';

export interface BudgetView {
  scope: StoredBudget['scope'];
  id: string;
  period: StoredBudget['period'];
  limitUsd: number;
  action: StoredBudget['action'];
  thresholds: readonly number[];
  timeZone: string;
  downgradeAt?: number;
  downgradeTo?: string;
  source: StoredBudget['source'];
  periodLabel: string;
  periodStart: string;
  resetsAt: string;
  spentUsd: number;
  remainingUsd: number;
  /** fraction of the limit spent */
  used: number;
  /** dollars per day at this period's pace so far */
  burnRateUsdPerDay: number;
  /** when the limit is reached at that pace (null: nothing spent yet, or already reached) */
  forecastExhaustedAt: string | null;
  /** whether that comes before the reset */
  exhaustsBeforeReset: boolean;
}

export function viewOf(b: LiveBudget, spentNano: number, now: number): BudgetView {
  const spent = fromNano(spentNano);
  const remaining = Math.max(0, b.spec.limitUsd - spent);
  const elapsedMs = Math.max(60_000, now - b.window.startMs);
  const perMs = spent / elapsedMs;
  const exhaustAt = remaining > 0 && perMs > 0 ? now + remaining / perMs : null;
  const v: BudgetView = {
    scope: b.spec.scope,
    id: b.spec.id,
    period: b.spec.period,
    limitUsd: b.spec.limitUsd,
    action: b.spec.action,
    thresholds: b.thresholds,
    timeZone: b.timeZone,
    source: b.spec.source,
    periodLabel: b.window.label,
    periodStart: new Date(b.window.startMs).toISOString(),
    resetsAt: new Date(b.window.endMs).toISOString(),
    spentUsd: spent,
    remainingUsd: remaining,
    used: spent / b.spec.limitUsd,
    burnRateUsdPerDay: perMs * 86_400_000,
    forecastExhaustedAt: exhaustAt === null ? null : new Date(Math.min(exhaustAt, 8.64e15)).toISOString(),
    exhaustsBeforeReset: exhaustAt !== null && exhaustAt < b.window.endMs,
  };
  if (b.spec.action === 'downgrade') v.downgradeAt = b.downgradeAt;
  if (b.spec.downgradeTo !== undefined) v.downgradeTo = b.spec.downgradeTo;
  return v;
}

/** what a tenant admin may see and set: its team, and its team's keys */
function visibleTo(admin: AdminContext, scope: string, id: string): boolean {
  if (admin.tenant === undefined) return true;
  if (scope === 'team') return id === admin.tenant;
  if (scope === 'key') return admin.tenantKeyIds.includes(id);
  return false;
}

export function budgetAdminRoutes(deps: { config: LoadedConfig; store: BudgetStore; control: SpendControl; reload(): Promise<void> }): AdminRoute[] {
  const list = async (admin: AdminContext): Promise<{ budgets: BudgetView[] }> => {
    const now = deps.control.now();
    const out: BudgetView[] = [];
    for (const b of deps.control.book.all) {
      if (!visibleTo(admin, b.spec.scope, b.spec.id)) continue;
      deps.control.book.refresh(b, now);
      out.push(viewOf(b, deps.control.deps.counters.get(b.key), now));
    }
    return { budgets: out };
  };

  const set = async (body: unknown, _q: URLSearchParams, admin: AdminContext): Promise<{ status: number; body: unknown }> => {
    const parsed = budgetSchema.safeParse(body);
    if (!parsed.success) {
      throw new GatewayError('invalid_request', `Invalid budget: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`);
    }
    const b = parsed.data;
    if (!visibleTo(admin, b.scope, b.id)) throw new GatewayError('forbidden', `An admin of team '${admin.tenant}' may set only its team's budget and its keys' budgets.`);
    const problems = checkBudgets({ ...deps.config, budgets: [b] });
    if (problems.length) throw new GatewayError('invalid_request', `Invalid budget: ${problems.map((p) => `${p.path.replace(/^budgets\[0\]\.?/, '') || '(body)'}: ${p.message}`).join('; ')}`);
    await deps.store.put(storedFromConfig(b, 'store', deps.control.now(), deps.config.spend.timeZone));
    await deps.reload();
    const live = deps.control.book.all.find((x) => x.spec.scope === b.scope && x.spec.id === b.id && x.spec.period === b.period)!;
    return { status: 200, body: { budget: viewOf(live, deps.control.deps.counters.get(live.key), deps.control.now()) } };
  };

  return [
    { method: 'GET', path: '/admin/budgets', scope: 'tenant', handler: async (_b, _q, admin) => ({ status: 200, body: await list(admin) }) },
    { method: 'PUT', path: '/admin/budgets', scope: 'tenant', handler: set },
    { method: 'POST', path: '/admin/budgets', scope: 'tenant', handler: set },
    {
      method: 'DELETE',
      path: '/admin/budgets',
      scope: 'tenant',
      async handler(_b, q, admin) {
        const scope = q.get('scope') ?? '';
        const id = q.get('id') ?? '';
        const period = q.get('period') ?? '';
        if (!(BUDGET_SCOPES as readonly string[]).includes(scope) || !(BUDGET_PERIODS as readonly string[]).includes(period) || !id) {
          throw new GatewayError('invalid_request', 'DELETE /admin/budgets needs ?scope=key|team|user|route&id=...&period=day|month');
        }
        if (!visibleTo(admin, scope, id)) throw new GatewayError('forbidden', `An admin of team '${admin.tenant}' may change only its team's budget and its keys' budgets.`);
        const existing = (await deps.store.list()).find((x) => x.scope === scope && x.id === id && x.period === period);
        if (!existing) throw new GatewayError('not_found', `No ${period} budget for ${scope} '${id}'.`);
        if (existing.source === 'config') throw new GatewayError('invalid_request', `The ${period} budget for ${scope} '${id}' is in tollgate.yaml: remove it there.`);
        await deps.store.delete(existing.scope, id, existing.period);
        await deps.reload();
        return { status: 200, body: { deleted: { scope, id, period } } };
      },
    },
  ];
}
