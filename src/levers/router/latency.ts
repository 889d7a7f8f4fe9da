// Live latency per upstream model from ledger records: a time-bounded ring of samples per model,
// percentiles computed lazily and cached until a new sample lands or the oldest one expires, so a
// routing decision reads a number instead of sorting.

export interface LatencySample {
  at: number;
  ttftMs?: number;
  e2eMs: number;
}

export interface LatencySnapshot {
  samples: number;
  ttftP95?: number;
  e2eP95?: number;
  e2eP50?: number;
  /** arbitrary percentile of e2e when asked */
  e2e(p: number): number | undefined;
}

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  // nearest-rank
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

class ModelWindow {
  private readonly ring: LatencySample[] = [];
  private head = 0;
  /** per window length (routes may use different SLO windows) */
  private readonly cached = new Map<number, { expiresAt: number; snap: LatencySnapshot }>();

  constructor(private readonly capacity: number) {}

  add(s: LatencySample): void {
    if (this.ring.length < this.capacity) this.ring.push(s);
    else {
      this.ring[this.head] = s;
      this.head = (this.head + 1) % this.capacity;
    }
    this.cached.clear();
  }

  snapshot(now: number, windowMs: number): LatencySnapshot {
    const c = this.cached.get(windowMs);
    if (c && now < c.expiresAt) return c.snap;
    const from = now - windowMs;
    const ttft: number[] = [];
    const e2e: number[] = [];
    let oldest = Infinity;
    for (const s of this.ring) {
      if (s.at < from) continue;
      if (s.at < oldest) oldest = s.at;
      e2e.push(s.e2eMs);
      if (s.ttftMs !== undefined) ttft.push(s.ttftMs);
    }
    ttft.sort((a, b) => a - b);
    e2e.sort((a, b) => a - b);
    const snap: LatencySnapshot = {
      samples: e2e.length,
      ttftP95: percentile(ttft, 95),
      e2eP95: percentile(e2e, 95),
      e2eP50: percentile(e2e, 50),
      e2e: (p) => percentile(e2e, p),
    };
    // valid until the oldest sample in the window expires (or a new sample arrives)
    this.cached.set(windowMs, { expiresAt: oldest === Infinity ? Infinity : oldest + windowMs, snap });
    return snap;
  }
}

export class LatencyTracker {
  private readonly models = new Map<string, ModelWindow>();

  /** samples older than maxWindowMs are never asked for; capacity bounds memory per model */
  constructor(
    readonly defaultWindowMs: number,
    private readonly capacity = 512,
  ) {}

  static key(provider: string, model: string): string {
    return `${provider}/${model}`;
  }

  add(provider: string, model: string, sample: LatencySample): void {
    const k = LatencyTracker.key(provider, model);
    let w = this.models.get(k);
    if (!w) this.models.set(k, (w = new ModelWindow(this.capacity)));
    w.add(sample);
  }

  snapshot(provider: string, model: string, now: number, windowMs = this.defaultWindowMs): LatencySnapshot | undefined {
    return this.models.get(LatencyTracker.key(provider, model))?.snapshot(now, windowMs);
  }
}
