// Cost of one request from canonical (disjoint-bucket) usage and a resolved model price.
//
// Exactness: every rate (USD per 1M tokens) is turned into an integer number of nano-dollars per 1M
// tokens, so tokens x rate is an exact integer in units of 1e-15 USD (BigInt: no overflow at any
// size). The batch multiplier is applied as integer basis points. Each figure is then converted to a
// JS number ONCE, from its exact decimal string, so it is the double nearest the exact value: no
// floating dust accumulates (3 tokens of gpt-4o-mini at $0.15/M is exactly 0.00000045, not
// 4.4999999999999996e-7). totalUsd is the exact sum converted once, so it can differ from the float
// sum of the parts in the last bit. Rates with more than 9 decimals are rounded to the nano-dollar.
// No rounding to cents happens here: sums (ledger, budgets) should add these exact figures.
import type { Usage } from './canonical.js';
import type { ModelPrice, PriceRates } from './prices/types.js';

export interface CostBreakdown {
  totalUsd: number;
  /** uncached input tokens */
  inputUsd: number;
  cacheReadUsd: number;
  /** 5-minute and 1-hour cache writes */
  cacheWriteUsd: number;
  /** output tokens, reasoning included */
  outputUsd: number;
}

export interface CostOptions {
  /** the request ran through the vendor's Batch API: price.batchDiscount comes off every bucket */
  batch?: boolean;
}

/** 1e-15 USD per (token x nano-USD-per-1M-tokens); see the header. */
const TOKEN_RATE_SCALE = 15;
const BASIS_POINTS = 10_000n;
const BP_DIGITS = 4;

/** Tokens are counts: anything non-finite or negative (a bad subtraction upstream) counts as zero. */
function tokens(n: number | undefined): bigint {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? BigInt(Math.round(n)) : 0n;
}

function nanoRate(usdPerMTok: number | undefined): bigint {
  return typeof usdPerMTok === 'number' && Number.isFinite(usdPerMTok) && usdPerMTok > 0 ? BigInt(Math.round(usdPerMTok * 1e9)) : 0n;
}

/** exact integer `units` x 10^-scale -> the nearest double, via its decimal string */
function toUsd(units: bigint, scale: number): number {
  if (units === 0n) return 0;
  const s = units.toString().padStart(scale + 1, '0');
  return Number(`${s.slice(0, -scale)}.${s.slice(-scale)}`);
}

/** The rates for a request: the highest long-context tier whose threshold total input exceeds. */
export function ratesFor(price: ModelPrice, totalInputTokens: number): PriceRates {
  let rates: PriceRates = price;
  for (const tier of price.tiers) if (totalInputTokens > tier.aboveInputTokens) rates = tier;
  return rates;
}

export function costOf(usage: Usage, price: ModelPrice, opts: CostOptions = {}): CostBreakdown {
  return costOfSafeIntegers(usage, price, opts) ?? costOfExact(usage, price, opts);
}

const tokenCount = (n: number | undefined): number => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.round(n) : 0);
const nanoRateOf = (usdPerMTok: number | undefined): number => (typeof usdPerMTok === 'number' && Number.isFinite(usdPerMTok) && usdPerMTok > 0 ? Math.round(usdPerMTok * 1e9) : 0);
const SCALE_NO_BATCH = 1e15;
const SCALE_BATCH = 1e19;

/**
 * The same figures as costOfExact, in doubles, when every product and sum is an integer below
 * 2^53 (without the batch discount: each bucket under ~$9; with it, under ~$0.001, so batch
 * figures mostly take the BigInt path); undefined otherwise.
 * Then each integer is exact, 10^15 and 10^19 are exact doubles, and IEEE division rounds the
 * exact quotient to the nearest double, the same double Number() gives for its decimal string:
 * so the result is identical bit for bit, without the BigInts and strings (a tenth of replay's
 * time). test/core/cost-fast-path.test.ts checks the two paths agree.
 */
export function costOfSafeIntegers(usage: Usage, price: ModelPrice, opts: CostOptions = {}): CostBreakdown | undefined {
  const input = tokenCount(usage.input);
  const cacheRead = tokenCount(usage.cacheRead);
  const write5m = tokenCount(usage.cacheWrite5m);
  const write1h = tokenCount(usage.cacheWrite1h);
  const output = tokenCount(usage.output);
  let reasoning = tokenCount(usage.reasoning);
  if (reasoning > output) reasoning = output;
  const totalInput = input + cacheRead + write5m + write1h;
  if (!Number.isSafeInteger(totalInput) || !Number.isSafeInteger(output)) return undefined;
  const rates = ratesFor(price, totalInput);
  const inputUnits = input * nanoRateOf(rates.input);
  const cacheReadUnits = cacheRead * nanoRateOf(rates.cacheRead);
  const write5mUnits = write5m * nanoRateOf(rates.cacheWrite5m);
  const write1hUnits = write1h * nanoRateOf(rates.cacheWrite1h);
  const outputUnits = rates.reasoning === undefined ? output * nanoRateOf(rates.output) : (output - reasoning) * nanoRateOf(rates.output);
  const reasoningUnits = rates.reasoning === undefined ? 0 : reasoning * nanoRateOf(rates.reasoning);
  let multiplier = 1;
  let scale = SCALE_NO_BATCH;
  if (opts.batch && price.batchDiscount > 0) {
    multiplier = Number(BASIS_POINTS) - Math.round(Math.min(price.batchDiscount, 1) * Number(BASIS_POINTS));
    scale = SCALE_BATCH;
  }
  const i = inputUnits * multiplier;
  const r = cacheReadUnits * multiplier;
  const w = (write5mUnits + write1hUnits) * multiplier;
  const o = (outputUnits + reasoningUnits) * multiplier;
  const total = i + r + w + o;
  // all are non-negative integers: a product or sum past 2^53 comes out >= 2^53, never back under it
  if (
    !Number.isSafeInteger(total) ||
    !Number.isSafeInteger(r) ||
    !Number.isSafeInteger(inputUnits) ||
    !Number.isSafeInteger(cacheReadUnits) ||
    !Number.isSafeInteger(write5mUnits) ||
    !Number.isSafeInteger(write1hUnits) ||
    !Number.isSafeInteger(outputUnits) ||
    !Number.isSafeInteger(reasoningUnits) ||
    !Number.isSafeInteger(i) ||
    !Number.isSafeInteger(w) ||
    !Number.isSafeInteger(o)
  )
    return undefined;
  return { totalUsd: total / scale, inputUsd: i / scale, cacheReadUsd: r / scale, cacheWriteUsd: w / scale, outputUsd: o / scale };
}

/** costOf with BigInts: exact at any size (see the header) */
export function costOfExact(usage: Usage, price: ModelPrice, opts: CostOptions = {}): CostBreakdown {
  const input = tokens(usage.input);
  const cacheRead = tokens(usage.cacheRead);
  const write5m = tokens(usage.cacheWrite5m);
  const write1h = tokens(usage.cacheWrite1h);
  const output = tokens(usage.output);
  let reasoning = tokens(usage.reasoning);
  if (reasoning > output) reasoning = output;

  // Long-context tiers count every input token sent, cached or not (Anthropic, Gemini).
  const rates = ratesFor(price, Number(input + cacheRead + write5m + write1h));

  const inputUnits = input * nanoRate(rates.input);
  const cacheReadUnits = cacheRead * nanoRate(rates.cacheRead);
  const cacheWriteUnits = write5m * nanoRate(rates.cacheWrite5m) + write1h * nanoRate(rates.cacheWrite1h);
  // Output includes reasoning; reasoning moves to its own rate only where the vendor prices it apart.
  const outputUnits =
    rates.reasoning === undefined
      ? output * nanoRate(rates.output)
      : (output - reasoning) * nanoRate(rates.output) + reasoning * nanoRate(rates.reasoning);

  let multiplier = BASIS_POINTS;
  if (opts.batch && price.batchDiscount > 0) {
    multiplier = BASIS_POINTS - BigInt(Math.round(Math.min(price.batchDiscount, 1) * Number(BASIS_POINTS)));
  }
  const scale = TOKEN_RATE_SCALE + BP_DIGITS;
  const parts = [inputUnits, cacheReadUnits, cacheWriteUnits, outputUnits].map((u) => u * multiplier);
  const [i, r, w, o] = parts as [bigint, bigint, bigint, bigint];
  return {
    totalUsd: toUsd(i + r + w + o, scale),
    inputUsd: toUsd(i, scale),
    cacheReadUsd: toUsd(r, scale),
    cacheWriteUsd: toUsd(w, scale),
    outputUsd: toUsd(o, scale),
  };
}
