// The engine's public face: run a request and get its record, with no HTTP.
export { createEngine, type Engine, type EngineDeps, type RequestRun } from './engine.js';
export { createContext, newRequestId, clientGone, type RequestMeta } from './context.js';
export type { Outcome } from './outcome.js';
export { Pricing } from './pricing.js';
export { buildRecord, costOfAttempts } from './record.js';
export { now } from './clock.js';
