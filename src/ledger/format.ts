// Rendering ledger records for people: an aligned table, one request per row. Pure.

import type { RequestRecord } from './record.js';

interface Column {
  title: string;
  right?: boolean;
  cell: (r: RequestRecord) => string;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** local wall-clock time, to the second: what a person compares with their own logs */
export function formatTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** dollars with enough decimals for a fraction of a cent to show */
export function formatUsd(usd: number | undefined): string {
  if (usd === undefined || !Number.isFinite(usd)) return '-';
  if (usd === 0) return '$0';
  return Math.abs(usd) >= 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(6)}`;
}

/** milliseconds, sub-millisecond precision where it matters (gateway overhead) */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

function modelCell(r: RequestRecord): string {
  // no served model: the request failed before any upstream answered
  return !r.model || r.model === r.requestedModel ? r.requestedModel : `${r.requestedModel}→${r.model}`;
}

function statusCell(r: RequestRecord): string {
  const base = r.httpStatus ? `${r.status} ${r.httpStatus}` : r.status;
  return r.errorClass ? `${base} ${r.errorClass}` : base;
}

const COLUMNS: readonly Column[] = [
  { title: 'TIME', cell: (r) => formatTime(r.receivedAt) },
  { title: 'REQUEST ID', cell: (r) => r.requestId },
  { title: 'MODEL (ASKED→SERVED)', cell: modelCell },
  { title: 'STATUS', cell: statusCell },
  // input counts every input token (cached included); CACHED is the part read from the provider cache
  { title: 'IN', right: true, cell: (r) => String(r.usage.input + r.usage.cacheRead + r.usage.cacheWrite5m + r.usage.cacheWrite1h) },
  { title: 'CACHED', right: true, cell: (r) => String(r.usage.cacheRead) },
  { title: 'OUT', right: true, cell: (r) => String(r.usage.output) + (r.usage.estimated ? '~' : '') },
  { title: 'COST', right: true, cell: (r) => formatUsd(r.costUsd) },
  { title: 'LATENCY', right: true, cell: (r) => formatMs(r.latencyMs) },
  { title: 'TTFT', right: true, cell: (r) => formatMs(r.ttftMs) },
  { title: 'OVERHEAD', right: true, cell: (r) => formatMs(r.overheadMs) },
  { title: 'CACHE', cell: (r) => r.cacheStatus ?? '-' },
];

/** An aligned table, header first, rows in the order given. */
export function formatLedgerTable(records: readonly RequestRecord[]): string {
  const rows = records.map((r) => COLUMNS.map((c) => c.cell(r)));
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (COLUMNS[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(COLUMNS.map((c) => c.title)), ...rows.map(line)].join('\n');
}

/** One line under the table: how many, what they cost, what caching saved. */
export function formatLedgerSummary(records: readonly RequestRecord[]): string {
  const cost = records.reduce((s, r) => s + (r.costUsd ?? 0), 0);
  const saved = records.reduce((s, r) => s + (r.savedCostUsd ?? 0), 0);
  const errors = records.filter((r) => r.status !== 'ok').length;
  const parts = [`${records.length} request${records.length === 1 ? '' : 's'} (newest first)`, `cost ${formatUsd(cost)}`];
  if (saved > 0) parts.push(`saved ${formatUsd(saved)}`);
  if (errors > 0) parts.push(`${errors} not ok`);
  return parts.join(', ');
}
