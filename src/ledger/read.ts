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
import { openLedgerDbReadOnly, queryLedgerDb, readIngestState, type LedgerQuery } from '../store/ledger-db.js';

export type { LedgerQuery } from '../store/ledger-db.js';

interface JournalEntry {
  pos: JournalPosition;
  rec: RequestRecord;
}

export function readLedger(dataDir: string, q: LedgerQuery): RequestRecord[] {
  const db = openLedgerDbReadOnly(dataDir);
  try {
    const p1 = db ? readIngestState(db) : { segment: 0, offset: 0 };
    const journal = readJournalFrom(dataDir, p1);
    let stored: RequestRecord[] = [];
    let p2: JournalPosition = p1;
    if (db) {
      db.transaction(() => {
        p2 = readIngestState(db);
        stored = hasRequestsTable(db) ? queryLedgerDb(db, q) : []; // created but not migrated yet
      })();
    }
    const storedIds = new Set(stored.map((r) => r.requestId));
    const pending = journal
      .filter((e) => comparePositions(e.pos, p2) >= 0 && !storedIds.has(e.rec.requestId) && matches(e.rec, q))
      .reverse() // newest appended first, so equal receivedAt keeps append order reversed
      .map((e) => e.rec)
      .sort((a, b) => b.receivedAt - a.receivedAt);
    const merged = mergeNewestFirst(pending, stored);
    return q.last === undefined ? merged : merged.slice(0, q.last);
  } finally {
    db?.close();
  }
}

function hasRequestsTable(db: NonNullable<ReturnType<typeof openLedgerDbReadOnly>>): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'requests'").get() !== undefined;
}

export function matches(rec: RequestRecord, q: LedgerQuery): boolean {
  if (q.since !== undefined && !(rec.receivedAt >= q.since)) return false;
  if (q.model !== undefined && rec.model !== q.model && rec.requestedModel !== q.model) return false;
  if (q.route !== undefined && rec.route !== q.route) return false;
  if (q.team !== undefined && rec.team !== q.team) return false;
  return true;
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

/** complete journal lines at or after `from`, in append order */
function readJournalFrom(dataDir: string, from: JournalPosition): JournalEntry[] {
  const out: JournalEntry[] = [];
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
      if (rec) out.push({ pos: { segment: seg, offset: start + lineStart }, rec });
      lineStart = nl + 1;
    }
  }
  return out;
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

