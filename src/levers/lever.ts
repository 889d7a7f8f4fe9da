// What a lever is to the gateway: one folder with a `lever.ts` exporting a `Lever` definition, listed
// once in registry.ts. The engine builds the pipeline from `config.pipeline` through the registry,
// and the config's references pass runs each lever's `check`; nothing else needs to know a lever
// exists.

import type { ChatRequest } from '../core/canonical.js';
import type { ConfigChecker } from '../config/issues.js';
import type { LoadedConfig } from '../config/load.js';
import type { OwnCalls } from '../engine/own-calls.js';
import type { ModelRegistry } from '../pipeline/model-registry.js';
import type { CostOf, Stage } from '../pipeline/stage.js';
import type { ProviderAdapter } from '../providers/contract.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import type { SyncLoadCachePersistence } from '../stores/cache-persistence.js';

/** What a lever may use to build its stage: no HTTP, no ledger writes (records come via onRecord). */
export interface LeverDeps {
  dataDir: string;
  costOf: CostOf;
  registry: ModelRegistry;
  providers: ReadonlyMap<string, ProviderAdapter>;
  metrics: GatewayMetrics;
  /** the gateway's own calls (a verifier, an embedder): recorded as attempts with a purpose */
  own: OwnCalls;
  /** stores chosen by whoever embeds the engine (the SDK: memory ones) instead of the SQLite defaults */
  stores?: LeverStores;
  /**
   * How a lever counts a request's input tokens (default: the local tokenizer, core/tokens.ts).
   * Replay passes the recorded counts of prompts it synthesised, which the tokenizer cannot know.
   */
  estimateInputTokens?: (req: ChatRequest) => number;
}

export interface LeverStores {
  /** where the response cache persists its entries (default: SQLite in the data directory) */
  cachePersistence?: SyncLoadCachePersistence;
}

export interface Lever {
  /** the name `pipeline:` lists */
  readonly name: string;
  /** the config section it reads (documentation and the references pass) */
  readonly configSection?: string;
  /** levers that must come before / after this one in the pipeline when both are present */
  readonly after?: readonly string[];
  readonly before?: readonly string[];
  /** must be the last stage (it makes the upstream call through next()) */
  readonly last?: boolean;
  /** the references pass for its config section (models it names, files it loads), run at start-up */
  readonly check?: ConfigChecker;
  /** builds the stage; implementations are imported here, so the registry itself stays light */
  create(config: LoadedConfig, deps: LeverDeps): Promise<Stage>;
}
