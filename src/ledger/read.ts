// Reading the ledger: SQLite (read-only) plus the journal lines the ingester has not consumed
// yet, so a reader is exact right after a request, even when the gateway is down.
//
// Race-free without locks: read the consumed position P1, read the journal from P1, then take one
// snapshot of SQLite (its position P2 and its rows). Lines before P2 are in that snapshot
// (position and rows commit together, and a segment is deleted only after the position passed
// it); lines at or after P2 are folded in from what was read.

import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import type { RequestRecord } from './record.js';
import { comparePositions, listSegments, segmentPath, type JournalPosition } from './journal.js';
import { parseJournalLine } from './ingest.js';
import { MAX_QUERY_LIMIT, matcher, rowOf, type LedgerFilter } from '../stores/ledger.js';
import { SqliteLedgerStore } from '../stores/sqlite/ledger-store.js';

/** A ledger filter plus how many records (newest first): at most MAX_QUERY_LIMIT, which is also the default. */
export type LedgerQuery = LedgerFilter & { last?: number };

interface JournalEntry {
  pos: JournalPosition;
  rec: RequestRecord;
  /** append order, to break ties of receivedAt */
  n: number;
}

/** Newest first; `last` above MAX_QUERY_LIMIT is read as MAX_QUERY_LIMIT (page with a LedgerReader for more). */
export function readLedger(dataDir: string, q: LedgerQuery): RequestRecord[] {
  const { last, ...filter } = q;
  const limit = Math.min(last ?? MAX_QUERY_LIMIT, MAX_QUERY_LIMIT);
  const test = matcher(filter); // the one filter implementation, also what the store compiles to SQL
  const store = SqliteLedgerStore.openReadOnly(dataDir);
  try {
    const p1 = store ? store.ingestState() : { segment: 0, offset: 0 };
    const journal = readJournalFrom(dataDir, p1, (rec) => test(rowOf(rec)), limit);
    // one snapshot: the rows and the position they are complete up to
    const page = store ? store.query(filter, { limit, order: 'newest' }) : { records: [], position: p1 };
    const p2 = page.position;
    const storedIds = new Set(page.records.map((r) => r.requestId));
    const pending = journal.filter((e) => comparePositions(e.pos, p2) >= 0 && !storedIds.has(e.rec.requestId)).map((e) => e.rec);
    return mergeNewestFirst(pending, page.records).slice(0, limit);
  } finally {
    store?.close();
  }
}

/** both inputs newest first; on equal times the journal (appended later) comes first */
function mergeNewestFirst(journal: RequestRecord[], stored: RequestRecord[]): RequestRecord[] {
  const out: RequestRecord[] = [];
  let i = 0;
  let j = 0;
  while (i < journal.length || j < stored.length) {
    if (j >= stored.length || (i < journal.length && journal[i]!.receivedAt >= stored[j]!.receivedAt)) out.push(journal[i++]!);
    else out.push(stored[j++]!);
  }
  return out;
}

/** newest first, equal times latest appended first */
function newestFirst(a: JournalEntry, b: JournalEntry): number {
  return b.rec.receivedAt - a.rec.receivedAt || b.n - a.n;
}

/**
 * The newest `limit` matching complete journal lines at or after `from`, newest first. Keeping
 * only those is enough: a line dropped here is behind `limit` newer ones, which the merged answer
 * has too (in the journal or in the store).
 */
function readJournalFrom(dataDir: string, from: JournalPosition, keep: (rec: RequestRecord) => boolean, limit: number): JournalEntry[] {
  let out: JournalEntry[] = [];
  let n = 0;
  for (const seg of listSegments(dataDir)) {
    if (seg < from.segment) continue;
    const start = seg === from.segment ? from.offset : 0;
    const buf = readFileFrom(segmentPath(dataDir, seg), start);
    if (!buf) continue; // ingested and deleted meanwhile: the snapshot has it
    let lineStart = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, lineStart);
      if (nl < 0) break; // a partial line: not a record (yet)
      const rec = parseJournalLine(buf.toString('utf8', lineStart, nl));
      if (rec && keep(rec)) out.push({ pos: { segment: seg, offset: start + lineStart }, rec, n: n++ });
      if (out.length >= 2 * limit) out = out.sort(newestFirst).slice(0, limit);
      lineStart = nl + 1;
    }
  }
  return out.sort(newestFirst).slice(0, limit);
}

function readFileFrom(path: string, start: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(Math.max(0, size - start));
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

