// Calendar-aligned budget periods in a time zone: the day or month `now` falls in, as a label for
// the counter key ("2026-12-03", "2026-12") and its start and end instants. The zone's offset comes
// from Intl (DST-correct); each zone's current period is kept until it ends, so the hot path pays
// one comparison.

import type { BudgetPeriod } from './config.js';

export interface PeriodWindow {
  readonly label: string;
  /** epoch ms of the period's first instant */
  readonly startMs: number;
  /** epoch ms of the next period's first instant (the reset time) */
  readonly endMs: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(tz, f);
  }
  return f;
}

/** the wall clock in `tz` at `t`: [year, month 1-12, day, hour, minute, second] */
function wall(tz: string, t: number): [number, number, number, number, number, number] {
  const p: Record<string, number> = {};
  for (const part of formatFor(tz).formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return [p.year!, p.month!, p.day!, p.hour! % 24, p.minute!, p.second!];
}

/** how far `tz`'s wall clock is ahead of UTC at `t`, ms */
function offsetAt(tz: string, t: number): number {
  const [y, mo, d, h, mi, s] = wall(tz, t);
  return Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(t / 1000) * 1000;
}

/** the instant `tz`'s wall clock reads midnight of y-mo-d (mo may overflow: Date.UTC normalises) */
function midnight(tz: string, y: number, mo: number, d: number): number {
  const asUtc = Date.UTC(y, mo - 1, d);
  let t = asUtc - offsetAt(tz, asUtc);
  // a second pass settles DST changes between the guess and the answer
  t = asUtc - offsetAt(tz, t);
  return t;
}

const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

export function periodAt(period: BudgetPeriod, tz: string, now: number): PeriodWindow {
  const [y, mo, d] = wall(tz, now);
  if (period === 'day') return { label: `${y}-${pad(mo)}-${pad(d)}`, startMs: midnight(tz, y, mo, d), endMs: midnight(tz, y, mo, d + 1) };
  return { label: `${y}-${pad(mo)}`, startMs: midnight(tz, y, mo, 1), endMs: midnight(tz, y, mo + 1, 1) };
}

/** the current period of each (period, zone), recomputed only once it has ended */
export class PeriodClock {
  private readonly current = new Map<string, PeriodWindow>();

  at(period: BudgetPeriod, tz: string, now: number): PeriodWindow {
    const k = `${period}|${tz}`;
    const w = this.current.get(k);
    if (w && now >= w.startMs && now < w.endMs) return w;
    const next = periodAt(period, tz, now);
    this.current.set(k, next);
    return next;
  }
}
