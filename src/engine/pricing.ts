// What a usage costs on a target, from the versioned price catalog, and the counterfactual
// baseline: what the caller would have paid without the gateway.

import type { Usage } from '../core/canonical.js';
import { costOf as priceUsage } from '../core/cost.js';
import type { ModelPrice, PriceCatalog } from '../core/prices/catalog.js';
import type { ModelRegistry } from '../pipeline/model-registry.js';
import type { Target } from '../pipeline/stage.js';

/** price lookups resolve aliases and effective dates: each target's price is kept for a minute */
const PRICE_MEMO_MS = 60_000;

export class Pricing {
  /** provider -> model -> price (two levels: no key string made per lookup, which is per attempt) */
  private readonly memo = new Map<string, Map<string, { price: ModelPrice | undefined; until: number }>>();

  constructor(
    readonly catalog: PriceCatalog,
    private readonly registry: ModelRegistry,
  ) {}

  priceOf(target: Target): ModelPrice | undefined {
    const t = Date.now();
    let byModel = this.memo.get(target.provider);
    if (!byModel) this.memo.set(target.provider, (byModel = new Map()));
    const hit = byModel.get(target.model);
    if (hit && hit.until > t) return hit.price;
    const key = this.registry.priceKeyOf(target);
    const price = key.provider ? this.catalog.lookup(key.provider, key.model) : this.catalog.lookupModel(key.model);
    byModel.set(target.model, { price, until: t + PRICE_MEMO_MS });
    return price;
  }

  /** USD for `usage` on `target`; 0 for a model the catalog does not price */
  costOf(target: Target, usage: Usage): number {
    const price = this.priceOf(target);
    return price ? priceUsage(usage, price).totalUsd : 0;
  }

  /** the price of a model or route name as the registry resolves it (a route: its first target); undefined when unknown */
  priceOfName(name: string): ModelPrice | undefined {
    const resolved = this.registry.resolve(name);
    return resolved ? this.priceOf(resolved.target) : undefined;
  }

  /** a bound `costOf`, for levers that take a function */
  readonly cost = (target: Target, usage: Usage): number => this.costOf(target, usage);

  /**
   * The baseline policy: the model the caller asked for (or the route's baseline model), no gateway
   * cache. A cache hit's baseline is the answer's price (what it saved); a request answered by
   * another model is repriced on the baseline model with the usage it had; otherwise it is the
   * answer alone, without failed tries and the gateway's own calls. A trimmed request's baseline is
   * the request as sent by the client: the removed input tokens are priced back in.
   */
  baseline(b: BaselineInput): { baselineModel: string; baselineCostUsd: number } {
    if (b.cacheHit) return { baselineModel: b.baselineModel ?? b.model ?? b.requestedModel, baselineCostUsd: b.savedCostUsd ?? 0 };
    const baselineModel = b.baselineModel ?? b.requestedModel;
    const resolved = this.registry.resolve(baselineModel);
    const trimmed = b.trimmedInputTokens ?? 0;
    if (resolved && (resolved.target.model !== b.model || resolved.target.provider !== b.provider)) {
      return { baselineModel, baselineCostUsd: this.costOf(resolved.target, trimmed > 0 ? { ...b.usage, input: b.usage.input + trimmed } : b.usage) };
    }
    // the untrimmed request: the tokens the trim lever removed, at the input price of the model that ran
    const ran = resolved?.target ?? (b.provider && b.model ? { provider: b.provider, model: b.model } : undefined);
    const removedUsd = trimmed > 0 && ran ? this.costOf(ran, { ...b.usage, input: b.usage.input + trimmed }) - this.costOf(ran, b.usage) : 0;
    return { baselineModel, baselineCostUsd: b.answerCostUsd + removedUsd };
  }
}

export interface BaselineInput {
  cacheHit: boolean;
  savedCostUsd?: number;
  baselineModel?: string;
  requestedModel: string;
  provider?: string;
  model?: string;
  usage: Usage;
  /** what the served answer cost (no failed tries, no own calls) */
  answerCostUsd: number;
  /** input tokens the trim lever removed: the baseline is the untrimmed request */
  trimmedInputTokens?: number;
}
