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

/**
 * Cells are kept per minute (MINUTE_CUBES, MINUTE_RETENTION_MS), per hour and per UTC day (every
 * cube, as long as the store). A day cell is the sum of its 24 hour cells: a month's reads take
 * 30 rows of a cell's values, not 720 (the cube of all seven dimensions has hundreds an hour).
 */
export type Grain = 'minute' | 'hour' | 'day';
export const GRAIN_MS: Record<Grain, number> = { minute: MINUTE_MS, hour: HOUR_MS, day: 86_400_000 };

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
  // the gateway's own traffic (isOwnTraffic): its records and their dollars, counted in costUsd
  // but never in requests
  'ownRequests',
  'ownRequestsUsd',
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

/**
 * The gateway's own traffic: the records of its own calls (the judge's and the shadow
 * evaluations', quality/evaluator.ts: caller `tollgate:judge`, endpoint `internal:<purpose>`). They
 * are not the users' traffic: a cell counts their dollars (costUsd, the waterfall, the hidden
 * costs' own calls by purpose, ownRequests/ownRequestsUsd) and their tokens, never their requests,
 * errors, cache lookups, latency or prompt anatomy. (Own calls made inside a user's request, a
 * verifier or an embedder, are attempts of that request: it stays user traffic.)
 */
export function isOwnTraffic(rec: Pick<RequestRecord, 'keyId' | 'endpoint'>): boolean {
  return (typeof rec.endpoint === 'string' && rec.endpoint.startsWith('internal:')) || (typeof rec.keyId === 'string' && rec.keyId.startsWith('tollgate:'));
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const F = FIELD;

/**
 * Adds what one record contributes to `cell`, in place (no allocation per record: the ingest
 * folds every record through here).
 */
export function addRecord(cell: RollupCell, rec: RequestRecord): void {
  const s = cell.sums;
  const own = isOwnTraffic(rec);
  const u = rec.usage;
  s[F.inputTokens]! += num(u?.input);
  s[F.cacheReadTokens]! += num(u?.cacheRead);
  s[F.cacheWriteTokens]! += num(u?.cacheWrite5m) + num(u?.cacheWrite1h);
  s[F.outputTokens]! += num(u?.output);
  s[F.reasoningTokens]! += num(u?.reasoning);
  const cost = num(rec.costUsd);
  s[F.costUsd]! += cost;
  let counterfactual = cost;
  const saved = rec.savedByLever;
  if (saved) {
    for (let i = 0; i < LEVERS.length; i++) {
      const v = num(saved[LEVERS[i]!]);
      if (v !== 0) {
        s[F.saved_tiering + i]! += v;
        counterfactual += v;
      }
    }
  }
  s[F.counterfactualUsd]! += counterfactual;
  const attempts = rec.attempts;
  let answers = 0;
  let failed = 0;
  if (attempts) {
    for (let i = 0; i < attempts.length; i++) {
      const a = attempts[i]!;
      if (a.purpose !== undefined) {
        const c = num(a.costUsd);
        s[F.ownCalls]! += 1;
        s[F.ownCallsUsd]! += c;
        cell.ownCallsUsd[a.purpose] = (cell.ownCallsUsd[a.purpose] ?? 0) + c;
        continue;
      }
      answers++;
      if (a.status === null || a.status >= 400 || a.errorClass !== undefined) failed++;
    }
  }
  if (own) {
    s[F.ownRequests]! += 1;
    s[F.ownRequestsUsd]! += cost;
    return;
  }
  s[F.requests]! += 1;
  if (rec.status === 'error') s[F.errors]! += 1;
  if (rec.status === 'aborted') s[F.aborted]! += 1;
  const cs = rec.cacheStatus;
  if (cs === 'hit' || cs === 'semantic_hit' || cs === 'miss') s[F.lookups]! += 1;
  if (cs === 'hit') s[F.exactHits]! += 1;
  if (cs === 'semantic_hit') s[F.semanticHits]! += 1;
  if ((cs === 'hit' || cs === 'semantic_hit') && rec.trail?.some((e) => e.stage === 'cache' && e.data?.stale === true)) s[F.staleHits]! += 1;
  const latencyMs = Math.max(0, num(rec.latencyMs));
  s[F.latencySumMs]! += latencyMs;
  addValue(cell.latency, latencyMs);
  s[F.overheadSumMs]! += Math.max(0, num(rec.overheadMs));
  if (typeof rec.dequeuedAt === 'number') s[F.queueSumMs]! += Math.max(0, rec.dequeuedAt - rec.receivedAt);
  if (typeof rec.ttftMs === 'number' && Number.isFinite(rec.ttftMs)) {
    const ttft = Math.max(0, rec.ttftMs);
    s[F.ttftSumMs]! += ttft;
    s[F.ttftCount]! += 1;
    addValue(cell.ttft, ttft);
  }
  if (typeof rec.firstTokenAt === 'number') {
    const end = typeof rec.lastTokenAt === 'number' ? rec.lastTokenAt : rec.completedAt;
    s[F.generationSumMs]! += Math.max(0, num(end) - rec.firstTokenAt);
    s[F.generationCount]! += 1;
  }
  const cbc = rec.costByComponent;
  const tbc = rec.tokensByComponent;
  if (cbc || tbc) {
    for (let i = 0; i < COMPONENTS.length; i++) {
      const c = COMPONENTS[i]!;
      if (cbc) s[F.cost_system + i]! += num(cbc[c]);
      if (tbc) s[F.tokens_system + i]! += num(tbc[c]);
    }
  }
  s[F.failedAttempts]! += failed;
  s[F.retries]! += Math.max(0, answers - 1);
  s[F.failedAttemptsUsd]! += num(rec.failedAttemptsCostUsd);
  s[F.cacheWritePremiumUsd]! += num(rec.cacheWritePremiumUsd);
  s[F.promptCacheWriteTokens]! += num(rec.promptCache?.writeTokens);
  s[F.promptCacheReadTokens]! += num(rec.promptCache?.readTokens);
  if (typeof rec.stablePrefixTokens === 'number') {
    s[F.stablePrefixTokens]! += num(rec.stablePrefixTokens);
    s[F.stablePrefixInputTokens]! += num(u?.input) + num(u?.cacheRead) + num(u?.cacheWrite5m) + num(u?.cacheWrite1h);
  }
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

const CUBE_DIM_INDEXES = CUBES.map((c) => DIMENSIONS.flatMap((d, i) => (c.includes(d) ? [i] : [])));
const ALL_DIMS_CUBE = CUBES.findIndex((c) => c.length === DIMENSIONS.length);

/**
 * The order a batch's cells are derived in, per grain: every cube is summed from the cells of the
 * smallest cube already summed that has all its dimensions (the all-dimensions cells, or the base
 * cells for the minute grain), largest cubes first. A month of cubes then costs a few merges per
 * base cell instead of one per cube: the two-dimension cubes have a few dozen cells an hour, so
 * the one-dimension cubes and the totals summed from them cost next to nothing.
 */
interface DerivationStep {
  cube: number;
  /** the cube summed from; -1: the base cells (minute, all dimensions) */
  from: number;
}
function derivationPlan(cubes: readonly number[], allDimsFirst: boolean): DerivationStep[] {
  const plan: DerivationStep[] = [];
  const done: number[] = [];
  const order = [...cubes].sort((x, y) => CUBES[y]!.length - CUBES[x]!.length || x - y);
  for (const c of order) {
    if (c === ALL_DIMS_CUBE && allDimsFirst) {
      plan.push({ cube: c, from: -1 });
      done.push(c);
      continue;
    }
    let from = -1;
    for (const d of done) {
      if (CUBES[c]!.every((dim) => CUBES[d]!.includes(dim)) && (from === -1 || CUBES[d]!.length < CUBES[from]!.length)) from = d;
    }
    plan.push({ cube: c, from });
    done.push(c);
  }
  return plan;
}
const PLAN: Record<'minute' | 'hour', DerivationStep[]> = { minute: derivationPlan(MINUTE_CUBES, false), hour: derivationPlan(CUBES.map((_, i) => i), true) };

/** a summed cell of a batch, with the full dimension values it came from ('' where its cube drops one) */
interface BatchCell {
  t: number;
  full: string[];
  cell: RollupCell;
}

/**
 * The cells a batch of records adds up to. `add` each newly stored record (once: a store adds
 * only the records its commit really inserted), then hand `deltas()` to the store.
 */
export class RollupBatch {
  /**
   * Records are summed first into base cells, one per minute and value of all seven dimensions
   * (one map lookup per record, no allocation for a record whose cell exists); deltas() sums the
   * base cells into every cube and grain along PLAN.
   */
  private readonly base = new Map<string, BatchCell>();
  private newest = -Infinity;
  private readonly dims: string[] = new Array<string>(DIMENSIONS.length);

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
    const dims = this.dims;
    for (let i = 0; i < DIMENSIONS.length; i++) dims[i] = dimensionOf(rec, DIMENSIONS[i]!);
    const b = this.baseCell(t, dims);
    addRecord(b.cell, rec);
    this.trackPromptCache(rec, b.full);
  }

  private baseCell(t: number, dims: readonly string[]): BatchCell {
    const minute = Math.floor(t / MINUTE_MS) * MINUTE_MS;
    let key = String(minute);
    for (let i = 0; i < dims.length; i++) key += '\u0001' + dims[i]!;
    let b = this.base.get(key);
    if (!b) this.base.set(key, (b = { t: minute, full: dims.slice(), cell: emptyCell() }));
    return b;
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
    const cell = this.baseCell(w.writtenAt, w.dims).cell;
    cell.sums[FIELD.unreadWriteTokens]! += w.tokens;
    cell.sums[FIELD.unreadWriteUsd]! += w.usd;
  }

  /** the cells to fold into the store; writes that expired unread by the newest record are added first */
  deltas(): CellDelta[] {
    if (this.newest > -Infinity) for (const w of this.pending.takeExpired(this.newest)) this.unread(w);
    const out: CellDelta[] = [];
    const sum = (grain: Grain, cube: number, from: Iterable<BatchCell>, ms: number, rebucket: boolean): BatchCell[] => {
      const keep = CUBE_DIM_INDEXES[cube]!;
      const cells = new Map<string, BatchCell>();
      for (const b of from) {
        const t = rebucket ? Math.floor(b.t / ms) * ms : b.t;
        let k = String(t);
        for (let i = 0; i < keep.length; i++) k += '\u0001' + b.full[keep[i]!]!;
        const c = cells.get(k);
        if (c) mergeCell(c.cell, b.cell);
        else {
          const full = new Array<string>(DIMENSIONS.length).fill('');
          for (let i = 0; i < keep.length; i++) full[keep[i]!] = b.full[keep[i]!]!;
          const fresh: BatchCell = { t, full, cell: emptyCell() };
          mergeCell(fresh.cell, b.cell);
          cells.set(k, fresh);
        }
      }
      const list = [...cells.values()];
      for (const c of list) out.push({ grain, cube, t: c.t, dims: c.full, cell: c.cell });
      return list;
    };
    const derive = (grain: 'minute' | 'hour', source: BatchCell[]): BatchCell[][] => {
      const summed: BatchCell[][] = [];
      if (source.length === 0) return summed;
      for (const { cube, from } of PLAN[grain]) summed[cube] = sum(grain, cube, from === -1 ? source : summed[from]!, GRAIN_MS[grain], from === -1);
      return summed;
    };
    const all = [...this.base.values()];
    derive(
      'minute',
      all.filter((b) => b.t >= this.minuteCutoff),
    );
    const hours = derive('hour', all);
    // a day cell of a cube is the sum of that cube's hour cells of the day
    for (let c = 0; c < hours.length; c++) if (hours[c]) sum('day', c, hours[c]!, GRAIN_MS.day, true);
    return out;
  }

  /** the newest record's time in this batch (for pruning minute cells) */
  get newestAt(): number {
    return this.newest;
  }
}

