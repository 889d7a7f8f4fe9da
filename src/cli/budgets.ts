// `tollgate budgets list|set`: through the admin API of a running gateway (--url and an admin key,
// TOLLGATE_URL / TOLLGATE_ADMIN_KEY), or straight from a data directory (--data-dir) when the
// gateway is down. Both read and write through the same stores the gateway uses (budgets.db,
// counters.db), so what is set persists.

import { existsSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { BudgetView } from '../spend/admin.js';
import { dataDirFrom, type CliIo } from './ledger.js';

const processIo: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export interface BudgetsTarget {
  url?: string;
  adminKey?: string;
  dataDir?: string;
  json?: boolean;
}

export interface BudgetSetOptions extends BudgetsTarget {
  scope: string;
  id: string;
  period: string;
  limitUsd: number;
  action?: string;
  thresholds?: number[];
  downgradeAt?: number;
  downgradeTo?: string;
  timeZone?: string;
}

class CliError extends Error {}

async function api(t: BudgetsTarget, method: string, body?: unknown): Promise<unknown> {
  if (!t.adminKey) throw new CliError('--url needs an admin key: --admin-key or TOLLGATE_ADMIN_KEY');
  let res: Response;
  try {
    res = await fetch(`${t.url!.replace(/\/$/, '')}/admin/budgets`, {
      method,
      headers: { authorization: `Bearer ${t.adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new CliError(`cannot reach the gateway at ${t.url}: ${(err as Error).message}`);
  }
  const json = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) throw new CliError(`${method} /admin/budgets: ${res.status} ${json.error?.message ?? ''}`.trim());
  return json;
}

/** the views straight from the data directory's stores */
async function listFromDataDir(dir: string): Promise<BudgetView[]> {
  if (!existsSync(dir)) throw new CliError(`no data directory at ${dir} (start the gateway once, or pass --data-dir)`);
  const { SqliteBudgetStore, SqliteCounterStore } = await import('../stores/sqlite/index.js');
  const { BudgetBook } = await import('../spend/budget-book.js');
  const { viewOf } = await import('../spend/admin.js');
  const { ModelRegistry } = await import('../pipeline/model-registry.js');
  const store = SqliteBudgetStore.inDataDir(dir);
  const counters = SqliteCounterStore.inDataDir(dir);
  try {
    const now = Date.now();
    const book = new BudgetBook(store.list(), { defaultTimeZone: 'UTC', registry: new ModelRegistry([], []), routes: {}, now });
    return book.all.map((b) => viewOf(b, counters.get(b.key, { kind: 'total' }), now));
  } finally {
    store.close();
    counters.close();
  }
}

const usd = (v: number): string => (v >= 100 ? `$${v.toFixed(0)}` : v >= 1 ? `$${v.toFixed(2)}` : `$${v.toPrecision(3)}`);

export function formatBudgets(views: readonly BudgetView[]): string {
  if (views.length === 0) return 'no budgets (set one in tollgate.yaml under budgets:, or with `tollgate budgets set`)\n';
  const rows = [['SCOPE', 'ID', 'PERIOD', 'LIMIT', 'SPENT', 'LEFT', 'USED', 'BURN/DAY', 'EXHAUSTED AT', 'RESETS', 'ACTION']];
  for (const v of views) {
    rows.push([
      v.scope,
      v.id,
      `${v.period} ${v.periodLabel}`,
      usd(v.limitUsd),
      usd(v.spentUsd),
      usd(v.remainingUsd),
      `${(v.used * 100).toFixed(1)}%`,
      usd(v.burnRateUsdPerDay),
      v.forecastExhaustedAt ? (v.exhaustsBeforeReset ? v.forecastExhaustedAt.slice(0, 16).replace('T', ' ') : 'after reset') : '-',
      v.resetsAt.slice(0, 16).replace('T', ' '),
      v.action,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export async function runBudgetsList(t: BudgetsTarget, io: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const url = t.url ?? env.TOLLGATE_URL;
    const views = url
      ? ((await api({ ...t, url, adminKey: t.adminKey ?? env.TOLLGATE_ADMIN_KEY }, 'GET')) as { budgets: BudgetView[] }).budgets
      : await listFromDataDir(dataDirFrom(t.dataDir, env));
    io.out(t.json ? JSON.stringify({ budgets: views }, null, 2) + '\n' : formatBudgets(views));
    return 0;
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.err(`tollgate budgets: ${err.message}\n`);
    return 1;
  }
}

export async function runBudgetsSet(o: BudgetSetOptions, io: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const spec: Record<string, unknown> = { scope: o.scope, id: o.id, period: o.period, limitUsd: o.limitUsd };
  if (o.action !== undefined) spec.action = o.action;
  if (o.thresholds !== undefined) spec.thresholds = o.thresholds;
  if (o.downgradeAt !== undefined) spec.downgradeAt = o.downgradeAt;
  if (o.downgradeTo !== undefined) spec.downgradeTo = o.downgradeTo;
  if (o.timeZone !== undefined) spec.timeZone = o.timeZone;
  try {
    const url = o.url ?? env.TOLLGATE_URL;
    if (url) {
      const r = (await api({ ...o, url, adminKey: o.adminKey ?? env.TOLLGATE_ADMIN_KEY }, 'PUT', spec)) as { budget: BudgetView };
      io.out(o.json ? JSON.stringify(r, null, 2) + '\n' : formatBudgets([r.budget]));
      return 0;
    }
    // no gateway: validate and write the data directory's budget store; a running gateway reads it at its next start
    const { budgetSchema } = await import('../spend/config.js');
    const parsed = budgetSchema.safeParse(spec);
    if (!parsed.success) throw new CliError(`invalid budget: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const dir = dataDirFrom(o.dataDir, env);
    if (!existsSync(dir)) throw new CliError(`no data directory at ${dir} (start the gateway once, or pass --data-dir)`);
    const { SqliteBudgetStore } = await import('../stores/sqlite/index.js');
    const { storedFromConfig } = await import('../spend/budget-book.js');
    const store = SqliteBudgetStore.inDataDir(dir);
    try {
      store.put(storedFromConfig(parsed.data, 'store', Date.now(), parsed.data.timeZone ?? 'UTC'));
    } finally {
      store.close();
    }
    const views = (await listFromDataDir(dir)).filter((v) => v.scope === parsed.data.scope && v.id === parsed.data.id && v.period === parsed.data.period);
    io.out(o.json ? JSON.stringify({ budget: views[0] }, null, 2) + '\n' : formatBudgets(views) + 'written to the data directory: a running gateway applies it at its next start (use --url to set it live)\n');
    return 0;
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.err(`tollgate budgets: ${err.message}\n`);
    return 1;
  }
}

function num(what: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${what} must be a number`);
    return n;
  };
}

function fractions(v: string): number[] {
  const out = v.split(',').map((x) => Number(x.trim()));
  if (out.some((n) => !Number.isFinite(n) || n <= 0 || n > 1)) throw new InvalidArgumentError('thresholds are fractions of the limit in (0, 1], comma-separated, e.g. 0.5,0.8,1');
  return out;
}

export function registerBudgetsCommand(program: Command): void {
  const budgets = program.command('budgets').description('dollar budgets per key, team, user and route: what each has spent, and setting them');
  const target = (c: Command): Command =>
    c
      .option('--url <url>', 'a running gateway, e.g. http://127.0.0.1:8787 (default: TOLLGATE_URL); needs an admin key')
      .option('--admin-key <key>', 'an admin key of that gateway (default: TOLLGATE_ADMIN_KEY)')
      .option('--data-dir <dir>', 'without --url: read and write the data directory (default: TOLLGATE_DATA_DIR or ./.tollgate)')
      .option('--json', 'print JSON');
  target(budgets.command('list').description('each budget: limit, spent this period, what is left, burn rate, forecast date of exhaustion, reset time')).action(
    async (o: BudgetsTarget) => {
      process.exitCode = await runBudgetsList(o);
    },
  );
  target(
    budgets
      .command('set')
      .description('set (or replace) one budget')
      .requiredOption('--scope <scope>', 'key, team, user or route')
      .requiredOption('--id <id>', 'the key id, team, user or route name')
      .requiredOption('--period <period>', 'day or month (calendar, in --time-zone)')
      .requiredOption('--limit-usd <usd>', 'dollars per period', num('--limit-usd'))
      .option('--action <action>', 'reject (default), downgrade or notify')
      .option('--thresholds <list>', 'fractions that notify, e.g. 0.5,0.8,0.95,1', fractions)
      .option('--downgrade-at <fraction>', 'downgrade: from this fraction of the limit on', num('--downgrade-at'))
      .option('--downgrade-to <model>', 'downgrade: the cheaper model')
      .option('--time-zone <tz>', 'IANA zone of the calendar (default: the gateway\'s spend.timeZone with --url, UTC with --data-dir)'),
  ).action(async (o: BudgetSetOptions) => {
    process.exitCode = await runBudgetsSet(o);
  });
}
