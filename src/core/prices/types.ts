// Types of the price catalog: the generated data file's shape, and the resolved price of one model at
// one instant. All prices are USD per 1M tokens.

/** genai-prices match rules, kept as in the source data. */
export type MatchRule =
  | { equals: string }
  | { starts_with: string }
  | { ends_with: string }
  | { contains: string }
  | { regex: string }
  | { or: MatchRule[] }
  | { and: MatchRule[] };

/** Rates as the source gives them: a missing field means "not priced separately". */
export interface RawRates {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite5m?: number;
  cacheWrite1h?: number;
  reasoning?: number;
}

export interface RawTier extends RawRates {
  /** the tier applies when total input tokens (input + cache read + cache writes) exceed this */
  above: number;
}

export interface RawPeriod {
  /** first day (UTC, YYYY-MM-DD) this price applies; absent = since the model launched */
  from?: string;
  /** a time-of-day window, UTC, [start, end) as HH:MM:SS; wraps midnight when end < start */
  utcWindow?: [string, string];
  rates: RawRates;
  tiers?: RawTier[];
}

/** The LAST period whose constraint holds at the instant applies (genai-prices' rule). */
export interface CatalogModel {
  id: string;
  name?: string;
  match: MatchRule;
  periods: RawPeriod[];
}

export interface CatalogProvider {
  id: string;
  /** fraction taken off every token price by the vendor's Batch API (0.5 = 50% off) */
  batchDiscount: number;
  models: CatalogModel[];
}

export interface CatalogData {
  version: string;
  source: { repo: string; commit: string; date: string; license: string };
  providers: CatalogProvider[];
}

/** Resolved per-token rates, USD per 1M tokens; every bucket has a price. */
export interface PriceRates {
  input: number;
  output: number;
  /** cache read (OpenAI "cached input"); equals `input` where the vendor gives no discount */
  cacheRead: number;
  /** cache write, 5-minute TTL (Anthropic 1.25x input); equals `input` where writes cost no extra */
  cacheWrite5m: number;
  /** cache write, 1-hour TTL (Anthropic 2x input) */
  cacheWrite1h: number;
  /** reasoning tokens, only where priced differently from output */
  reasoning?: number;
}

export interface PriceTier extends PriceRates {
  /** applies when total input tokens (input + cache read + cache writes) exceed this many tokens */
  aboveInputTokens: number;
}

/** The price of one model at one instant. */
export interface ModelPrice extends PriceRates {
  provider: string;
  /** the catalog's (or override's) model id, e.g. `claude-sonnet-4-0` for `claude-sonnet-4-20250514` */
  model: string;
  name?: string;
  /** first day this price applies (YYYY-MM-DD or ISO date); absent = since the model launched */
  effectiveFrom?: string;
  /** first day of the next known price; absent = current */
  effectiveUntil?: string;
  /** fraction off every rate for batch requests (0.5 = 50% off) */
  batchDiscount: number;
  /** long-context tiers, ascending; the highest one whose threshold is exceeded replaces the base rates */
  tiers: readonly PriceTier[];
  source: 'catalog' | 'override';
  /** the catalog version this price came with (overrides carry it too) */
  catalogVersion: string;
}
