// Replay as one call: a source (the ledger, or a public trace), the recorded policy's figures and
// the new policy's predicted ones side by side. The CLI and the benchmarks call this.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { SqliteLedgerStore } from '../../stores/sqlite/ledger-store.js';
import { readPayloadFile, type StoredPayload } from '../../stores/payloads.js';
import type { LedgerFilter, LedgerReader } from '../../stores/ledger.js';
import { join } from 'node:path';
import type { ReplayItem } from './item.js';
import { LatencyModel } from './latency.js';
import { replayPolicy, summariseRecorded, type PolicyReport, type ReplayMode, type ReplayPolicyExtras } from './run.js';
import { ReplayInputError, ledgerItems, ledgerRecords, traceItems, type LedgerItemsStats, type TraceKind } from './sources.js';

export { ReplayInputError } from './sources.js';
export type { PolicyReport } from './run.js';

export interface ReplayReport {
  source: { kind: 'ledger'; dataDir: string; since?: number; until?: number } | { kind: 'trace'; trace: TraceKind; file: string; model: string };
  mode: ReplayMode;
  requests: number;
  /** prompts made up to the recorded sizes (a trace has none; a record has one only with the payload store on) */
  synthesisedPrompts: number;
  notes: string[];
  recorded: PolicyReport;
  predicted: PolicyReport;
  /** predicted cost against recorded, as a fraction (-0.4 = 40% cheaper) */
  costChange: number;
}

export interface PolicyFile {
  policy: Record<string, unknown>;
  extras: ReplayPolicyExtras;
}

/** a policy file: a tollgate.yaml, with an optional `replay:` section only replay reads */
export function loadPolicyFile(path: string): PolicyFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ReplayInputError(`cannot read config file ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ReplayInputError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ReplayInputError(`config file ${path} must be a mapping (a tollgate.yaml)`);
  const { replay, ...policy } = raw as Record<string, unknown>;
  return { policy, extras: policyExtras(replay, path) };
}

export function policyExtras(v: unknown, where: string): ReplayPolicyExtras {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ReplayInputError(`${where}: replay: must be a mapping, e.g. { batch: background }`);
  const { batch, ...rest } = v as Record<string, unknown>;
  if (Object.keys(rest).length) throw new ReplayInputError(`${where}: unknown field replay.${Object.keys(rest).join(', replay.')}`);
  if (batch !== undefined && batch !== 'none' && batch !== 'background') throw new ReplayInputError(`${where}: replay.batch is 'none' or 'background'`);
  return batch === undefined ? {} : { batch };
}

export interface LedgerReplayOptions {
  dataDir: string;
  policy: PolicyFile;
  since?: number;
  until?: number;
  mode?: ReplayMode;
  simUrl?: string;
  onProgress?: (done: number, total: number, costUsd: number) => void;
}

async function loadPayloads(dataDir: string): Promise<Map<string, StoredPayload>> {
  const out = new Map<string, StoredPayload>();
  for await (const p of readPayloadFile(join(dataDir, 'payloads.jsonl'))) out.set(p.requestId, p);
  return out;
}

export async function replayLedger(o: LedgerReplayOptions): Promise<ReplayReport> {
  const store = SqliteLedgerStore.openReadOnly(o.dataDir);
  if (!store) throw new ReplayInputError(`no ledger at ${o.dataDir} (start the gateway and send requests, or pass --data-dir)`);
  try {
    return await replayFromReader(store, o);
  } finally {
    store.close();
  }
}

export async function replayFromReader(reader: LedgerReader, o: LedgerReplayOptions): Promise<ReplayReport> {
  const filter: LedgerFilter = { since: o.since, until: o.until };
  const payloads = await loadPayloads(o.dataDir);
  const count = (await reader.aggregate(filter, [], ['count']))[0]?.values.count ?? 0;
  const stats: LedgerItemsStats = { records: 0, withPayload: 0, synthetic: 0 };
  const recorded = await summariseRecorded(ledgerItems(ledgerRecords(reader, filter), payloads, { records: 0, withPayload: 0, synthetic: 0 }));
  const predicted = await replayPolicy(ledgerItems(ledgerRecords(reader, filter), payloads, stats), {
    policy: o.policy.policy,
    extras: o.policy.extras,
    mode: o.mode,
    simUrl: o.simUrl,
    onProgress: (done, cost) => o.onProgress?.(done, count, cost),
  });
  const notes: string[] = [];
  if (stats.synthetic > 0) {
    notes.push(
      `${stats.synthetic} of ${stats.records} records have no stored prompt (payloadStore is off by default): their prompts were synthesised to the recorded token counts, so rules on content and the semantic cache see placeholder text`,
    );
  }
  notes.push('recorded failed attempts (retries, fallbacks) are not replayed as failures: the price-only upstream answers every call');
  return {
    source: { kind: 'ledger', dataDir: o.dataDir, since: o.since, until: o.until },
    mode: o.mode ?? 'price-only',
    requests: stats.records,
    synthesisedPrompts: stats.synthetic,
    notes,
    recorded,
    predicted,
    costChange: recorded.costUsd > 0 ? predicted.costUsd / recorded.costUsd - 1 : 0,
  };
}

export interface TraceReplayOptions {
  trace: TraceKind;
  file: string;
  /** the model (or route) every trace request asks for */
  model: string;
  policy: PolicyFile;
  /** the recorded policy: default the same providers and models with no levers (pipeline: [execute]) */
  recordedPolicy?: PolicyFile;
  limit?: number;
  loops?: number;
  mode?: ReplayMode;
  simUrl?: string;
  /** items per trace pass, for the progress bar (unknown: 0) */
  total?: number;
  onProgress?: (done: number, total: number, costUsd: number) => void;
  latency?: () => LatencyModel;
}

/** a trace's synthesised prompts are markers: a semantic cache would match them to each other */
function withoutSemanticCache(p: PolicyFile, notes: string[]): PolicyFile {
  const cache = p.policy.cache as { semantic?: { enabled?: boolean } } | undefined;
  if (!cache?.semantic?.enabled) return p;
  notes.push('the semantic cache was turned off for this replay: synthesised prompts carry no meaning to compare');
  return { ...p, policy: { ...p.policy, cache: { ...cache, semantic: { ...cache.semantic, enabled: false } } } };
}

export async function replayTrace(o: TraceReplayOptions): Promise<ReplayReport> {
  const notes: string[] = [];
  const policy = withoutSemanticCache(o.policy, notes);
  // the recorded side asks for a real model: a route's baseline (what it would cost without the gateway)
  const routes = (o.policy.policy.routes as Record<string, { baseline?: string; tiers?: { models?: string[] }[] }> | undefined) ?? {};
  const route = routes[o.model];
  const recordedModel = o.recordedPolicy || !route ? o.model : (route.baseline ?? route.tiers?.at(-1)?.models?.[0] ?? o.model);
  const items = (model: string): AsyncIterable<ReplayItem> => traceItems({ kind: o.trace, file: o.file, model, limit: o.limit, loops: o.loops });
  const base = o.recordedPolicy ? withoutSemanticCache(o.recordedPolicy, []) : { policy: { ...o.policy.policy, pipeline: ['execute'] }, extras: {} };
  const total = o.total ?? 0;
  const recorded = await replayPolicy(items(recordedModel), { policy: base.policy, extras: base.extras, mode: o.mode, simUrl: o.simUrl, latency: o.latency?.(), onProgress: (d, c) => o.onProgress?.(d, total * 2, c) });
  const predicted = await replayPolicy(items(o.model), {
    policy: policy.policy,
    extras: policy.extras,
    mode: o.mode,
    simUrl: o.simUrl,
    latency: o.latency?.(),
    onProgress: (d, c) => o.onProgress?.(recorded.requests + d, total * 2, c),
  });
  return {
    source: { kind: 'trace', trace: o.trace, file: o.file, model: o.model },
    mode: o.mode ?? 'price-only',
    requests: predicted.requests,
    synthesisedPrompts: predicted.requests,
    notes: [
      `the ${o.trace} trace has arrival times and token counts only: every prompt was synthesised (a marker of its recorded size${o.trace === 'mooncake' ? ', one system part per 512-token prefix hash, so the provider prompt cache sees the trace\'s prefix sharing' : ''}); token rules see the recorded counts, content rules see markers`,
      `the recorded side is the trace served on ${recordedModel} by ${o.recordedPolicy ? 'the recorded config' : 'the same config without levers (pipeline: [execute])'}`,
      ...notes,
    ],
    recorded,
    predicted,
    costChange: recorded.costUsd > 0 ? predicted.costUsd / recorded.costUsd - 1 : 0,
  };
}
