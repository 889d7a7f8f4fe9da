// The alert evaluator: every `intervalSeconds`, each rule's metric is read (evaluate.ts) and
// compared with its threshold; a rule that starts or stops holding sends one notice (firing, then
// resolved: deduplicated, and the last state is read back from the history at start, so a restart
// does not re-send), records it in the history and runs its action (set a flag, unset it on
// resolve). Rules come from the config and from the admin API (kept in the alert store).

import { GatewayError } from '../core/errors.js';
import type { Flags } from '../flags/flags.js';
import type { RequestRecord } from '../ledger/record.js';
import type { AdminRoute } from '../pipeline/stage.js';
import type { AlertEvent, AlertStore } from '../stores/alerts.js';
import type { RollupStore } from '../stores/rollups.js';
import { ruleSchema, type AlertRule, type AlertsConfig } from './config.js';
import { readMetric, type Reading } from './evaluate.js';
import { deliver, type Notice } from './notify.js';
import { SpendTally } from './tally.js';
import type { TighteningEvent } from '../quality/evaluator.js';

/** the history's rule name of a lever's tightening notices */
export const tighteningRule = (e: Pick<TighteningEvent, 'lever' | 'name'>): string => `tightened:${e.lever}:${e.name}`;

export interface AlertsOptions {
  config: AlertsConfig;
  store: AlertStore;
  rollups: RollupStore;
  /** alert actions set flags through here (absent: actions are refused at start) */
  flags?: Flags;
  /** base of the links in notices, e.g. http://127.0.0.1:8787 (its /dashboard); read when a notice is sent */
  dashboardUrl: () => string;
  now?: () => number;
}

export interface RuleState {
  rule: string;
  source: 'config' | 'api';
  state: 'ok' | 'firing';
  since?: number;
  lastValue: number | null;
  lastDetail?: Record<string, unknown>;
  lastEvaluatedAt?: number;
  lastError?: string;
}

const direction = (r: AlertRule): 'above' | 'below' => r.direction ?? (r.metric === 'cache_hit_rate' ? 'below' : 'above');

export class Alerts {
  readonly tally = new SpendTally();
  private readonly states = new Map<string, RuleState>();
  private apiRules: AlertRule[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly now: () => number;
  /** evaluations that failed to read a metric (counted; the rule keeps its state) */
  errors = 0;

  private constructor(private readonly opts: AlertsOptions) {
    this.now = opts.now ?? Date.now;
  }

  static async open(opts: AlertsOptions): Promise<Alerts> {
    const a = new Alerts(opts);
    a.apiRules = (await opts.store.rules()).map((r) => ruleSchema.parse(r));
    if (!opts.flags && a.rules().some((r) => r.action)) throw new Error('alert actions set flags, and this gateway has no flags');
    // the last notice of each rule says whether it is firing: no second "firing" after a restart
    for (const r of a.rules()) {
      const [last] = await opts.store.history(1, undefined, r.name);
      a.states.set(r.name, { rule: r.name, source: a.sourceOf(r.name), state: last?.state === 'firing' ? 'firing' : 'ok', since: last?.at, lastValue: last?.value ?? null });
    }
    return a;
  }

  /** evaluate every intervalSeconds (unref'd: it never keeps the process alive) */
  start(): void {
    if (this.timer || this.rules().length === 0) return;
    this.timer = setInterval(() => void this.evaluate().catch(() => this.errors++), this.opts.config.intervalSeconds * 1000);
    this.timer.unref();
  }

  /** a finished request, for the per-session and per-user tallies */
  observe(record: RequestRecord): void {
    this.tally.add(record);
  }

  rules(): AlertRule[] {
    return [...this.opts.config.rules, ...this.apiRules];
  }

  private sourceOf(name: string): 'config' | 'api' {
    return this.opts.config.rules.some((r) => r.name === name) ? 'config' : 'api';
  }

  /** one pass over every rule; passes never overlap (a slow store delays the next, never doubles it) */
  evaluate(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const now = this.now();
    for (const rule of this.rules()) {
      const st = this.states.get(rule.name) ?? { rule: rule.name, source: this.sourceOf(rule.name), state: 'ok' as const, lastValue: null };
      this.states.set(rule.name, st);
      let reading: Reading;
      try {
        reading = await readMetric(rule, { rollups: this.opts.rollups, tally: this.tally }, now);
      } catch (err) {
        this.errors++;
        st.lastError = (err as Error).message;
        continue;
      }
      st.lastEvaluatedAt = now;
      st.lastValue = reading.value;
      st.lastDetail = reading.detail;
      st.lastError = undefined;
      if (reading.value === null) continue; // no data: neither firing nor resolved
      const holds = direction(rule) === 'above' ? reading.value > rule.threshold : reading.value < rule.threshold;
      const next = holds ? 'firing' : 'ok';
      if (next === st.state) continue;
      st.state = next;
      st.since = now;
      await this.notify(rule, next === 'firing' ? 'firing' : 'resolved', reading, now);
    }
  }

  private async notify(rule: AlertRule, state: 'firing' | 'resolved', reading: Reading, now: number): Promise<AlertEvent> {
    const channels = this.opts.config.channels.filter((c) => !rule.channels || rule.channels.includes(c.name));
    const notice: Notice = {
      rule: rule.name,
      state,
      value: reading.value,
      threshold: rule.threshold,
      metric: rule.metric,
      window: rule.window,
      direction: direction(rule),
      ...(rule.scope ? { scope: rule.scope as Record<string, string> } : {}),
      ...(reading.detail ? { detail: reading.detail } : {}),
      at: new Date(now).toISOString(),
      link: this.linkFor(rule),
    };
    const { delivered, failed } = await deliver(channels, notice);
    const actionError = await this.act(rule, state, reading).catch((err: Error) => err.message);
    return this.opts.store.append({
      at: now,
      rule: rule.name,
      state,
      value: reading.value,
      threshold: rule.threshold,
      ...(reading.detail || actionError ? { detail: { ...reading.detail, ...(actionError ? { actionError } : {}) } } : {}),
      delivered,
      ...(failed.length ? { failed } : {}),
    });
  }

  /**
   * A lever tightened itself (src/quality/): one `firing` notice per tightening, to the channels of
   * `alerts.tightening`, in the history under `tightened:<lever>:<name>`. An event, not a state:
   * there is no `resolved` (the next tightening, if the evidence asks for one, is its own notice).
   */
  async leverTightened(e: TighteningEvent): Promise<AlertEvent | undefined> {
    const t = this.opts.config.tightening;
    if (!t.enabled) return undefined;
    const channels = this.opts.config.channels.filter((c) => !t.channels || t.channels.includes(c.name));
    const detail = { lever: e.lever, name: e.name, from: e.from, to: e.to, tightened: e.tightened, interval: e.interval, n: e.n, confidence: e.confidence };
    const notice: Notice = {
      rule: tighteningRule(e),
      state: 'firing',
      value: e.estimate,
      threshold: e.bound,
      metric: e.metric,
      window: 'since the last tightening',
      direction: e.metric === 'false_hit_rate' ? 'above' : 'below',
      ...(e.lever === 'router' ? { scope: { route: e.name } } : {}),
      detail,
      at: new Date(e.at).toISOString(),
      link: `${(this.opts.config.dashboardUrl ?? this.opts.dashboardUrl()).replace(/\/+$/, '')}/dashboard#/${e.lever === 'cache' ? 'cache' : 'models'}`,
    };
    const { delivered, failed } = await deliver(channels, notice);
    return this.opts.store.append({ at: e.at, rule: notice.rule, state: 'firing', value: e.estimate, threshold: e.bound, detail, delivered, ...(failed.length ? { failed } : {}) });
  }

  private async act(rule: AlertRule, state: 'firing' | 'resolved', reading: Reading): Promise<string | undefined> {
    const a = rule.action;
    if (!a || !this.opts.flags) return undefined;
    const by = `alert:${rule.name}`;
    if (state === 'firing') {
      const f = a.setFlag;
      await this.opts.flags.set({ ...f, reason: `alert ${rule.name} fired: ${rule.metric} ${reading.value} ${direction(rule) === 'above' ? '>' : '<'} ${rule.threshold} over ${rule.window}` }, by);
    } else if (a.revertOnResolve) {
      await this.opts.flags.unset(a.setFlag.name, by, `alert ${rule.name} resolved`);
    }
    return undefined;
  }

  private linkFor(rule: AlertRule): string {
    const page = rule.metric === 'p95_latency_ms' ? 'latency' : rule.metric === 'cache_hit_rate' ? 'cache' : rule.metric === 'expensive_model_share' ? 'models' : rule.metric === 'error_rate' ? 'overview' : 'spend';
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(rule.scope ?? {})) if (v !== undefined && k !== 'user') q.set(k, v);
    q.set('range', rule.window);
    return `${(this.opts.config.dashboardUrl ?? this.opts.dashboardUrl()).replace(/\/+$/, '')}/dashboard#/${page}?${q}`;
  }

  statesNow(): RuleState[] {
    return this.rules().map((r) => this.states.get(r.name) ?? { rule: r.name, source: this.sourceOf(r.name), state: 'ok', lastValue: null });
  }

  adminRoutes(): AdminRoute[] {
    return [
      { method: 'GET', path: '/admin/alerts', handler: async () => ({ status: 200, body: { intervalSeconds: this.opts.config.intervalSeconds, rules: this.rules(), states: this.statesNow(), errors: this.errors } }) },
      {
        method: 'GET',
        path: '/admin/alerts/history',
        handler: async (_b, q) => {
          const limit = q.has('limit') ? Number(q.get('limit')) : 100;
          const before = q.has('before') ? Number(q.get('before')) : undefined;
          if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new GatewayError('invalid_request', 'limit is an integer in 1..500', { param: 'limit' });
          if (before !== undefined && !Number.isInteger(before)) throw new GatewayError('invalid_request', 'before is an event seq (an integer)', { param: 'before' });
          return { status: 200, body: { events: await this.opts.store.history(limit, before, q.get('rule') ?? undefined) } };
        },
      },
      {
        method: 'PUT',
        path: '/admin/alerts/rules',
        handler: async (body) => {
          const r = ruleSchema.safeParse(body);
          if (!r.success) {
            const i = r.error.issues[0]!;
            throw new GatewayError('invalid_request', `${i.path.join('.') || 'rule'}: ${i.message}`, { param: i.path.join('.') || undefined });
          }
          const rule = r.data;
          if (this.opts.config.rules.some((c) => c.name === rule.name)) throw new GatewayError('invalid_request', `rule '${rule.name}' is in the config; change it there`, { param: 'name' });
          for (const c of rule.channels ?? []) if (!this.opts.config.channels.some((x) => x.name === c)) throw new GatewayError('invalid_request', `unknown channel '${c}'`, { param: 'channels' });
          if (rule.action && !this.opts.flags) throw new GatewayError('invalid_request', 'this gateway has no flags for an action to set', { param: 'action' });
          await this.opts.store.putRule(rule.name, body);
          this.apiRules = [...this.apiRules.filter((x) => x.name !== rule.name), rule];
          this.start();
          return { status: 200, body: { rule } };
        },
      },
      {
        method: 'DELETE',
        path: '/admin/alerts/rules',
        handler: async (_b, q) => {
          const name = q.get('name');
          if (!name) throw new GatewayError('invalid_request', 'name the rule (?name=)', { param: 'name' });
          if (!(await this.opts.store.deleteRule(name))) throw new GatewayError('not_found', `No rule '${name}' added through the API`);
          this.apiRules = this.apiRules.filter((x) => x.name !== name);
          this.states.delete(name);
          return { status: 200, body: { deleted: name } };
        },
      },
      {
        method: 'POST',
        path: '/admin/alerts/evaluate',
        handler: async () => {
          await this.evaluate();
          return { status: 200, body: { states: this.statesNow() } };
        },
      },
    ];
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    await this.opts.store.close();
  }
}
