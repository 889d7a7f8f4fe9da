// `import { ... } from 'tollgate/engine'`: the engine without the server, the SQLite stores or any
// native module (better-sqlite3, hnswlib-node are optional dependencies, needed by the gateway's
// embedded stores and the semantic index). Requests run in process and their records go to a
// memory ledger (or any Ledger you pass).

export { createEngine, createContext, Pricing, type Engine, type EngineDeps, type RequestRun, type Outcome } from './engine/index.js';
export { createMemoryLedger, type MemoryLedger } from './ledger/memory-ledger.js';
export { MemoryCachePersistence } from './stores/memory/cache-persistence.js';
export { resolveConfig, ConfigError, type LoadedConfig } from './config/load.js';
export { GatewayMetrics } from './telemetry/metrics.js';
export { LEVERS, type Lever, type LeverDeps } from './levers/index.js';
export { registerProviderKind, registerWireCodec, codecFor, createProvider } from './providers/registry.js';
export { PriceCatalog } from './core/prices/catalog.js';
export { costOf } from './core/cost.js';
export { GatewayError, UpstreamError, AllAttemptsFailedError } from './core/errors.js';
export type { ChatRequest, ChatResponse, Usage, StreamEvent, WireFormat } from './core/canonical.js';
export type { RequestRecord, AttemptRecord, TrailEntry } from './ledger/record.js';
export type { Stage, GatewayContext, ChatResult, Next, Caller, Target } from './pipeline/stage.js';
export type { ProviderAdapter, CallOptions, UpstreamResult } from './providers/contract.js';
export type { Ledger } from './ledger/ledger.js';
