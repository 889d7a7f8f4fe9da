// Bounds a record before it is stored (issue 13 finding 3). Clients control several strings of a
// record (`user`, `metadata.user_id`, the session header, the model name, ...) and a record over the
// ingester's chunk used to be skipped as "corrupt": a paid answer silently missing from the ledger.
// Now every string is capped, long lists are cut, the record says which fields were shortened
// (`truncated`), and text that may echo an upstream's error has the gateway's secrets removed.

import { redactSecrets } from '../providers/shared/redact.js';
import type { RequestRecord } from './record.js';

/** the longest string kept in a record (UTF-16 units); the rest is cut and the field listed */
export const MAX_RECORD_STRING = 1024;
/** the longest array kept (trail entries, attempts) */
export const MAX_RECORD_ARRAY = 256;
/** nesting below the record kept (trail data values are the deepest the gateway writes) */
const MAX_DEPTH = 8;
/** a record line larger than this (UTF-8 bytes) keeps only its accounting fields; well under the ingester's chunk */
export const MAX_RECORD_BYTES = 256 * 1024;

/** fields whose text can come from an upstream error, where a provider may echo our key */
const REDACTED_FIELDS = new Set(['errorMessage', 'reason']);

function cut(s: string): string {
  let end = MAX_RECORD_STRING;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--; // never leave half a surrogate pair
  return `${s.slice(0, end)}…`;
}

/**
 * Where the walk is, as a stack of keys and indices: a field's path is joined only when it is
 * shortened, so the common record (nothing to cut) allocates no path strings.
 */
type PathStack = (string | number)[];

function pathOf(stack: PathStack): string {
  let out = '';
  for (const k of stack) out += typeof k === 'number' ? `[${k}]` : out ? `.${k}` : k;
  return out;
}

/** the value with long strings and arrays shortened; `paths` collects what was shortened */
function bound(v: unknown, stack: PathStack, paths: string[], key: string): unknown {
  if (typeof v === 'string') {
    const clean = REDACTED_FIELDS.has(key) ? redactSecrets(v) : v;
    if (clean.length <= MAX_RECORD_STRING) return clean;
    paths.push(pathOf(stack));
    return cut(clean);
  }
  if (v === null || typeof v !== 'object') return v;
  if (stack.length >= MAX_DEPTH) {
    paths.push(pathOf(stack));
    return '[too deep]';
  }
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    const n = Math.min(v.length, MAX_RECORD_ARRAY);
    if (n < v.length) paths.push(pathOf(stack));
    for (let i = 0; i < n; i++) {
      const item = v[i];
      // numbers, booleans, null: nothing to bound, no walk
      if (item === null || (typeof item !== 'object' && typeof item !== 'string')) continue;
      stack.push(i);
      const b = bound(item, stack, paths, '');
      stack.pop();
      if (b !== item) (out ??= v.slice(0, n))[i] = b;
    }
    return out ?? (n < v.length ? v.slice(0, n) : v);
  }
  let out: Record<string, unknown> | undefined;
  const o = v as Record<string, unknown>;
  for (const k in o) {
    const item = o[k];
    if (item === null || (typeof item !== 'object' && typeof item !== 'string')) continue;
    stack.push(k);
    const b = bound(item, stack, paths, k);
    stack.pop();
    if (b !== item) (out ??= { ...o })[k] = b;
  }
  return out ?? o;
}

/**
 * The record as it may be stored: the same object when nothing needed shortening, else a copy with
 * `truncated` listing the shortened fields (e.g. `user`, `trail[2].data.model`).
 */
export function boundRecord(record: RequestRecord): RequestRecord {
  const paths: string[] = [];
  const out = bound(record, [], paths, '') as RequestRecord;
  if (paths.length === 0) return out;
  return { ...out, truncated: [...(record.truncated ?? []), ...paths].slice(0, 64) };
}

/**
 * One JSON line for the journal, or undefined when not even the accounting fields fit (counted as
 * dropped by the caller). A line over MAX_RECORD_BYTES after bounding (thousands of trail entries
 * or attempts, each under the caps) keeps what the ledger's sums need and drops the detail.
 */
export function recordLine(record: RequestRecord): string | undefined {
  const bounded = boundRecord(record);
  let line = JSON.stringify(bounded);
  // UTF-8 is at most 3 bytes per UTF-16 unit: only measure when the bound can be in reach
  if (line.length * 3 > MAX_RECORD_BYTES && Buffer.byteLength(line) > MAX_RECORD_BYTES) {
    const lean: RequestRecord = { ...bounded, trail: [], truncated: [...(bounded.truncated ?? []), 'trail'] };
    if (lean.attempts) {
      lean.attempts = undefined;
      lean.truncated!.push('attempts');
    }
    if (lean.costByComponent) {
      lean.costByComponent = undefined;
      lean.truncated!.push('costByComponent');
    }
    line = JSON.stringify(lean);
    if (Buffer.byteLength(line) > MAX_RECORD_BYTES) return undefined;
  }
  return `${line}\n`;
}
