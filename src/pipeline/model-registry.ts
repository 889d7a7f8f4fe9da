// Which names clients may ask for, and where each goes: real models (config `models:`) and routes
// (config `routes:`, resolved by the router stage).

import type { ModelEntry } from '../config/schema.js';
import type { Target } from './stage.js';

export interface ResolvedModel {
  target: Target;
  /** where the catalog prices this model; provider undefined = any provider that lists the model */
  price: { provider?: string; model: string };
  timeoutMs?: number;
}

export class ModelRegistry {
  private readonly models = new Map<string, ResolvedModel>();
  private readonly routes: ReadonlySet<string>;

  constructor(entries: readonly ModelEntry[], routeNames: Iterable<string>) {
    for (const m of entries) {
      const upstream = m.model ?? m.name;
      this.models.set(m.name, {
        target: { provider: m.provider, model: upstream },
        price: m.price ?? { model: upstream },
        timeoutMs: m.timeoutMs,
      });
    }
    this.routes = new Set(routeNames);
  }

  resolve(name: string): ResolvedModel | undefined {
    return this.models.get(name);
  }

  /** the price key for an upstream target (which may have been picked by the router) */
  priceKeyOf(target: Target): { provider?: string; model: string } {
    for (const m of this.models.values()) {
      if (m.target.provider === target.provider && m.target.model === target.model) return m.price;
    }
    return { model: target.model };
  }

  isRoute(name: string): boolean {
    return this.routes.has(name);
  }

  modelNames(): string[] {
    return [...this.models.keys()];
  }

  routeNames(): string[] {
    return [...this.routes];
  }
}
