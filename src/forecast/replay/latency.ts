// Predicted latency in price-only mode: no upstream is called, so time comes from a model of each
// upstream (queue wait + time to first token + prefill per uncached input token + decode at its
// speed: the simulator's published per-model figures, src/sim/settings.ts) plus the arrival-time
// effects the trace's timestamps produce: a model's requests-per-minute limit makes later arrivals
// wait. Percentiles come from a bounded log histogram (1% buckets), whatever the number of requests.

import type { Usage } from '../../core/canonical.js';
import { defaultModels, type SimModelSettings } from '../../sim/settings.js';

type LatencyParams = Pick<SimModelSettings, 'queueMs' | 'ttftBaseMs' | 'prefillMsPerToken' | 'tokensPerSec' | 'requestsPerMin'>;

/** an upstream the simulator does not know: a mid-range model */
const FALLBACK: LatencyParams = { queueMs: 20, ttftBaseMs: 500, prefillMsPerToken: 0.05, tokensPerSec: 80, requestsPerMin: 10_000 };
/** a cache hit answers from the gateway's own memory */
export const CACHE_HIT_MS = 1;
const WINDOW_MS = 60_000;

export class LatencyModel {
  private readonly params = new Map<string, LatencyParams>();
  /** per model, arrival times in the last minute (at most requestsPerMin of them) */
  private readonly windows = new Map<string, { times: Float64Array; head: number; size: number }>();
  queuedRequests = 0;

  constructor(overrides: Record<string, Partial<LatencyParams>> = {}) {
    for (const m of defaultModels()) {
      if (m.kind !== 'chat') continue;
      for (const id of [m.id, ...m.aliases]) this.params.set(id, m.settings);
    }
    for (const [id, o] of Object.entries(overrides)) this.params.set(id, { ...(this.params.get(id) ?? FALLBACK), ...o });
  }

  paramsOf(model: string): LatencyParams {
    return this.params.get(model) ?? this.params.get(model.replace(/-\d{8}$/, '')) ?? FALLBACK;
  }

  /** ms from arrival to the last token, with the wait a full rate-limit window imposes */
  latency(model: string, usage: Usage, at: number): { latencyMs: number; ttftMs: number; waitMs: number } {
    const p = this.paramsOf(model);
    const waitMs = this.admit(model, p.requestsPerMin, at);
    const ttftMs = waitMs + p.queueMs + p.ttftBaseMs + p.prefillMsPerToken * (usage.input + usage.cacheWrite5m + usage.cacheWrite1h);
    return { ttftMs, latencyMs: ttftMs + (usage.output / p.tokensPerSec) * 1000, waitMs };
  }

  /** sliding one-minute window: a request beyond the limit starts when the oldest one leaves it */
  private admit(model: string, rpm: number, at: number): number {
    let w = this.windows.get(model);
    if (!w) this.windows.set(model, (w = { times: new Float64Array(Math.max(1, rpm)), head: 0, size: 0 }));
    const cap = w.times.length;
    while (w.size > 0 && w.times[w.head]! <= at - WINDOW_MS) {
      w.head = (w.head + 1) % cap;
      w.size--;
    }
    let start = at;
    if (w.size >= cap) {
      start = w.times[w.head]! + WINDOW_MS;
      w.head = (w.head + 1) % cap;
      w.size--;
      this.queuedRequests++;
    }
    w.times[(w.head + w.size) % cap] = start;
    w.size++;
    return start - at;
  }
}

/** log-bucket histogram: 1% relative precision, a few thousand buckets at most */
export class Histogram {
  /** count per bucket, by index (buckets 0..~2,300 cover 1 ms to 10^10 ms); a Map was a hash per add */
  private dense = new Float64Array(2048);
  /** buckets past the array (or not a finite number), kept as before */
  private readonly other = new Map<number, number>();
  n = 0;
  private static readonly BASE = Math.log(1.01);
  private static readonly MAX_DENSE = 1 << 16;
  add(ms: number): void {
    const b = ms <= 1 ? 0 : Math.ceil(Math.log(ms) / Histogram.BASE);
    if (b >= 0 && b < Histogram.MAX_DENSE) {
      if (b >= this.dense.length) {
        const grown = new Float64Array(Math.min(Histogram.MAX_DENSE, Math.max(b + 1, this.dense.length * 2)));
        grown.set(this.dense);
        this.dense = grown;
      }
      this.dense[b]!++;
    } else this.other.set(b, (this.other.get(b) ?? 0) + 1);
    this.n++;
  }
  /** nearest rank, reported as the bucket's upper bound */
  percentile(p: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil((this.n * p) / 100));
    const buckets: number[] = [...this.other.keys()];
    for (let b = 0; b < this.dense.length; b++) if (this.dense[b]! > 0) buckets.push(b);
    let seen = 0;
    for (const b of buckets.sort((a, c) => a - c)) {
      seen += b >= 0 && b < this.dense.length && Number.isInteger(b) ? this.dense[b]! : this.other.get(b)!;
      if (seen >= rank) return b === 0 ? 1 : Math.round(Math.exp(b * Histogram.BASE) * 10) / 10;
    }
    return 0;
  }
}
