// The price catalog: offline, versioned and effective-dated list prices (generated from genai-prices,
// see README.md) plus overrides from config, which win. Lookups tolerate dated ids, aliases, vendor
// prefixes ("anthropic/...", "models/..."), and resolve the price in force at a given instant.
import { CATALOG_DATA } from './data.generated.js';
import { priceOverridesSchema, type PriceOverride, type PriceOverrides, type PriceOverridesInput } from './config.js';
import type { CatalogData, CatalogModel, MatchRule, ModelPrice, PriceRates, PriceTier, RawPeriod, RawRates } from './types.js';

export type { ModelPrice, PriceRates, PriceTier } from './types.js';

/** Provider names callers may use for a catalog provider. */
const PROVIDER_ALIASES: Record<string, string> = {
  gemini: 'google',
  'google-gla': 'google',
  'google-vertex': 'google',
  vertex: 'google',
  vertex_ai: 'google',
  xai: 'x-ai',
  grok: 'x-ai',
};

/** A trailing release date or version pin that names the same model (tried when the full id misses). */
const DATED_SUFFIX = /(?:-\d{8}|-\d{4}-\d{2}-\d{2}|@\d{8}|@latest|-latest)$/;

function matches(rule: MatchRule, id: string): boolean {
  if ('equals' in rule) return id === rule.equals;
  if ('starts_with' in rule) return id.startsWith(rule.starts_with);
  if ('ends_with' in rule) return id.endsWith(rule.ends_with);
  if ('contains' in rule) return id.includes(rule.contains);
  if ('regex' in rule) return new RegExp(rule.regex).test(id);
  if ('or' in rule) return rule.or.some((r) => matches(r, id));
  if ('and' in rule) return rule.and.every((r) => matches(r, id));
  return false;
}

/** The ids to try for a requested model, most specific first. */
function candidateIds(model: string): string[] {
  const id = model.trim().toLowerCase().replace(/^models\//, '');
  const out = [id];
  const undated = id.replace(DATED_SUFFIX, '');
  if (undated !== id && undated.length > 0) out.push(undated);
  return out;
}

/** "anthropic/claude-sonnet-4" -> ['anthropic', 'claude-sonnet-4']; no prefix -> [undefined, model]. */
function splitProviderPrefix(model: string): [string | undefined, string] {
  const slash = model.indexOf('/');
  if (slash <= 0 || model.startsWith('models/')) return [undefined, model];
  return [model.slice(0, slash).toLowerCase(), model.slice(slash + 1)];
}

function timeOfDay(at: Date): string {
  return at.toISOString().slice(11, 19);
}

function periodActive(p: RawPeriod, at: Date): boolean {
  if (p.from !== undefined && at.getTime() < Date.parse(`${p.from}T00:00:00Z`)) return false;
  if (p.utcWindow) {
    const [start, end] = p.utcWindow;
    const t = timeOfDay(at);
    const inside = start <= end ? t >= start && t < end : t >= start || t < end;
    if (!inside) return false;
  }
  return true;
}

/**
 * Fill every bucket: a cache read the vendor does not discount costs the input price; a cache write
 * the vendor does not surcharge (OpenAI, Gemini implicit caching) costs the input price; a 1-hour write
 * without its own price costs what a 5-minute write does.
 */
function resolveRates(r: RawRates, base?: PriceRates): PriceRates {
  const input = r.input ?? base?.input ?? 0;
  const cacheWrite5m = r.cacheWrite5m ?? input;
  const out: PriceRates = {
    input,
    output: r.output ?? base?.output ?? 0,
    cacheRead: r.cacheRead ?? input,
    cacheWrite5m,
    cacheWrite1h: r.cacheWrite1h ?? cacheWrite5m,
  };
  const reasoning = r.reasoning ?? base?.reasoning;
  if (reasoning !== undefined) out.reasoning = reasoning;
  return out;
}

function isoDay(iso: string): string {
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

interface OverrideEntry {
  provider: string;
  model: string;
  from: number;
  price: Omit<ModelPrice, 'effectiveUntil'>;
}

const SECONDS_PER_HOUR = 3600;

function overrideToPrice(o: PriceOverride, version: string): Omit<ModelPrice, 'effectiveUntil'> {
  let raw: RawRates;
  if (o.gpuHour) {
    // Self-hosted: a token's cost is the deployment's hourly cost spread over the tokens it can
    // process in that hour at sustained throughput (USD per 1M tokens = USD/h / tokens/h * 1e6).
    const usdPerHour = o.gpuHour.usdPerHour * o.gpuHour.gpus;
    const perM = (tps: number) => (usdPerHour / (tps * SECONDS_PER_HOUR)) * 1e6;
    raw = {
      input: perM(o.gpuHour.inputTokensPerSecond),
      output: perM(o.gpuHour.outputTokensPerSecond),
      cacheRead: o.cachedInput,
      cacheWrite5m: o.cacheWrite5m,
      cacheWrite1h: o.cacheWrite1h,
      reasoning: o.reasoning,
    };
  } else {
    raw = { input: o.input, output: o.output, cacheRead: o.cachedInput, cacheWrite5m: o.cacheWrite5m, cacheWrite1h: o.cacheWrite1h, reasoning: o.reasoning };
  }
  const base = resolveRates(raw);
  const tiers: PriceTier[] = (o.tiers ?? [])
    .map((t) => ({
      aboveInputTokens: t.aboveInputTokens,
      ...resolveRates({ input: t.input, output: t.output, cacheRead: t.cachedInput, cacheWrite5m: t.cacheWrite5m, cacheWrite1h: t.cacheWrite1h, reasoning: t.reasoning }, base),
    }))
    .sort((a, b) => a.aboveInputTokens - b.aboveInputTokens);
  const price: Omit<ModelPrice, 'effectiveUntil'> = {
    provider: o.provider,
    model: o.model,
    ...base,
    batchDiscount: o.batchDiscount ?? 0,
    tiers,
    source: 'override',
    catalogVersion: version,
  };
  if (o.effectiveFrom !== undefined) price.effectiveFrom = isoDay(o.effectiveFrom);
  return price;
}

export class PriceCatalog {
  /** catalog data version, e.g. `2026-08-21+genai-prices.47df840a` (data date + source commit) */
  readonly version: string;
  private readonly data: CatalogData;
  /** normalized override id -> entries (any provider), sorted by effective date */
  private readonly overrides = new Map<string, OverrideEntry[]>();
  private readonly overrideProviders = new Set<string>();
  /** provider|candidate id -> catalog model (or null for a miss): matching is the slow part */
  private readonly matchCache = new Map<string, CatalogModel | null>();

  private constructor(data: CatalogData, overrides: PriceOverride[]) {
    this.data = data;
    this.version = data.version;
    for (const o of overrides) {
      const provider = this.canonicalProvider(o.provider);
      const entry: OverrideEntry = {
        provider,
        model: o.model,
        from: o.effectiveFrom === undefined ? -Infinity : Date.parse(o.effectiveFrom),
        price: { ...overrideToPrice(o, data.version), provider },
      };
      this.overrideProviders.add(provider);
      for (const name of [o.model, ...(o.aliases ?? [])]) {
        const key = name.trim().toLowerCase();
        const list = this.overrides.get(key) ?? [];
        list.push(entry);
        list.sort((a, b) => a.from - b.from);
        this.overrides.set(key, list);
      }
    }
  }

  /** The bundled catalog plus overrides from config (validated here; a mistake throws a ZodError). */
  static load(overrides?: PriceOverrides | PriceOverridesInput): PriceCatalog {
    return new PriceCatalog(CATALOG_DATA, priceOverridesSchema.parse(overrides ?? []));
  }

  /** Providers the catalog knows, in the order model-only lookups search them. */
  get providers(): string[] {
    return this.data.providers.map((p) => p.id);
  }

  /**
   * The price in force at `at` (default: now) for a model of a provider. Overrides win from their
   * effectiveFrom on; before it the catalog applies. Returns undefined for an unknown model.
   */
  lookup(provider: string, model: string, at: Date = new Date()): ModelPrice | undefined {
    const p = this.canonicalProvider(provider);
    const [prefix, bare] = splitProviderPrefix(model);
    const id = prefix !== undefined && this.canonicalProvider(prefix) === p ? bare : model;
    return this.lookupOverride(p, id, at) ?? this.lookupCatalog(p, id, at);
  }

  /** The price of a model from any provider: overrides first, then the catalog in provider order. */
  lookupModel(model: string, at: Date = new Date()): ModelPrice | undefined {
    const [prefix, bare] = splitProviderPrefix(model);
    if (prefix !== undefined) {
      const p = this.canonicalProvider(prefix);
      if (this.overrideProviders.has(p) || this.data.providers.some((x) => x.id === p)) {
        const hit = this.lookup(p, bare, at);
        if (hit) return hit;
      }
    }
    const viaOverride = this.lookupOverride(undefined, model, at);
    if (viaOverride) return viaOverride;
    for (const p of this.data.providers) {
      const hit = this.lookupCatalog(p.id, model, at);
      if (hit) return hit;
    }
    return undefined;
  }

  private canonicalProvider(provider: string): string {
    const p = provider.trim().toLowerCase();
    return PROVIDER_ALIASES[p] ?? p;
  }

  private lookupOverride(provider: string | undefined, model: string, at: Date): ModelPrice | undefined {
    if (this.overrides.size === 0) return undefined;
    for (const id of candidateIds(model)) {
      const entries = this.overrides.get(id)?.filter((e) => provider === undefined || e.provider === provider);
      if (!entries?.length) continue;
      const t = at.getTime();
      let current: OverrideEntry | undefined;
      let next: OverrideEntry | undefined;
      for (const e of entries) {
        if (e.from <= t) current = e;
        else if (!next) next = e;
      }
      if (!current) return undefined; // scheduled for later: the catalog applies until then
      const price: ModelPrice = { ...current.price };
      if (next) price.effectiveUntil = isoDay(new Date(next.from).toISOString());
      return price;
    }
    return undefined;
  }

  private findCatalogModel(provider: string, model: string): CatalogModel | undefined {
    const prov = this.data.providers.find((p) => p.id === provider);
    if (!prov) return undefined;
    for (const id of candidateIds(model)) {
      const key = `${provider}|${id}`;
      let hit = this.matchCache.get(key);
      if (hit === undefined) {
        hit = prov.models.find((m) => matches(m.match, id)) ?? null;
        this.matchCache.set(key, hit);
      }
      if (hit) return hit;
    }
    return undefined;
  }

  private lookupCatalog(provider: string, model: string, at: Date): ModelPrice | undefined {
    const m = this.findCatalogModel(provider, model);
    if (!m) return undefined;
    const prov = this.data.providers.find((p) => p.id === provider)!;
    let chosen: RawPeriod | undefined;
    for (const p of m.periods) if (periodActive(p, at)) chosen = p;
    if (!chosen) return undefined;
    const base = resolveRates(chosen.rates);
    const price: ModelPrice = {
      provider,
      model: m.id,
      ...base,
      batchDiscount: prov.batchDiscount,
      tiers: (chosen.tiers ?? []).map(({ above, ...r }) => ({ aboveInputTokens: above, ...resolveRates(r, base) })),
      source: 'catalog',
      catalogVersion: this.version,
    };
    if (m.name) price.name = m.name;
    // effective window of a dated price: from its start to the next dated price's start
    const t = at.getTime();
    let from: string | undefined;
    let until: string | undefined;
    for (const p of m.periods) {
      if (p.from === undefined) continue;
      if (Date.parse(`${p.from}T00:00:00Z`) <= t) from = p.from;
      else if (until === undefined || p.from < until) until = p.from;
    }
    if (from !== undefined) price.effectiveFrom = from;
    if (until !== undefined) price.effectiveUntil = until;
    return price;
  }
}
