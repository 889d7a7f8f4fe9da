// The simulator's mutable state: models and their live settings, the prompt cache, per-model rate
// windows, the run's random stream (latency jitter, fault draws) and counters.

import { PromptCache } from './prompt-cache.js';
import { RateWindow } from './http-io.js';
import { Rng } from './random.js';
import { DEFAULT_THINKING_KEY } from './thinking.js';
import { defaultModels, type SimModelInfo, type SimModelSettings } from './settings.js';

export interface SimStats {
  requests: Record<string, number>;
  faults: Record<string, number>;
}

/** a request body the simulator received, as bytes on the wire (for tests of what a gateway sends) */
export interface ReceivedRequest {
  path: string;
  /** the protocol headers that change meaning (never auth headers) */
  headers: Record<string, string>;
  body: string;
}

/** received requests kept, newest last; bodies past RECEIVED_BODY_CHARS are cut */
export const RECEIVED_LIMIT = 64;
export const RECEIVED_BODY_CHARS = 256 * 1024;
const KEPT_HEADERS = ['anthropic-version', 'anthropic-beta', 'content-type'];

export class SimState {
  received: ReceivedRequest[] = [];
  readonly models = new Map<string, SimModelInfo>();
  private readonly byName = new Map<string, SimModelInfo>();
  readonly cache = new PromptCache();
  readonly windows = new Map<string, RateWindow>();
  rng: Rng;
  /** the key thinking blocks are signed with (another key: another provider's signatures) */
  thinkingKey = DEFAULT_THINKING_KEY;
  latencyScale: number;
  enforceRateLimits: boolean;
  /** answer quality on (quality.ts): answers end with a right or wrong final answer; judge prompts are scored */
  quality: boolean;
  stats: SimStats = { requests: {}, faults: {} };

  constructor(
    readonly seed: number,
    private readonly initialLatencyScale: number,
    private readonly overrides: Record<string, Partial<SimModelSettings>> = {},
    private readonly initialEnforce = false,
    private readonly initialQuality = false,
  ) {
    this.latencyScale = initialLatencyScale;
    this.enforceRateLimits = initialEnforce;
    this.quality = initialQuality;
    this.rng = new Rng(seed ^ 0x5eed);
    this.load();
  }

  private load(): void {
    this.models.clear();
    this.byName.clear();
    for (const m of defaultModels()) {
      const o = this.overrides[m.id];
      if (o) m.settings = { ...m.settings, ...o };
      this.models.set(m.id, m);
      this.byName.set(m.id, m);
      for (const a of m.aliases) this.byName.set(a, m);
    }
    for (const name of Object.keys(this.overrides)) {
      if (!this.byName.has(name)) throw new Error(`simulator: no model named '${name}' to configure (known: ${[...this.models.keys()].join(', ')})`);
    }
  }

  resolve(name: string): SimModelInfo | undefined {
    return this.byName.get(name);
  }

  window(model: string): RateWindow {
    let w = this.windows.get(model);
    if (!w) this.windows.set(model, (w = new RateWindow()));
    return w;
  }

  receive(path: string, headers: Record<string, string | string[] | undefined>, body: string): void {
    const kept: Record<string, string> = {};
    for (const h of KEPT_HEADERS) if (typeof headers[h] === 'string') kept[h] = headers[h] as string;
    this.received.push({ path, headers: kept, body: body.length > RECEIVED_BODY_CHARS ? body.slice(0, RECEIVED_BODY_CHARS) : body });
    if (this.received.length > RECEIVED_LIMIT) this.received.shift();
  }

  count(kind: 'requests' | 'faults', key: string): void {
    this.stats[kind][key] = (this.stats[kind][key] ?? 0) + 1;
  }

  /** back to the settings the simulator started with; caches, windows and counters emptied */
  reset(): void {
    this.load();
    this.cache.clear();
    this.windows.clear();
    this.rng = new Rng(this.seed ^ 0x5eed);
    this.latencyScale = this.initialLatencyScale;
    this.enforceRateLimits = this.initialEnforce;
    this.quality = this.initialQuality;
    this.stats = { requests: {}, faults: {} };
    this.received = [];
  }
}
