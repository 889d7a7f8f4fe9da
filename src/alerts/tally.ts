// Spend per session and per user over the last day, for the rules the rollups cannot answer (they
// are kept by model, route, team, key, status, cache status and variant; sessions and users are
// too many to be dimensions). Fed with each finished record; minute buckets; bounded in keys, so a
// client inventing a session per request cannot grow it without limit (the oldest minutes go first).

import type { RequestRecord } from '../ledger/record.js';
import { TALLY_RETENTION_MS } from './config.js';

const MINUTE = 60_000;
/** (minute, session or user) entries kept, at most */
export const TALLY_MAX_ENTRIES = 200_000;

interface Minute {
  sessions: Map<string, { cost: number; user?: string }>;
  users: Map<string, number>;
}

export class SpendTally {
  private readonly minutes = new Map<number, Minute>();
  private entries = 0;
  /** minutes dropped early to keep the bound */
  dropped = 0;

  constructor(private readonly maxEntries = TALLY_MAX_ENTRIES) {}

  add(rec: RequestRecord): void {
    const cost = typeof rec.costUsd === 'number' && Number.isFinite(rec.costUsd) ? rec.costUsd : 0;
    if (cost === 0 || (!rec.session && !rec.user)) return;
    const m = Math.floor(rec.receivedAt / MINUTE) * MINUTE;
    let b = this.minutes.get(m);
    if (!b) {
      this.minutes.set(m, (b = { sessions: new Map(), users: new Map() }));
      this.prune(m);
    }
    if (rec.session) {
      const s = b.sessions.get(rec.session);
      if (s) s.cost += cost;
      else {
        b.sessions.set(rec.session, { cost, user: rec.user });
        this.entries++;
      }
    }
    if (rec.user) {
      const u = b.users.get(rec.user);
      if (u === undefined) this.entries++;
      b.users.set(rec.user, (u ?? 0) + cost);
    }
    while (this.entries > this.maxEntries && this.minutes.size > 1) this.dropOldest();
  }

  /** a user's spend in [from, to) */
  userSpend(user: string, from: number, to: number): number {
    let s = 0;
    for (const [m, b] of this.minutes) if (m >= from - MINUTE && m < to) s += b.users.get(user) ?? 0;
    return s;
  }

  /** the costliest session in [from, to) (of one user when given) */
  topSession(from: number, to: number, user?: string): { session: string; costUsd: number; user?: string } | undefined {
    const sums = new Map<string, { cost: number; user?: string }>();
    for (const [m, b] of this.minutes) {
      if (m < from - MINUTE || m >= to) continue;
      for (const [id, s] of b.sessions) {
        if (user !== undefined && s.user !== user) continue;
        const t = sums.get(id);
        if (t) t.cost += s.cost;
        else sums.set(id, { cost: s.cost, user: s.user });
      }
    }
    let best: { session: string; costUsd: number; user?: string } | undefined;
    for (const [id, s] of sums) if (!best || s.cost > best.costUsd) best = { session: id, costUsd: s.cost, user: s.user };
    return best;
  }

  private prune(newest: number): void {
    for (const m of this.minutes.keys()) if (m < newest - TALLY_RETENTION_MS - MINUTE) this.drop(m);
  }

  private dropOldest(): void {
    let oldest = Infinity;
    for (const m of this.minutes.keys()) if (m < oldest) oldest = m;
    this.drop(oldest);
    this.dropped++;
  }

  private drop(m: number): void {
    const b = this.minutes.get(m);
    if (!b) return;
    this.entries -= b.sessions.size + b.users.size;
    this.minutes.delete(m);
  }
}
