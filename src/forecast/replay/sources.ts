// Where replayed traffic comes from: the ledger (its records, with the prompts of the opt-in
// payload store where they were kept), or a public trace (arrival times and token counts only:
// the prompts are synthesised to the recorded sizes, and the report says so).
//
// Traces (../shared/data):
//   azure     AzureLLMInferenceTrace_{conv,code}.csv   TIMESTAMP, ContextTokens, GeneratedTokens
//   mooncake  {conversation,synthetic}_trace.jsonl      timestamp (ms), input_length, output_length, hash_ids (512-token blocks)
//   vidur     splitwise_{conv,code}.csv                 arrived_at (s), num_prefill_tokens, num_decode_tokens
//             arxiv_summarization_stats_*.csv           num_prefill_tokens, num_decode_tokens (no arrivals: one a second)

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ChatRequest } from '../../core/canonical.js';
import { countTextTokens } from '../../core/tokens.js';
import type { RequestRecord } from '../../ledger/record.js';
import type { LedgerFilter, LedgerReader } from '../../stores/ledger.js';
import type { StoredPayload } from '../../stores/payloads.js';
import { synthesiseRequest, type PrefixBlock, type ReplayItem } from './item.js';

export type TraceKind = 'azure' | 'mooncake' | 'vidur';
export const TRACE_KINDS: readonly TraceKind[] = ['azure', 'mooncake', 'vidur'];
export const MOONCAKE_BLOCK_TOKENS = 512;
const PAGE = 2000;

export class ReplayInputError extends Error {}

/** The ledger's records in the window, oldest first, a page at a time. */
export async function* ledgerRecords(reader: LedgerReader, filter: LedgerFilter): AsyncGenerator<RequestRecord> {
  let cursor: string | undefined;
  do {
    const page = await reader.query(filter, { limit: PAGE, order: 'oldest', cursor });
    yield* page.records;
    cursor = page.next;
  } while (cursor);
}

function prefixOfRequest(req: ChatRequest): PrefixBlock[] | undefined {
  // the stable prefix a provider caches: the system prompt (and tool definitions), as one block
  if (req.system.length === 0 && !req.tools?.length) return undefined;
  const text = req.system.map((p) => p.text).join('\n') + (req.tools ? JSON.stringify(req.tools) : '');
  return [{ hash: `sys:${hashString(text)}`, tokens: countTextTokens(text) }];
}

function hashString(s: string): string {
  // FNV-1a, 52 bits: a content id for the prefix cache, not a security boundary
  let h = 0xcbf29ce484222325n;
  const step = Math.max(1, Math.floor(s.length / 4096));
  for (let i = 0; i < s.length; i += step) h = ((h ^ BigInt(s.charCodeAt(i))) * 0x100000001b3n) & 0xfffffffffffffn;
  return `${h.toString(36)}.${s.length}`;
}

export interface LedgerItemsStats {
  records: number;
  withPayload: number;
  synthetic: number;
}

/** records as replay items; prompts from `payloads` where they were kept */
export async function* ledgerItems(records: AsyncIterable<RequestRecord>, payloads: ReadonlyMap<string, StoredPayload>, stats: LedgerItemsStats): AsyncGenerator<ReplayItem> {
  for await (const r of records) {
    stats.records++;
    const u = r.usage;
    const inputTokens = u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h;
    const p = payloads.get(r.requestId);
    let request: ChatRequest;
    let prefix: PrefixBlock[] | undefined;
    if (p) {
      stats.withPayload++;
      request = { ...p.request, model: r.route ?? r.requestedModel, stream: false, includeUsage: false };
      prefix = prefixOfRequest(request);
    } else {
      stats.synthetic++;
      prefix = u.cacheRead + u.cacheWrite5m + u.cacheWrite1h > 0 ? [{ hash: `rec:${r.requestedModel}:${u.cacheRead + u.cacheWrite5m + u.cacheWrite1h}`, tokens: u.cacheRead + u.cacheWrite5m + u.cacheWrite1h }] : undefined;
      request = synthesiseRequest(r.route ?? r.requestedModel, r.requestId, inputTokens, prefix);
    }
    yield {
      id: r.requestId,
      at: r.receivedAt,
      request,
      synthetic: !p,
      format: p?.format ?? r.apiFormat,
      endpoint: p?.endpoint ?? r.endpoint,
      caller: { keyId: r.keyId ?? 'replay', team: r.team, user: r.user },
      inputTokens,
      outputTokens: u.output,
      prefix,
      recorded: { model: r.model, provider: r.provider, usage: u, costUsd: r.costUsd, latencyMs: r.latencyMs, ttftMs: r.ttftMs, cacheStatus: r.cacheStatus, status: r.status },
    };
  }
}

async function* lines(path: string): AsyncGenerator<string> {
  const stream = createReadStream(path, 'utf8');
  const done = new Promise<void>((_, reject) => stream.once('error', reject));
  done.catch(() => {});
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) if (line.trim()) yield line;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ReplayInputError(`cannot read trace file ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
}

interface TraceRow {
  offsetMs: number;
  input: number;
  output: number;
  hashIds?: number[];
}

async function* traceRows(kind: TraceKind, path: string): AsyncGenerator<TraceRow> {
  let header: string[] | undefined;
  let first: number | undefined;
  let n = 0;
  for await (const line of lines(path)) {
    n++;
    if (kind === 'mooncake') {
      let j: { timestamp?: unknown; input_length?: unknown; output_length?: unknown; hash_ids?: unknown };
      try {
        j = JSON.parse(line);
      } catch {
        throw new ReplayInputError(`${path}:${n}: not a JSON line of a Mooncake trace`);
      }
      if (typeof j.timestamp !== 'number' || typeof j.input_length !== 'number' || typeof j.output_length !== 'number') {
        throw new ReplayInputError(`${path}:${n}: a Mooncake line needs timestamp, input_length and output_length numbers`);
      }
      yield { offsetMs: j.timestamp, input: j.input_length, output: j.output_length, hashIds: Array.isArray(j.hash_ids) ? (j.hash_ids as number[]) : undefined };
      continue;
    }
    const cells = line.split(',');
    if (!header) {
      header = cells.map((c) => c.trim());
      continue;
    }
    const col = (name: string) => cells[header!.indexOf(name)];
    if (kind === 'azure') {
      const ts = Date.parse(`${col('TIMESTAMP')?.trim().replace(' ', 'T').slice(0, 23)}Z`);
      const input = Number(col('ContextTokens'));
      const output = Number(col('GeneratedTokens'));
      if (!Number.isFinite(ts) || !Number.isFinite(input) || !Number.isFinite(output)) throw new ReplayInputError(`${path}:${n}: expected TIMESTAMP,ContextTokens,GeneratedTokens (an Azure LLM trace CSV)`);
      first ??= ts;
      yield { offsetMs: ts - first, input, output };
    } else {
      const input = Number(col('num_prefill_tokens'));
      const output = Number(col('num_decode_tokens'));
      const arrived = header.includes('arrived_at') ? Number(col('arrived_at')) * 1000 : (n - 2) * 1000;
      if (!Number.isFinite(input) || !Number.isFinite(output) || !Number.isFinite(arrived)) throw new ReplayInputError(`${path}:${n}: expected num_prefill_tokens,num_decode_tokens[,arrived_at] (a Vidur length trace CSV)`);
      yield { offsetMs: arrived, input, output };
    }
  }
}

export interface TraceOptions {
  kind: TraceKind;
  file: string;
  /** the model (or route) every trace request asks for */
  model: string;
  /** epoch ms of the trace's first arrival */
  start?: number;
  /** stop after this many requests */
  limit?: number;
  /** play the trace this many times back to back (with the prefix ids kept) */
  loops?: number;
}

/** A trace's requests with synthesised prompts of the recorded sizes. */
export async function* traceItems(o: TraceOptions): AsyncGenerator<ReplayItem> {
  const start = o.start ?? Date.UTC(2026, 0, 1);
  let i = 0;
  let span = 0;
  const loops = o.loops ?? 1;
  // a looped trace is read once: its rows (a few numbers each) are kept for the next passes
  const rows: TraceRow[] | undefined = loops > 1 ? [] : undefined;
  const item = (row: TraceRow): ReplayItem => {
    const id = `${o.kind}-${i}`;
    let prefix: PrefixBlock[] | undefined;
    if (row.hashIds?.length) {
      prefix = row.hashIds.map((h, k) => ({ hash: h, tokens: k < row.hashIds!.length - 1 ? MOONCAKE_BLOCK_TOKENS : Math.max(1, row.input - MOONCAKE_BLOCK_TOKENS * (row.hashIds!.length - 1)) }));
      // the last block is partial and unique to the request: a provider caches whole blocks only
      prefix = prefix.slice(0, -1);
    }
    return {
      id,
      at: start + span + row.offsetMs,
      request: synthesiseRequest(o.model, id, row.input, prefix),
      synthetic: true,
      format: 'openai',
      endpoint: '/v1/chat/completions',
      caller: { keyId: 'replay' },
      inputTokens: row.input,
      outputTokens: row.output,
      prefix,
    };
  };
  for (let loop = 0; loop < loops; loop++) {
    let last = 0;
    if (loop === 0 || !rows) {
      for await (const row of traceRows(o.kind, o.file)) {
        if (o.limit !== undefined && i >= o.limit) return;
        if (loop === 0) rows?.push(row);
        last = Math.max(last, row.offsetMs);
        yield item(row);
        i++;
      }
    } else {
      // the kept rows, read synchronously: `for await` over an array costs a promise per row
      for (const row of rows) {
        if (o.limit !== undefined && i >= o.limit) return;
        last = Math.max(last, row.offsetMs);
        yield item(row);
        i++;
      }
    }
    span += last + 1;
  }
}
