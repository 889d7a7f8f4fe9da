// Lever quality state in memory (tests, the library entry).

import type { LeverQualityState, QualityStore } from '../quality.js';

export class MemoryQualityStore implements QualityStore {
  private readonly byKey = new Map<string, LeverQualityState>();

  list(): LeverQualityState[] {
    return [...this.byKey.values()].map((s) => structuredClone(s));
  }

  put(s: LeverQualityState): void {
    this.byKey.set(`${s.lever}\u0000${s.name}`, structuredClone(s));
  }

  close(): void {}
}
