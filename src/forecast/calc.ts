// The cost calculator: a scenario priced from the versioned catalog (cache reads, cache writes,
// batch and long-context tiers through core/cost.ts), the waterfall from "everything on the most
// expensive model" to the scenario one lever at a time, a sensitivity table, and the self-hosting
// break-even. Pure: no I/O; the CLI, the admin API and the dashboard all call calculate().

import type { Usage } from '../core/canonical.js';
import { costOf } from '../core/cost.js';
import { PriceCatalog, type ModelPrice } from '../core/prices/catalog.js';
import { CACHEABLE_COMPONENTS, TOKEN_COMPONENTS, inputTokens, type Scenario, type SelfHost, ScenarioError } from './scenario.js';

/** the chapter's rule: "self-host only when your monthly API spend consistently exceeds $50,000 ... and you already have ML engineering staff" */
export const SELF_HOST_MIN_API_USD_PER_MONTH = 50_000;

export interface ModelLine {
  model: string;
  /** the catalog's id and provider the price came from */
  priceId: string;
  provider: string;
  source: 'catalog' | 'override';
  share: number;
  /** requests a day this model serves (after the response caches, retries included) */
  requestsPerDay: number;
  /** what one request costs on it, real-time and through the Batch API */
  costPerRequestUsd: number;
  batchCostPerRequestUsd: number;
  dailyUsd: number;
}

export interface WaterfallStep {
  /** 'baseline' then one entry per lever, in the order they are applied */
  lever: string;
  label: string;
  monthlyUsd: number;
  /** change from the previous bar (negative: saved) */
  deltaUsd: number;
  deltaPct: number;
}

export interface SensitivityRow {
  assumption: string;
  base: number;
  low: number;
  high: number;
  monthlyLowUsd: number;
  monthlyHighUsd: number;
  /** |high - low| in monthly dollars: how much this assumption moves the bill */
  swingUsd: number;
}

export interface SelfHostReport {
  name: string;
  gpuType: string;
  gpus: number;
  /** GPUs x hourly price x hours: the infrastructure alone */
  infraMonthlyUsd: number;
  staffMonthlyUsd: number;
  /** deployments (of `gpus` GPUs each) the scenario's tokens need */
  deployments: number;
  monthlyUsd: number;
  /** tokens a day one deployment serves at its utilisation */
  capacityTokensPerDay: number;
  scenarioTokensPerDay: number;
  /** infrastructure per 1M tokens at the deployment's utilisation (staff excluded) */
  usdPerMTokens: number;
  apiMonthlyUsd: number;
  /** against each API model of the mix (and the baseline): requests a day above which one deployment is cheaper */
  breakEven: { model: string; apiMonthlyUsd: number; breakEvenRequestsPerDay: number; withinCapacity: boolean }[];
  rule: { minApiMonthlyUsd: number; apiSpendAbove: boolean; hasMlStaff: boolean; selfHost: boolean; text: string };
}

export interface CalcResult {
  catalogVersion: string;
  pricesAt: string;
  requestsPerDay: number;
  days: number;
  dailyUsd: number;
  monthlyUsd: number;
  costPerRequestUsd: number;
  tokens: { input: number; output: number; inputAfterTrim: number; byComponent: Record<string, number> };
  models: ModelLine[];
  waterfall: WaterfallStep[];
  sensitivity: SensitivityRow[];
  /** month by month with growthPerMonth (12 months) */
  projection: { month: number; monthlyUsd: number }[];
  selfHost?: SelfHostReport;
  notes: string[];
}

/** dollars to the micro-dollar: exact per-request figures times counts leave float dust otherwise */
function usd(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export class PriceBook {
  private readonly catalog: PriceCatalog;
  readonly at: Date;
  private readonly memo = new Map<string, ModelPrice>();
  constructor(prices: Scenario['prices'], at?: string) {
    this.catalog = PriceCatalog.load(prices);
    this.at = at ? new Date(at) : new Date();
  }
  get version(): string {
    return this.catalog.version;
  }
  price(model: string): ModelPrice {
    let p = this.memo.get(model);
    if (!p) {
      p = this.catalog.lookupModel(model, this.at);
      if (!p) throw new ScenarioError(`the price catalog has no price for '${model}' at ${this.at.toISOString().slice(0, 10)}; give one with --price ${model}=IN/OUT (USD per 1M tokens) or a prices: entry`);
      this.memo.set(model, p);
    }
    return p;
  }
}

/** the input components after trimming */
function trimmedTokens(s: Scenario): Record<(typeof TOKEN_COMPONENTS)[number], number> {
  const out = {} as Record<(typeof TOKEN_COMPONENTS)[number], number>;
  for (const c of TOKEN_COMPONENTS) out[c] = Math.round(s.tokens[c] * (1 - s.trim[c]));
  return out;
}

/**
 * What one request costs on a model, averaged over prompt-cache hits (the prefix read at the
 * cache-read price) and misses (the prefix written, at the cache-write price where the vendor
 * charges one). Each usage is priced exactly; only the average is a float.
 */
function costPerRequest(price: ModelPrice, s: Scenario, batch: boolean): number {
  const t = trimmedTokens(s);
  const prefix = CACHEABLE_COMPONENTS.reduce((a, c) => a + t[c], 0);
  const rest = TOKEN_COMPONENTS.reduce((a, c) => a + t[c], 0) - prefix;
  const h = s.cache.promptCacheHitRate;
  const base: Usage = { input: rest, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: s.tokens.output, reasoning: 0 };
  if (h === 0 || prefix === 0) return costOf({ ...base, input: rest + prefix }, price, { batch }).totalUsd;
  const hit = costOf({ ...base, cacheRead: prefix }, price, { batch }).totalUsd;
  const write = s.cache.promptCacheTtl === '1h' ? { cacheWrite1h: prefix } : { cacheWrite5m: prefix };
  const miss = costOf({ ...base, ...write }, price, { batch }).totalUsd;
  return h * hit + (1 - h) * miss;
}

interface Priced {
  dailyUsd: number;
  lines: ModelLine[];
}

function price(s: Scenario, book: PriceBook): Priced {
  const served = s.requestsPerDay * (1 - s.cache.exactHitRate - s.cache.semanticHitRate) * (1 + s.retryRate);
  const lines = s.mix.map((m): ModelLine => {
    const p = book.price(m.model);
    const rt = costPerRequest(p, s, false);
    const bt = costPerRequest(p, s, true);
    const requests = served * m.share;
    return {
      model: m.model,
      priceId: p.model,
      provider: p.provider,
      source: p.source,
      share: m.share,
      requestsPerDay: requests,
      costPerRequestUsd: rt,
      batchCostPerRequestUsd: bt,
      dailyUsd: requests * ((1 - s.batchShare) * rt + s.batchShare * bt),
    };
  });
  return { dailyUsd: lines.reduce((a, l) => a + l.dailyUsd, 0), lines };
}

function monthly(s: Scenario, book: PriceBook): number {
  return price(s, book).dailyUsd * s.days;
}

const NO_TRIM: Scenario['trim'] = { system: 0, tools: 0, context: 0, history: 0, user: 0 };

/** the model whose single request costs most with the scenario's untrimmed tokens */
function mostExpensive(s: Scenario, book: PriceBook): string {
  if (s.baselineModel) return s.baselineModel;
  const plain: Scenario = { ...s, trim: NO_TRIM, cache: { ...s.cache, promptCacheHitRate: 0 } };
  let best = s.mix[0]!.model;
  let bestCost = -1;
  for (const m of s.mix) {
    const c = costPerRequest(book.price(m.model), plain, false);
    if (c > bestCost) [best, bestCost] = [m.model, c];
  }
  return best;
}

/**
 * Bars from the baseline (everything on the most expensive model, no trimming, no caches, no
 * batch; retries as in the scenario, which is not a lever) to the scenario, adding one lever at a
 * time in the order the gateway applies them to a request's bill.
 */
function waterfall(s: Scenario, book: PriceBook): WaterfallStep[] {
  const top = mostExpensive(s, book);
  let cur: Scenario = {
    ...s,
    mix: [{ model: top, share: 1 }],
    trim: NO_TRIM,
    cache: { ...s.cache, exactHitRate: 0, semanticHitRate: 0, promptCacheHitRate: 0 },
    batchShare: 0,
  };
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const levers: { lever: string; label: string; apply: (x: Scenario) => Scenario; active: boolean }[] = [
    { lever: 'tiering', label: `model mix ${s.mix.map((m) => `${pct(m.share)} ${m.model}`).join(', ')}`, apply: (x) => ({ ...x, mix: s.mix }), active: !(s.mix.length === 1 && s.mix[0]!.model === top) },
    { lever: 'trim', label: `trimming ${TOKEN_COMPONENTS.filter((c) => s.trim[c] > 0).map((c) => `${c} -${pct(s.trim[c])}`).join(', ')}`, apply: (x) => ({ ...x, trim: s.trim }), active: TOKEN_COMPONENTS.some((c) => s.trim[c] > 0) },
    { lever: 'prompt-cache', label: `provider prompt cache ${pct(s.cache.promptCacheHitRate)} of prefixes read`, apply: (x) => ({ ...x, cache: { ...x.cache, promptCacheHitRate: s.cache.promptCacheHitRate } }), active: s.cache.promptCacheHitRate > 0 },
    { lever: 'exact-cache', label: `exact cache ${pct(s.cache.exactHitRate)} hits`, apply: (x) => ({ ...x, cache: { ...x.cache, exactHitRate: s.cache.exactHitRate } }), active: s.cache.exactHitRate > 0 },
    { lever: 'semantic-cache', label: `semantic cache ${pct(s.cache.semanticHitRate)} hits`, apply: (x) => ({ ...x, cache: { ...x.cache, semanticHitRate: s.cache.semanticHitRate } }), active: s.cache.semanticHitRate > 0 },
    { lever: 'batch', label: `batch ${pct(s.batchShare)} of requests`, apply: (x) => ({ ...x, batchShare: s.batchShare }), active: s.batchShare > 0 },
  ];
  let prev = monthly(cur, book);
  const steps: WaterfallStep[] = [{ lever: 'baseline', label: `everything on ${top}`, monthlyUsd: usd(prev), deltaUsd: 0, deltaPct: 0 }];
  for (const l of levers) {
    if (!l.active) continue;
    cur = l.apply(cur);
    const m = monthly(cur, book);
    steps.push({ lever: l.lever, label: l.label, monthlyUsd: usd(m), deltaUsd: usd(m - prev), deltaPct: prev > 0 ? (m - prev) / prev : 0 });
    prev = m;
  }
  return steps;
}

interface Knob {
  name: string;
  get: (s: Scenario) => number;
  set: (s: Scenario, v: number) => Scenario;
  max?: (s: Scenario) => number;
}

function knobs(s: Scenario, book: PriceBook): Knob[] {
  const out: Knob[] = [
    { name: 'requestsPerDay', get: (x) => x.requestsPerDay, set: (x, v) => ({ ...x, requestsPerDay: v }) },
    { name: 'tokens.output', get: (x) => x.tokens.output, set: (x, v) => ({ ...x, tokens: { ...x.tokens, output: v } }) },
  ];
  for (const c of TOKEN_COMPONENTS) out.push({ name: `tokens.${c}`, get: (x) => x.tokens[c], set: (x, v) => ({ ...x, tokens: { ...x.tokens, [c]: v } }) });
  out.push(
    { name: 'cache.exactHitRate', get: (x) => x.cache.exactHitRate, set: (x, v) => ({ ...x, cache: { ...x.cache, exactHitRate: v } }), max: (x) => 1 - x.cache.semanticHitRate },
    { name: 'cache.semanticHitRate', get: (x) => x.cache.semanticHitRate, set: (x, v) => ({ ...x, cache: { ...x.cache, semanticHitRate: v } }), max: (x) => 1 - x.cache.exactHitRate },
    { name: 'cache.promptCacheHitRate', get: (x) => x.cache.promptCacheHitRate, set: (x, v) => ({ ...x, cache: { ...x.cache, promptCacheHitRate: v } }), max: () => 1 },
    { name: 'batchShare', get: (x) => x.batchShare, set: (x, v) => ({ ...x, batchShare: v }), max: () => 1 },
    { name: 'retryRate', get: (x) => x.retryRate, set: (x, v) => ({ ...x, retryRate: v }) },
  );
  if (s.mix.length > 1) {
    // the share of the most expensive model, the rest scaled to make room
    const name = mostExpensive({ ...s, baselineModel: undefined }, book);
    const top = Math.max(0, s.mix.findIndex((m) => m.model === name));
    out.push({
      name: `mix.${s.mix[top]!.model}`,
      get: (x) => x.mix[top]!.share,
      max: () => 1,
      set: (x, v) => {
        const rest = 1 - x.mix[top]!.share;
        return { ...x, mix: x.mix.map((m, i) => ({ ...m, share: i === top ? v : rest > 0 ? (m.share * (1 - v)) / rest : 0 })) };
      },
    });
  }
  return out.filter((k) => k.get(s) > 0);
}


function sensitivity(s: Scenario, book: PriceBook): SensitivityRow[] {
  const f = s.sensitivityPct / 100;
  return knobs(s, book)
    .map((k) => {
      const base = k.get(s);
      const cap = k.max ? k.max(s) : Infinity;
      const low = Math.max(0, base * (1 - f));
      const high = Math.min(cap, base * (1 + f));
      const ml = monthly(k.set(s, low), book);
      const mh = monthly(k.set(s, high), book);
      return { assumption: k.name, base, low, high, monthlyLowUsd: usd(ml), monthlyHighUsd: usd(mh), swingUsd: usd(Math.abs(mh - ml)) };
    })
    .sort((a, b) => b.swingUsd - a.swingUsd);
}

function selfHostReport(sh: SelfHost, s: Scenario, book: PriceBook, priced: Priced): SelfHostReport {
  const hours = sh.hoursPerMonth ?? 24 * s.days;
  const infra = sh.gpus * sh.usdPerGpuHour * hours;
  const capacity = sh.tokensPerSecond * sh.utilisation * 86_400;
  const t = trimmedTokens(s);
  const perRequestTokens = TOKEN_COMPONENTS.reduce((a, c) => a + t[c], 0) + s.tokens.output;
  const servedPerDay = s.requestsPerDay * (1 - s.cache.exactHitRate - s.cache.semanticHitRate) * (1 + s.retryRate);
  const tokensPerDay = servedPerDay * perRequestTokens;
  const deployments = Math.max(1, Math.ceil(tokensPerDay / capacity));
  const monthlyUsd = deployments * infra + sh.staffUsdPerMonth;
  const apiMonthly = priced.dailyUsd * s.days;
  const candidates = [...new Set([mostExpensive(s, book), ...s.mix.map((m) => m.model)])];
  const capacityRequests = capacity / Math.max(1, perRequestTokens);
  const breakEven = candidates.map((model) => {
    const one: Scenario = { ...s, mix: [{ model, share: 1 }] };
    const perRequestPerDay = price({ ...one, requestsPerDay: 1 }, book).dailyUsd;
    const oneDeployment = infra + sh.staffUsdPerMonth;
    const req = perRequestPerDay > 0 ? oneDeployment / (perRequestPerDay * s.days) : Infinity;
    return { model, apiMonthlyUsd: usd(price(one, book).dailyUsd * s.days), breakEvenRequestsPerDay: Math.ceil(req), withinCapacity: req <= capacityRequests };
  });
  const apiSpendAbove = apiMonthly > SELF_HOST_MIN_API_USD_PER_MONTH;
  const cheaper = monthlyUsd < apiMonthly;
  const selfHost = apiSpendAbove && sh.hasMlStaff && cheaper;
  const money = (x: number) => `$${Math.round(x).toLocaleString('en-US')}`;
  const why = [
    `API spend ${money(apiMonthly)}/month is ${apiSpendAbove ? 'above' : 'below'} the ${money(SELF_HOST_MIN_API_USD_PER_MONTH)} line`,
    sh.hasMlStaff ? 'the team has ML engineering staff' : 'the team has no ML engineering staff',
    `self-hosting costs ${money(monthlyUsd)}/month (${deployments} x ${sh.gpus} ${sh.gpuType}: ${money(deployments * infra)} of GPUs${sh.staffUsdPerMonth ? ` + ${money(sh.staffUsdPerMonth)} of staff` : ', staff not counted'})`,
  ];
  const text = `${selfHost ? 'Self-hosting can pay' : 'Stick with APIs'}: ${why.join('; ')}. Rule: self-host only above ${money(SELF_HOST_MIN_API_USD_PER_MONTH)} a month of API spend and with ML staff.`;
  return {
    name: sh.name,
    gpuType: sh.gpuType,
    gpus: sh.gpus,
    infraMonthlyUsd: usd(infra),
    staffMonthlyUsd: sh.staffUsdPerMonth,
    deployments,
    monthlyUsd: usd(monthlyUsd),
    capacityTokensPerDay: capacity,
    scenarioTokensPerDay: tokensPerDay,
    usdPerMTokens: usd((infra / (capacity * s.days)) * 1e6),
    apiMonthlyUsd: usd(apiMonthly),
    breakEven,
    rule: { minApiMonthlyUsd: SELF_HOST_MIN_API_USD_PER_MONTH, apiSpendAbove, hasMlStaff: sh.hasMlStaff, selfHost, text },
  };
}

export function calculate(s: Scenario): CalcResult {
  const book = new PriceBook(s.prices, s.at);
  const priced = price(s, book);
  const t = trimmedTokens(s);
  const monthlyUsd = priced.dailyUsd * s.days;
  const notes: string[] = [];
  const tiered = priced.lines.filter((l) => book.price(l.model).tiers.length > 0);
  if (tiered.length) notes.push(`long-context tiers apply to ${tiered.map((l) => l.model).join(', ')} above their thresholds (priced per request)`);
  if (s.cache.semanticHitRate > 0) notes.push('the semantic cache embeds every request; embedding cost is not counted (a few cents per million requests on small embedders)');
  const overridden = priced.lines.filter((l) => l.source === 'override').map((l) => l.model);
  if (overridden.length) notes.push(`prices given as overrides: ${overridden.join(', ')}`);
  const result: CalcResult = {
    catalogVersion: book.version,
    pricesAt: book.at.toISOString(),
    requestsPerDay: s.requestsPerDay,
    days: s.days,
    dailyUsd: usd(priced.dailyUsd),
    monthlyUsd: usd(monthlyUsd),
    costPerRequestUsd: s.requestsPerDay > 0 ? priced.dailyUsd / s.requestsPerDay : 0,
    tokens: { input: inputTokens(s.tokens), output: s.tokens.output, inputAfterTrim: TOKEN_COMPONENTS.reduce((a, c) => a + t[c], 0), byComponent: { ...t } },
    models: priced.lines.map((l) => ({ ...l, dailyUsd: usd(l.dailyUsd) })),
    waterfall: waterfall(s, book),
    sensitivity: sensitivity(s, book),
    projection: Array.from({ length: 12 }, (_, i) => ({ month: i + 1, monthlyUsd: usd(monthlyUsd * (1 + s.growthPerMonth) ** i) })),
    notes,
  };
  if (s.selfHost) result.selfHost = selfHostReport(s.selfHost, s, book, priced);
  return result;
}
