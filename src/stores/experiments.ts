// The experiment store contract: each experiment's definition and state, replaced whole by name.
// Implementations: memory/experiment-store.ts, sqlite/experiment-store.ts; both run
// test/contracts/experiments.contract.ts. The share in force and its history are flags (the flag
// store's audit log), not here.

import type { Experiment } from '../experiments/model.js';
import type { Awaitable } from './types.js';

export interface ExperimentStore {
  list(): Awaitable<Experiment[]>;
  put(e: Experiment): Awaitable<void>;
  close(): Awaitable<void>;
}
