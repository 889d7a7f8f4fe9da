// Reading the ledger: SQLite (read-only) plus the journal lines the ingester has not consumed
// yet, so a reader is exact right after a request, even when the gateway is down.
//
// Race-free without locks: read the consumed position P1, read the journal from P1, then take one
// snapshot of SQLite (its position P2 and its rows). Lines before P2 are in that snapshot
// (position and rows commit together, and a segment is deleted only after the position passed
// it); lines at or after P2 are folded in from what was read.

import { closeSync, openSync, readSync } from 'node:fs';
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
    for (const line of linesFrom(segmentPath(dataDir, seg), seg === from.segment ? from.offset : 0)) {
      const rec = parseJournalLine(line.text);
      if (rec && keep(rec)) out.push({ pos: { segment: seg, offset: line.offset }, rec, n: n++ });
      if (out.length >= 2 * limit) out = out.sort(newestFirst).slice(0, limit);
    }
  }
  return out.sort(newestFirst).slice(0, limit);
}

const CHUNK_BYTES = 1024 * 1024;
/** a line longer than this is skipped (append() never writes one; the ingester counts it corrupt) */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * The complete lines of a file from `start`, read a chunk at a time so memory stays at one chunk
 * (or one line, when a line is longer); a partial last line is not yielded. A file deleted
 * meanwhile yields nothing: it was ingested, and the store's snapshot has its lines.
 */
function* linesFrom(path: string, start: number): Generator<{ offset: number; text: string }> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    let buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let pos = start;
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, pos);
      if (got === 0) return;
      const chunk = buf.subarray(0, got);
      let lineStart = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, lineStart)) {
        yield { offset: pos + lineStart, text: chunk.toString('utf8', lineStart, nl) };
        lineStart = nl + 1;
      }
      if (lineStart > 0) {
        pos += lineStart;
        continue;
      }
      if (got < buf.length) return; // a partial line at the end: not a record (yet)
      if (buf.length < MAX_LINE_BYTES) {
        buf = Buffer.allocUnsafe(buf.length * 2); // one line longer than the buffer
        continue;
      }
      const next = nextLineStart(fd, buf, pos);
      if (next === undefined) return;
      pos = next;
    }
  } finally {
    closeSync(fd);
  }
}

/** the offset just past the next newline at or after `from`; undefined when there is none */
function nextLineStart(fd: number, buf: Buffer, from: number): number | undefined {
  for (let pos = from; ; ) {
    const got = readSync(fd, buf, 0, buf.length, pos);
    if (got === 0) return undefined;
    const nl = buf.subarray(0, got).indexOf(0x0a);
    if (nl >= 0) return pos + nl + 1;
    pos += got;
  }
}
