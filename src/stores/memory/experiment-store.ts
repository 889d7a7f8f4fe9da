// Experiments in memory (tests, the library entry).

import type { Experiment } from '../../experiments/model.js';
import type { ExperimentStore } from '../experiments.js';

export class MemoryExperimentStore implements ExperimentStore {
  private readonly byName = new Map<string, Experiment>();

  list(): Experiment[] {
    return [...this.byName.values()].map((e) => structuredClone(e));
  }

  put(e: Experiment): void {
    this.byName.set(e.def.name, structuredClone(e));
  }

  close(): void {}
}
