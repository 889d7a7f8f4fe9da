// Budgets and rate limits on the request path. The engine calls, per request:
//   admit(ctx)                    before the pipeline: the rate limits (one request, its input tokens)
//   reserve(ctx, target, request) before every upstream attempt, the gateway's own calls included:
//                                 the worst case of the model that will actually run, against every
//                                 budget the request belongs to (and a downgrade, when one is due)
//   attach(hold, attempt)         after the attempt: a finished one settles at its real cost (a
//                                 failure at what it was billed, often $0), a stream waits for its end
//   settleEnded(ctx)              at a stream's end (its cost is its usage, or the cut stream's estimate)
//   finish(ctx)                   with the record: whatever is still open is settled, conservatively
// Counting is in memory (SpendCounters: atomic on one instance), written behind to the data dir.

import type { ChatRequest } from '../core/canonical.js';
import { ratesFor } from '../core/cost.js';
import { GatewayError } from '../core/errors.js';
import { countTextTokens, estimateInputTokens, TokenBudget } from '../core/tokens.js';
import type { Pricing } from '../engine/pricing.js';
import type { AttemptRecord } from '../ledger/record.js';
import type { ModelRegistry } from '../pipeline/model-registry.js';
import type { GatewayContext, Target } from '../pipeline/stage.js';
import { codecFor } from '../providers/registry.js';
import type { ModelPrice } from '../core/prices/catalog.js';
import { BudgetBook, fromNano, toNano, type LiveBudget } from './budget-book.js';
import type { SpendSettings } from './config.js';
import type { BudgetEvent, Notifier } from './notify.js';
import type { SpendCell, SpendCounters } from './persist.js';
import { RateLimiter, type RateTicket } from './rate-limits.js';
import { inputTokensUpperBound } from './token-bound.js';

/** catalog providers whose models o200k counts exactly (every other count is an estimate, given a margin) */
const O200K_EXACT_PRICE_PROVIDERS: ReadonlySet<string> = new Set(['openai']);

/** one attempt's reservation: `reservedNano` on the cell of each budget (the cell it was taken on: a period may end before it settles) */
export interface Hold {
  readonly budgets: readonly LiveBudget[];
  readonly cells: readonly SpendCell[];
  readonly reservedNano: number;
  attempt?: AttemptRecord;
  settled: boolean;
}

/** a target's price and maximum output, looked up once a minute (prices have effective dates) */
interface TargetCosts {
  price: ModelPrice | undefined;
  maxOutput: number | undefined;
  until: number;
}

/** how long a target's price is used before it is looked up again (the Pricing memo's own span) */
const PRICE_REREAD_MS = 60_000;

interface RequestSpend {
  budgets?: readonly LiveBudget[];
  holds: Hold[];
  ticket?: RateTicket;
  /** input tokens of the last request object counted (stages may replace the request) */
  countedFor?: ChatRequest;
  inputTokens: number;
  /** the byte bound on them, for the last request object bounded */
  boundFor?: ChatRequest;
  bound: number;
}

export interface SpendDeps {
  settings: SpendSettings;
  pricing: Pricing;
  registry: ModelRegistry;
  counters: SpendCounters;
  rates: RateLimiter;
  notifier: Notifier;
  /** max output tokens of each configured model, by `provider\0model` */
  maxOutput: ReadonlyMap<string, number>;
  now?: () => number;
}

/**
 * Each request's spend state lives on its context under this symbol: engine bookkeeping that no
 * stage reads. (A WeakMap keyed by context cost a third of the decision's time in GC: every entry
 * is an ephemeron the collector must trace.)
 */
const SPEND_STATE: unique symbol = Symbol('tollgate.spend');
type WithSpend = GatewayContext & { [SPEND_STATE]?: RequestSpend };

export class SpendControl {
  book: BudgetBook;
  readonly now: () => number;
  refusals = { budget: 0, rate: 0 };
  /** by provider, then model: no key string is built per attempt */
  private readonly targetCosts = new Map<string, Map<string, TargetCosts>>();

  constructor(
    book: BudgetBook,
    readonly deps: SpendDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.book = book;
    this.use(book);
  }

  /** puts a (re)built set of budgets in force; their current periods' spend is read in now, off the request path */
  use(book: BudgetBook): void {
    book.onPeriodEnd = (b, oldKey) => this.deps.counters.retire([oldKey, ...b.thresholds.map((t) => `notified|${oldKey}|${t}`), `notified|${oldKey}|exceeded`]);
    for (const b of book.all) b.cell = this.deps.counters.cell(b.key);
    this.book = book;
  }

  /** the budget's counter in the period `now` is in */
  private cellOf(b: LiveBudget, now: number): SpendCell {
    this.book.refresh(b, now);
    const c = b.cell;
    return c !== undefined && c.key === b.key ? c : (b.cell = this.deps.counters.cell(b.key));
  }

  private state(ctx: GatewayContext): RequestSpend {
    return ((ctx as WithSpend)[SPEND_STATE] ??= { holds: [], inputTokens: 0, bound: 0 });
  }

  /** o200k's count (exact for OpenAI's models), never above the byte bound */
  private inputTokens(st: RequestSpend, request: ChatRequest): number {
    if (st.countedFor !== request) {
      st.countedFor = request;
      st.inputTokens = Math.min(estimateInputTokens(request), this.inputBound(st, request));
    }
    return st.inputTokens;
  }

  private inputBound(st: RequestSpend, request: ChatRequest): number {
    if (st.boundFor !== request) {
      st.boundFor = request;
      st.bound = inputTokensUpperBound(request);
    }
    return st.bound;
  }

  // ---------------------------------------------------------------------------------- rate limits

  /** a chat request, before the pipeline: one request and its input tokens from every rate limit of the caller */
  admit(ctx: GatewayContext): void {
    this.admitTokens(ctx, undefined);
  }

  /** an embeddings request (POST /v1/embeddings), before the call: one request and its input's tokens */
  admitEmbeddings(ctx: GatewayContext, input: readonly string[]): void {
    this.admitTokens(ctx, input);
  }

  private admitTokens(ctx: GatewayContext, embeddings: readonly string[] | undefined): void {
    const rates = this.deps.rates;
    if (rates.empty) return;
    const limits = rates.limitsOf(ctx.caller.keyId, ctx.caller.team);
    if (limits.length === 0) return;
    const st = this.state(ctx);
    let hasTpm = false;
    for (let i = 0; i < limits.length; i++) if (limits[i]!.tpm) hasTpm = true;
    // the byte bound first; the tokenizer only when that does not fit (the real tokens settle it after)
    let tokens = !hasTpm ? 0 : embeddings ? embeddingsTokensUpperBound(embeddings) : this.inputBound(st, ctx.request);
    const now = this.now();
    let r = rates.admit(limits, tokens, now);
    if ('retryAfterMs' in r && r.kind === 'tokens') {
      const exact = embeddings ? embeddingsTokens(embeddings, tokens, 1) : this.inputTokens(st, ctx.request);
      if (exact < tokens) r = rates.admit(limits, (tokens = exact), now);
    }
    const codec = codecFor(ctx.format);
    if ('retryAfterMs' in r) {
      this.refusals.rate++;
      Object.assign(ctx.responseHeaders, codec.rateLimitHeaders(rates.info(limits, now, r.retryAfterMs), now));
      ctx.responseHeaders['x-tollgate-reason'] = 'rate_limited';
      if (r.tooLarge) ctx.responseHeaders['x-should-retry'] = 'false';
      const what = r.kind === 'requests' ? `${r.limit} requests per minute` : `${r.limit} tokens per minute`;
      const message = r.tooLarge
        ? `This request's ${tokens} input tokens exceed the ${what} of ${r.scope} '${r.id}': it can never pass.`
        : `Rate limit of ${r.scope} '${r.id}' reached (${what}); retry in ${Math.ceil(r.retryAfterMs / 1000)} s.`;
      throw new GatewayError('rate_limited', message, { details: { rate_limit: { scope: r.scope, id: r.id, kind: r.kind, limit: r.limit, retry_after_ms: r.retryAfterMs } } });
    }
    st.ticket = r;
    Object.assign(ctx.responseHeaders, codec.rateLimitHeaders(rates.info(limits, now), now));
  }

  /**
   * The gateway's own call for an admitted request (an embedding of the semantic cache): its input
   * tokens are taken from the request's token buckets before the call, never refused (the request
   * itself passed its rate limits; refusing the call would only turn a lever off). The real tokens
   * settle with the request's attempts at its end.
   */
  takeOwnEmbeddingTokens(ctx: GatewayContext, input: readonly string[]): void {
    const ticket = (ctx as WithSpend)[SPEND_STATE]?.ticket;
    if (!ticket) return;
    const tokens = embeddingsTokensUpperBound(input);
    const now = this.now();
    for (const l of ticket.limits) l.tpm?.adjust(tokens, now);
    if (!ticket.settled) ticket.tokensTaken += tokens;
  }

  // -------------------------------------------------------------------------------------- budgets

  /** the request's budgets and their current cells, or undefined when none applies (shared by both reserves) */
  private openCells(ctx: GatewayContext) {
    if (this.book.empty) return undefined;
    const st = this.state(ctx);
    const budgets = (st.budgets ??= this.book.applicable(ctx.caller, ctx.route));
    if (budgets.length === 0) return undefined;
    const now = this.now();
    const cells: SpendCell[] = new Array(budgets.length);
    for (let i = 0; i < budgets.length; i++) cells[i] = this.cellOf(budgets[i]!, now);
    return { st, budgets, cells, now };
  }

  /**
   * Before an upstream attempt: reserve its worst case on `target` against every budget of the
   * request, or throw budget_exceeded (and reserve nothing). For the request's own attempts (not
   * the gateway's own calls) a due downgrade moves ctx.target first; read ctx.target after.
   */
  reserve(ctx: GatewayContext, target: Target, request: ChatRequest, opts: { own?: boolean } = {}): Hold | undefined {
    const open = this.openCells(ctx);
    if (!open) return undefined;
    const { st, budgets, cells, now } = open;
    // worst cases on the byte bound of the input (no tokenizer); the exact count only near a limit
    let worst = this.worstCaseNano(st, target, request, false, now);
    if (!opts.own) {
      for (let i = 0; i < budgets.length; i++) {
        const b = budgets[i]!;
        const to = b.downgradeTarget;
        if (!to || (to.provider === target.provider && to.model === target.model)) continue;
        const spent = cells[i]!.value;
        if (spent < b.limitNano * b.downgradeAt) continue;
        const cheaper = this.worstCaseNano(st, to, request, false, now);
        if (cheaper >= worst) continue;
        ctx.trail.push({
          stage: 'budget',
          decision: 'downgrade',
          reason: `${b.spec.scope} '${b.spec.id}' has spent ${pct(spent, b.limitNano)} of its ${b.spec.period} budget (downgrade from ${pct(b.downgradeAt * b.limitNano, b.limitNano)}): ${target.provider}/${target.model} → ${to.provider}/${to.model}`,
          data: { scope: b.spec.scope, id: b.spec.id, period: b.spec.period, from: `${target.provider}/${target.model}`, to: `${to.provider}/${to.model}`, spentUsd: fromNano(spent), limitUsd: b.spec.limitUsd },
        });
        ctx.target = target = to;
        ctx.rewritten = true;
        worst = cheaper;
      }
    }
    let refused = this.tryReserve(budgets, cells, worst);
    if (refused >= 0) {
      const exact = this.worstCaseNano(st, target, request, true, now);
      if (exact < worst) refused = this.tryReserve(budgets, cells, (worst = exact));
      if (refused >= 0) this.refuse(ctx, budgets[refused]!, cells[refused]!, worst, now, opts.own === true);
    }
    const hold: Hold = { budgets, cells, reservedNano: worst, settled: false };
    st.holds.push(hold);
    return hold;
  }

  /**
   * Before an embeddings call (POST /v1/embeddings, or the gateway's own embedding for the semantic
   * cache): its worst case, the input's tokens at the model's input price (embeddings have no
   * output), against every budget of the request; or throw budget_exceeded and reserve nothing.
   * Settled like any attempt (attach), released on failure.
   */
  reserveEmbeddings(ctx: GatewayContext, target: Target, input: readonly string[], opts: { own?: boolean } = {}): Hold | undefined {
    const open = this.openCells(ctx);
    if (!open) return undefined;
    const { st, budgets, cells, now } = open;
    const bound = embeddingsTokensUpperBound(input);
    let worst = this.embeddingsWorstNano(target, bound, now);
    let refused = this.tryReserve(budgets, cells, worst);
    if (refused >= 0) {
      const price = this.costsOf(target, now).price;
      const margin = price && O200K_EXACT_PRICE_PROVIDERS.has(price.provider) ? 1 : this.deps.settings.otherTokenizerMargin;
      const exact = this.embeddingsWorstNano(target, embeddingsTokens(input, bound, margin), now);
      if (exact < worst) refused = this.tryReserve(budgets, cells, (worst = exact));
      if (refused >= 0) this.refuse(ctx, budgets[refused]!, cells[refused]!, worst, now, opts.own === true);
    }
    const hold: Hold = { budgets, cells, reservedNano: worst, settled: false };
    st.holds.push(hold);
    return hold;
  }

  /** nothing was spent on the hold (the call never went out): all of it goes back */
  release(hold: Hold | undefined): void {
    if (hold) this.settle(hold, 0);
  }

  private embeddingsWorstNano(target: Target, tokens: number, now: number): number {
    const price = this.costsOf(target, now).price;
    if (!price) return 0;
    const r = ratesFor(price, tokens);
    return Math.ceil(tokens * r.input * 1e3) + 1;
  }

  /** `amount` on every budget's cell (-1), or on none of them and the index of the budget that refused */
  private tryReserve(budgets: readonly LiveBudget[], cells: readonly SpendCell[], amount: number): number {
    const counters = this.deps.counters;
    for (let i = 0; i < budgets.length; i++) {
      const b = budgets[i]!;
      if (!counters.take(cells[i]!, amount, b.hard ? b.limitNano : Number.MAX_SAFE_INTEGER)) {
        for (let j = 0; j < i; j++) counters.add(cells[j]!, -amount);
        return i;
      }
    }
    return -1;
  }

  /** after an attempt: settle it when it has finished (a stream settles at its end) */
  attach(hold: Hold | undefined, attempt: AttemptRecord): void {
    if (!hold) return;
    hold.attempt = attempt;
    if (!Number.isNaN(attempt.endedAt)) this.settle(hold, toNano(attempt.costUsd));
  }

  /** a stream ended: settle every attempt that now has its cost */
  settleEnded(ctx: GatewayContext): void {
    const st = (ctx as WithSpend)[SPEND_STATE];
    if (!st) return;
    for (const h of st.holds) if (!h.settled && h.attempt && !Number.isNaN(h.attempt.endedAt)) this.settle(h, toNano(h.attempt.costUsd));
  }

  /** the request is over: settle what is left (an attempt whose cost is still unknown keeps its worst case) */
  finish(ctx: GatewayContext): void {
    const st = (ctx as WithSpend)[SPEND_STATE];
    if (!st) return;
    for (const h of st.holds) {
      if (h.settled) continue;
      const a = h.attempt;
      this.settle(h, a && !Number.isNaN(a.endedAt) ? toNano(a.costUsd) : h.reservedNano);
    }
    if (st.ticket) this.deps.rates.settle(st.ticket, tokensOf(ctx.attempts), this.now());
  }

  private settle(hold: Hold, actualNano: number): void {
    if (hold.settled) return;
    hold.settled = true;
    const counters = this.deps.counters;
    const delta = actualNano - hold.reservedNano;
    const { budgets, cells } = hold;
    for (let i = 0; i < budgets.length; i++) {
      const budget = budgets[i]!;
      const cell = cells[i]!;
      const value = counters.add(cell, delta);
      // a settlement on a period that has ended announces nothing for it
      if (budget.nextThreshold < budget.thresholds.length && cell === budget.cell && value >= budget.thresholds[budget.nextThreshold]! * budget.limitNano) this.announce(budget, value, this.now());
    }
  }

  /** every threshold the value has crossed, once per period (deduplicated through the counters, so across restarts too) */
  private announce(b: LiveBudget, value: number, now: number): void {
    while (b.nextThreshold < b.thresholds.length && value >= b.thresholds[b.nextThreshold]! * b.limitNano) {
      const t = b.thresholds[b.nextThreshold++]!;
      if (this.deps.counters.incrementBy(`notified|${b.key}|${t}`, 1) === 1) this.deps.notifier.send(this.event(b, 'budget.threshold', t, value, now));
    }
  }

  private refuse(ctx: GatewayContext, b: LiveBudget, cell: SpendCell, worstNano: number, now: number, own: boolean): never {
    this.refusals.budget++;
    const spent = cell.value;
    if (this.deps.counters.incrementBy(`notified|${b.key}|exceeded`, 1) === 1) this.deps.notifier.send(this.event(b, 'budget.exceeded', 1, spent, now));
    const resetsAt = new Date(b.window.endMs).toISOString();
    // an own call's refusal leaves the answer's headers alone: every lever goes on without its call
    // (the request's own reservation refuses it, with these headers, if it cannot pay either)
    if (!own) {
      ctx.responseHeaders['x-tollgate-reason'] = 'budget_exceeded';
      // the SDKs retry a 429 unless told not to; waiting for a budget's reset is not a retry
      ctx.responseHeaders['x-should-retry'] = 'false';
      ctx.responseHeaders['retry-after'] = String(Math.max(1, Math.ceil((b.window.endMs - now) / 1000)));
    }
    const s = b.spec;
    throw new GatewayError(
      'budget_exceeded',
      `The ${s.period} budget of ${s.scope} '${s.id}' ($${s.limitUsd}) would be exceeded: $${round(fromNano(spent))} spent, this request may cost up to $${round(fromNano(worstNano))}. It resets at ${resetsAt}.`,
      {
        details: {
          budget: {
            scope: s.scope,
            id: s.id,
            period: s.period,
            period_label: b.window.label,
            limit_usd: s.limitUsd,
            spent_usd: fromNano(spent),
            remaining_usd: Math.max(0, fromNano(b.limitNano - spent)),
            request_max_usd: fromNano(worstNano),
            resets_at: resetsAt,
          },
        },
      },
    );
  }

  private event(b: LiveBudget, type: BudgetEvent['type'], threshold: number, value: number, now: number): BudgetEvent {
    return {
      type,
      scope: b.spec.scope,
      id: b.spec.id,
      period: b.spec.period,
      periodLabel: b.window.label,
      threshold,
      limitUsd: b.spec.limitUsd,
      spentUsd: fromNano(value),
      action: b.spec.action,
      resetsAt: new Date(b.window.endMs).toISOString(),
      at: new Date(now).toISOString(),
    };
  }

  /**
   * The most this attempt can cost on `target`: its input tokens at the dearest input rate the
   * model has (a cache write may be dearer than plain input), and max_tokens (else the model's
   * maximum output) at the dearest output rate. Input tokens: the byte bound, or with `exact` the
   * o200k count (times the margin for models o200k only estimates), never above the bound.
   */
  worstCaseNano(st: RequestSpend, target: Target, request: ChatRequest, exact: boolean, now: number): number {
    const costs = this.costsOf(target, now);
    const price = costs.price;
    if (!price) return 0;
    const bound = this.inputBound(st, request);
    const input = !exact
      ? bound
      : O200K_EXACT_PRICE_PROVIDERS.has(price.provider)
        ? this.inputTokens(st, request)
        : Math.min(bound, Math.ceil(this.inputTokens(st, request) * this.deps.settings.otherTokenizerMargin));
    const output = request.maxTokens ?? costs.maxOutput ?? this.deps.settings.defaultMaxOutputTokens;
    const r = ratesFor(price, input);
    const inRate = Math.max(r.input, r.cacheWrite5m, r.cacheWrite1h);
    const outRate = r.reasoning !== undefined && r.reasoning > r.output ? r.reasoning : r.output;
    // USD per 1M tokens × tokens × 1e3 = nano-dollars; in floats (no BigInt on the hot path), so
    // rounded up and one nano-dollar added against float error: never under the exact cost
    return Math.ceil((input * inRate + output * outRate) * 1e3) + 1;
  }

  private costsOf(target: Target, now: number): TargetCosts {
    let byModel = this.targetCosts.get(target.provider);
    if (!byModel) this.targetCosts.set(target.provider, (byModel = new Map()));
    let c = byModel.get(target.model);
    if (!c) byModel.set(target.model, (c = { price: undefined, maxOutput: this.deps.maxOutput.get(`${target.provider}\u0000${target.model}`), until: -Infinity }));
    if (now >= c.until) {
      c.price = this.deps.pricing.priceOf(target);
      c.until = now + PRICE_REREAD_MS;
    }
    return c;
  }
}

/** every token of a byte-level BPE covers at least one byte: an embeddings input has at most its UTF-8 bytes in tokens */
function embeddingsTokensUpperBound(input: readonly string[]): number {
  let n = 0;
  for (const t of input) n += Buffer.byteLength(t, 'utf8');
  return n;
}

/** o200k's count of an embeddings input (times `margin` for models it only estimates), never above the byte bound */
function embeddingsTokens(input: readonly string[], bound: number, margin: number): number {
  const b = new TokenBudget();
  let n = 0;
  for (const t of input) n += countTextTokens(t, b);
  return Math.min(bound, Math.ceil(n * margin));
}

function tokensOf(attempts: readonly AttemptRecord[]): number {
  let n = 0;
  for (const a of attempts) {
    const u = a.usage;
    if (u) n += u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h + u.output;
  }
  return n;
}

const pct = (v: number, of: number): string => `${Math.round((v / of) * 1000) / 10}%`;
const round = (usd: number): string => (Math.round(usd * 1e6) / 1e6).toString();
