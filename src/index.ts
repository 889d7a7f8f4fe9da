// `import { ... } from 'tollgate'`: the library entry. The engine runs a request and yields its
// record with no HTTP; the gateway is the engine behind an HTTP server; the simulator is the
// wire-exact stand-in for the providers.

export { startGateway, type RunningGateway, type GatewayOptions } from './server/gateway.js';
export { createEngine, createContext, Pricing, type Engine, type EngineDeps, type RequestRun, type Outcome } from './engine/index.js';
export { resolveConfig, loadConfigFile, ConfigError, type LoadedConfig } from './config/load.js';
export { demoConfig } from './config/demo.js';
export { startSimulator, type SimulatorOptions, type SimulatorHandle } from './sim/index.js';
export { openLedger, type Ledger } from './ledger/ledger.js';
export { createMemoryLedger, type MemoryLedger } from './ledger/memory-ledger.js';
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
