// The rollup model: what one ledger record adds to the rollups, the cells it adds to, and how the
// cells merge. Pure (no I/O): the rollup stores (src/stores/*rollup*) keep the cells; the queries
// (queries.ts) read them back. Every store folds records with this file, so they agree.
//
// A cell is the sum of the records of one time bucket (a minute or an hour, by receivedAt, UTC)
// that share the values of one cube's dimensions. A cube is a set of dimensions kept together:
// the totals, each dimension alone, each dimension with `team` (a tenant admin's views), route ×
// model (where each route sends its traffic) and all seven (any other combination of filters).
// A query reads the smallest cube that has every dimension it filters or groups by, so a month
// of the dashboard's views reads thousands of cells, never the records.
//
// Prompt-cache writes never read within their TTL: a write (promptCache.writeTokens) waits in a
// bounded table by prefixHash until a read of the same prefixHash arrives before it expires
// (then it was read) or a record later than its expiry shows it was not; then its tokens and its
// premium over the plain input price are added to the cells of the write's own bucket.

import type { RequestRecord } from '../ledger/record.js';
import type { Dimension, PromptComponent, SavingsLever } from './contract.js';
import { addValue, emptyHistogram, mergeInto, type Histogram } from './histogram.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export type Grain = 'minute' | 'hour';
const GRAINS: readonly Grain[] = ['minute', 'hour'];
export const GRAIN_MS: Record<Grain, number> = { minute: MINUTE_MS, hour: HOUR_MS };

/** minute cells are kept this long behind the newest record, then pruned (hours are kept with the ledger) */
export const MINUTE_RETENTION_MS = 48 * HOUR_MS;
/** prompt-cache writes waiting to be read, at most; past it the oldest are dropped undecided */
export const PENDING_WRITES_MAX = 100_000;

export const DIMENSIONS: readonly Dimension[] = ['model', 'route', 'team', 'key', 'status', 'cacheStatus', 'variant'];
export const LEVERS: readonly SavingsLever[] = ['tiering', 'exact_cache', 'semantic_cache', 'prompt_caching', 'trimming', 'batching', 'retries', 'own_calls'];
export const COMPONENTS: readonly PromptComponent[] = ['system', 'tools', 'context', 'history', 'user'];

/** how a record with no value for a dimension is kept and shown */
export const NONE = '(none)';

/** the value a record has for a dimension ('model' is the model that ran, else the one asked for) */
export function dimensionOf(rec: RequestRecord, d: Dimension): string {
  let v: string | undefined;
  switch (d) {
    case 'model':
      v = rec.model ?? rec.requestedModel;
      break;
    case 'route':
      v = rec.route;
      break;
    case 'team':
      v = rec.team;
      break;
    case 'key':
      v = rec.keyId;
      break;
    case 'status':
      v = rec.status;
      break;
    case 'cacheStatus':
      v = rec.cacheStatus;
      break;
    case 'variant':
      v = rec.variant;
      break;
  }
  return typeof v === 'string' && v.length > 0 ? v : NONE;
}

/** The cubes, smallest first (a query takes the first that covers it). Never reorder: stored cells name their cube by index. */
export const CUBES: readonly (readonly Dimension[])[] = [
  [],
  ['status'],
  ['cacheStatus'],
  ['variant'],
  ['team'],
  ['model'],
  ['route'],
  ['key'],
  ['team', 'status'],
  ['team', 'cacheStatus'],
  ['team', 'variant'],
  ['team', 'model'],
  ['team', 'route'],
  ['route', 'model'],
  ['team', 'key'],
  DIMENSIONS,
];

/**
 * The cubes kept per minute as well as per hour: one dimension, or team and one more (a tenant
 * admin's filters). Finer minute cells would be nearly one per record; a read by minute of
 * another combination is refused (read it by hour).
 */
export const MINUTE_CUBES: readonly number[] = CUBES.flatMap((c, i) =>
  c.length <= 1 || (c.length === 2 && c[0] === 'team' && (c[1] === 'status' || c[1] === 'cacheStatus' || c[1] === 'model' || c[1] === 'route')) ? [i] : [],
);

/** the index of the smallest cube that has every dimension in `dims` (at `grain`); undefined when no minute cube has them */
export function cubeFor(dims: Iterable<Dimension>, grain: Grain = 'hour'): number | undefined {
  const need = [...new Set(dims)];
  for (let i = 0; i < CUBES.length; i++) {
    if (grain === 'minute' && !MINUTE_CUBES.includes(i)) continue;
    if (need.every((d) => CUBES[i]!.includes(d))) return i;
  }
  return undefined;
}

/** The numbers a cell sums (in this order in every store). */
export const CELL_FIELDS = [
  'requests',
  'errors',
  'aborted',
  'lookups',
  'exactHits',
  'semanticHits',
  'staleHits',
  'inputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'outputTokens',
  'reasoningTokens',
  'costUsd',
  'counterfactualUsd',
  ...LEVERS.map((l) => `saved_${l}` as const),
  'latencySumMs',
  'overheadSumMs',
  'queueSumMs',
  'ttftSumMs',
  'ttftCount',
  'generationSumMs',
  'generationCount',
  ...COMPONENTS.map((c) => `cost_${c}` as const),
  ...COMPONENTS.map((c) => `tokens_${c}` as const),
  'failedAttempts',
  'retries',
  'failedAttemptsUsd',
  'ownCalls',
  'ownCallsUsd',
  'cacheWritePremiumUsd',
  'promptCacheWriteTokens',
  'promptCacheReadTokens',
  'unreadWriteTokens',
  'unreadWriteUsd',
  'stablePrefixTokens',
  'stablePrefixInputTokens',
] as const;
export type CellField = (typeof CELL_FIELDS)[number];
export const FIELD: Record<CellField, number> = Object.fromEntries(CELL_FIELDS.map((f, i) => [f, i])) as Record<CellField, number>;
export const NUM_FIELDS = CELL_FIELDS.length;

export interface RollupCell {
  /** CELL_FIELDS, in order */
  sums: Float64Array;
  latency: Histogram;
  ttft: Histogram;
  /** dollars of the gateway's own calls by purpose */
  ownCallsUsd: Record<string, number>;
}

export function emptyCell(): RollupCell {
  return { sums: new Float64Array(NUM_FIELDS), latency: emptyHistogram(), ttft: emptyHistogram(), ownCallsUsd: {} };
}

export function mergeCell(into: RollupCell, from: RollupCell): void {
  const a = into.sums;
  const b = from.sums;
  for (let i = 0; i < NUM_FIELDS; i++) a[i]! += b[i]!;
  mergeInto(into.latency, from.latency);
  mergeInto(into.ttft, from.ttft);
  mergeUsdMap(into.ownCallsUsd, from.ownCallsUsd);
}

export function mergeUsdMap(into: Record<string, number>, from: Record<string, number>): void {
  for (const k in from) into[k] = (into[k] ?? 0) + from[k]!;
}

export function get(cell: RollupCell, f: CellField): number {
  return cell.sums[FIELD[f]]!;
}

/** What one record adds: its sums, its latency and TTFT, its own calls. */
export interface RecordFacts {
  sums: Float64Array;
  latencyMs: number;
  ttftMs?: number;
  ownCallsUsd?: Record<string, number>;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function factsOf(rec: RequestRecord): RecordFacts {
  const s = new Float64Array(NUM_FIELDS);
  const set = (f: CellField, v: number): void => {
    s[FIELD[f]] = v;
  };
  set('requests', 1);
  if (rec.status === 'error') set('errors', 1);
  if (rec.status === 'aborted') set('aborted', 1);
  const cs = rec.cacheStatus;
  if (cs === 'hit' || cs === 'semantic_hit' || cs === 'miss') set('lookups', 1);
  if (cs === 'hit') set('exactHits', 1);
  if (cs === 'semantic_hit') set('semanticHits', 1);
  if ((cs === 'hit' || cs === 'semantic_hit') && rec.trail?.some((e) => e.stage === 'cache' && e.data?.stale === true)) set('staleHits', 1);
  const u = rec.usage;
  set('inputTokens', num(u?.input));
  set('cacheReadTokens', num(u?.cacheRead));
  set('cacheWriteTokens', num(u?.cacheWrite5m) + num(u?.cacheWrite1h));
  set('outputTokens', num(u?.output));
  set('reasoningTokens', num(u?.reasoning));
  const cost = num(rec.costUsd);
  set('costUsd', cost);
  let counterfactual = cost;
  if (rec.savedByLever) {
    for (const l of LEVERS) {
      const v = num(rec.savedByLever[l]);
      if (v !== 0) {
        set(`saved_${l}`, v);
        counterfactual += v;
      }
    }
  }
  set('counterfactualUsd', counterfactual);
  const latencyMs = Math.max(0, num(rec.latencyMs));
  set('latencySumMs', latencyMs);
  set('overheadSumMs', Math.max(0, num(rec.overheadMs)));
  if (typeof rec.dequeuedAt === 'number') set('queueSumMs', Math.max(0, rec.dequeuedAt - rec.receivedAt));
  const ttft = typeof rec.ttftMs === 'number' && Number.isFinite(rec.ttftMs) ? Math.max(0, rec.ttftMs) : undefined;
  if (ttft !== undefined) {
    set('ttftSumMs', ttft);
    set('ttftCount', 1);
  }
  if (typeof rec.firstTokenAt === 'number') {
    const end = typeof rec.lastTokenAt === 'number' ? rec.lastTokenAt : rec.completedAt;
    set('generationSumMs', Math.max(0, num(end) - rec.firstTokenAt));
    set('generationCount', 1);
  }
  for (const c of COMPONENTS) {
    set(`cost_${c}`, num(rec.costByComponent?.[c]));
    set(`tokens_${c}`, num(rec.tokensByComponent?.[c]));
  }
  let answers = 0;
  let failed = 0;
  let ownCalls = 0;
  let ownUsd = 0;
  let byPurpose: Record<string, number> | undefined;
  for (const a of rec.attempts ?? []) {
    if (a.purpose !== undefined) {
      ownCalls++;
      const c = num(a.costUsd);
      ownUsd += c;
      byPurpose ??= {};
      byPurpose[a.purpose] = (byPurpose[a.purpose] ?? 0) + c;
      continue;
    }
    answers++;
    if (a.status === null || a.status >= 400 || a.errorClass !== undefined) failed++;
  }
  set('failedAttempts', failed);
  set('retries', Math.max(0, answers - 1));
  set('failedAttemptsUsd', num(rec.failedAttemptsCostUsd));
  set('ownCalls', ownCalls);
  set('ownCallsUsd', ownUsd);
  set('cacheWritePremiumUsd', num(rec.cacheWritePremiumUsd));
  set('promptCacheWriteTokens', num(rec.promptCache?.writeTokens));
  set('promptCacheReadTokens', num(rec.promptCache?.readTokens));
  if (typeof rec.stablePrefixTokens === 'number') {
    set('stablePrefixTokens', num(rec.stablePrefixTokens));
    set('stablePrefixInputTokens', num(u?.input) + num(u?.cacheRead) + num(u?.cacheWrite5m) + num(u?.cacheWrite1h));
  }
  return { sums: s, latencyMs, ttftMs: ttft, ownCallsUsd: byPurpose };
}

function addFacts(cell: RollupCell, f: RecordFacts): void {
  const a = cell.sums;
  const b = f.sums;
  for (let i = 0; i < NUM_FIELDS; i++) a[i]! += b[i]!;
  addValue(cell.latency, f.latencyMs);
  if (f.ttftMs !== undefined) addValue(cell.ttft, f.ttftMs);
  if (f.ownCallsUsd) mergeUsdMap(cell.ownCallsUsd, f.ownCallsUsd);
}

/** Where a cell lives: grain, cube, bucket start, and the value of every dimension ('' where the cube does not keep it). */
export interface CellAddress {
  grain: Grain;
  cube: number;
  t: number;
  /** DIMENSIONS order */
  dims: string[];
}

export interface CellDelta extends CellAddress {
  cell: RollupCell;
}

/** a prompt-cache write not read yet */
export interface PendingWrite {
  prefixHash: string;
  writtenAt: number;
  expiresAt: number;
  tokens: number;
  usd: number;
  /** the writing record's value of every dimension (DIMENSIONS order) */
  dims: string[];
}

/**
 * The prompt-cache writes waiting for a read, in expiry order (a Map keeps insertion order and a
 * write's expiry is its time plus a TTL of 5 min or 1 h, so the order is close; takeExpired scans
 * from the oldest). Stores persist it with the cells, in the same transaction, from `changes()`.
 */
export class PendingWrites {
  private readonly byHash = new Map<string, PendingWrite>();
  private puts = new Map<string, PendingWrite>();
  private deletes = new Set<string>();
  dropped = 0;

  constructor(initial: Iterable<PendingWrite> = [], private readonly max = PENDING_WRITES_MAX) {
    for (const w of [...initial].sort((a, b) => a.expiresAt - b.expiresAt)) this.byHash.set(w.prefixHash, w);
  }

  get size(): number {
    return this.byHash.size;
  }
  get(hash: string): PendingWrite | undefined {
    return this.byHash.get(hash);
  }
  put(w: PendingWrite): void {
    this.byHash.delete(w.prefixHash);
    this.byHash.set(w.prefixHash, w);
    this.puts.set(w.prefixHash, w);
    this.deletes.delete(w.prefixHash);
    while (this.byHash.size > this.max) {
      const oldest = this.byHash.keys().next().value as string;
      this.delete(oldest);
      this.dropped++;
    }
  }
  delete(hash: string): void {
    if (!this.byHash.delete(hash)) return;
    this.puts.delete(hash);
    this.deletes.add(hash);
  }
  /** the writes that expired before `t`, removed */
  takeExpired(t: number): PendingWrite[] {
    const out: PendingWrite[] = [];
    for (const w of this.byHash.values()) {
      if (w.expiresAt >= t) {
        // 1 h writes and 5 min writes interleave: look a little further than the first live one
        if (w.expiresAt - t > HOUR_MS) break;
        continue;
      }
      out.push(w);
    }
    for (const w of out) this.delete(w.prefixHash);
    return out;
  }
  all(): PendingWrite[] {
    return [...this.byHash.values()];
  }
  /** what changed since the last call (for a store to persist), and forget it */
  changes(): { put: PendingWrite[]; deleted: string[] } {
    const c = { put: [...this.puts.values()], deleted: [...this.deletes] };
    this.puts = new Map();
    this.deletes = new Set();
    return c;
  }
}

/** the dimension values a cube keeps of a record's full dimension values ('' for the rest) */
function cubeDims(cube: number, full: string[]): string[] {
  const keep = CUBE_DIMS_MASK[cube]!;
  return full.map((v, i) => (keep[i] ? v : ''));
}

const CUBE_DIMS_MASK = CUBES.map((c) => DIMENSIONS.map((d) => c.includes(d)));
const CUBE_DIM_INDEXES = CUBES.map((c) => DIMENSIONS.flatMap((d, i) => (c.includes(d) ? [i] : [])));
const CUBES_AT: Record<Grain, readonly number[]> = { minute: MINUTE_CUBES, hour: CUBES.map((_, i) => i) };

/**
 * The cells a batch of records adds up to. `add` each newly stored record (once: a store adds
 * only the records its commit really inserted), then hand `deltas()` to the store.
 */
export class RollupBatch {
  /**
   * Records are summed first into base cells, one per minute and value of all seven dimensions
   * (one map lookup per record); deltas() spreads each base cell over the cubes and grains. At a
   * busy gateway's rate many records share a base cell, so that is fewer merges than spreading
   * every record.
   */
  private readonly base = new Map<string, { t: number; full: string[]; cell: RollupCell }>();
  private newest = -Infinity;

  constructor(
    private readonly pending: PendingWrites,
    /** records older than this get no minute cells (they would be pruned at once); default: all do */
    private readonly minuteCutoff = -Infinity,
  ) {}

  /** base cells in the batch (each becomes at most one cell per cube and grain) */
  get size(): number {
    return this.base.size;
  }
  /** records added */
  records = 0;

  add(rec: RequestRecord): void {
    const t = rec.receivedAt;
    if (!(typeof t === 'number' && Number.isFinite(t))) return;
    if (t > this.newest) this.newest = t;
    this.records++;
    const full = DIMENSIONS.map((d) => dimensionOf(rec, d));
    addFacts(this.baseCell(t, full), factsOf(rec));
    this.trackPromptCache(rec, full);
  }

  private baseCell(t: number, full: string[]): RollupCell {
    const minute = Math.floor(t / MINUTE_MS) * MINUTE_MS;
    const key = `${minute}\u0001${full.join('\u0001')}`;
    let b = this.base.get(key);
    if (!b) this.base.set(key, (b = { t: minute, full, cell: emptyCell() }));
    return b.cell;
  }

  private trackPromptCache(rec: RequestRecord, full: string[]): void {
    const pc = rec.promptCache;
    if (!pc || typeof pc.prefixHash !== 'string' || pc.prefixHash.length === 0) return;
    if (num(pc.readTokens) > 0) {
      const w = this.pending.get(pc.prefixHash);
      if (w && rec.receivedAt <= w.expiresAt) this.pending.delete(pc.prefixHash);
    }
    if (num(pc.writeTokens) > 0) {
      const earlier = this.pending.get(pc.prefixHash);
      // written again before anyone read it: the earlier write was paid for nothing
      if (earlier) {
        this.pending.delete(earlier.prefixHash);
        this.unread(earlier);
      }
      const ttlMs = (num(pc.ttlSeconds) || 300) * 1000;
      this.pending.put({
        prefixHash: pc.prefixHash,
        writtenAt: rec.receivedAt,
        expiresAt: rec.receivedAt + ttlMs,
        tokens: num(pc.writeTokens),
        usd: num(rec.cacheWritePremiumUsd),
        dims: full,
      });
    }
  }

  private unread(w: PendingWrite): void {
    const cell = this.baseCell(w.writtenAt, w.dims);
    cell.sums[FIELD.unreadWriteTokens]! += w.tokens;
    cell.sums[FIELD.unreadWriteUsd]! += w.usd;
  }

  /** the cells to fold into the store; writes that expired unread by the newest record are added first */
  deltas(): CellDelta[] {
    if (this.newest > -Infinity) for (const w of this.pending.takeExpired(this.newest)) this.unread(w);
    const out: CellDelta[] = [];
    const cells = new Map<string, CellDelta>();
    for (const { t, full, cell } of this.base.values()) {
      for (const grain of GRAINS) {
        if (grain === 'minute' && t < this.minuteCutoff) continue;
        const bucket = Math.floor(t / GRAIN_MS[grain]) * GRAIN_MS[grain];
        for (const c of CUBES_AT[grain]) {
          let k = `${grain}\u0001${c}\u0001${bucket}`;
          for (const i of CUBE_DIM_INDEXES[c]!) k += '\u0001' + full[i]!;
          const d = cells.get(k);
          if (d) mergeCell(d.cell, cell);
          else {
            const fresh: CellDelta = { grain, cube: c, t: bucket, dims: cubeDims(c, full), cell: emptyCell() };
            mergeCell(fresh.cell, cell);
            cells.set(k, fresh);
            out.push(fresh);
          }
        }
      }
    }
    return out;
  }

  /** the newest record's time in this batch (for pruning minute cells) */
  get newestAt(): number {
    return this.newest;
  }
}

