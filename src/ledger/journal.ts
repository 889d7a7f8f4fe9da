// The ledger's journal: append-only JSON-lines segment files under <dataDir>/ledger/.
//
// Why a journal in front of SQLite: a record must survive `kill -9` of the gateway the moment
// append() returns, yet the hot path must not wait on a database. One write(2) of one line to a
// file lands in the OS page cache (microseconds, no fsync) and outlives the process; the ingester
// (a worker thread) moves lines into SQLite later. The journal IS the queue, on disk, so a slow
// or stalled ingester costs disk space, never heap.
//
// Segment rules the ingester relies on:
// - one writer per data directory; each process starts a NEW segment (numbered above every
//   existing one, created exclusively), so a killed process's half-written tail is never
//   appended to;
// - once a later segment exists, an earlier one is final (the writer only ever moves forward);
// - the newest segment is never deleted, so numbering never goes backwards.

import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const JOURNAL_DIR = 'ledger';
const SEGMENT_RE = /^journal-(\d{6,})\.jsonl$/;

export function journalDir(dataDir: string): string {
  return join(dataDir, JOURNAL_DIR);
}

export function segmentName(n: number): string {
  return `journal-${String(n).padStart(6, '0')}.jsonl`;
}

export function segmentPath(dataDir: string, n: number): string {
  return join(journalDir(dataDir), segmentName(n));
}

/** Segment numbers present in the journal directory, ascending; [] when it does not exist. */
export function listSegments(dataDir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(journalDir(dataDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: number[] = [];
  for (const name of names) {
    const m = SEGMENT_RE.exec(name);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

const LOCK_FILE = 'writer.lock';
/** data directories this process is writing, so a second ledger on one of them is refused too */
const heldHere = new Set<string>();

/**
 * One writer per data directory: two would make each other's live segment look final to the
 * ingester, which then deletes it under the other's feet. The lock file holds the writer's pid;
 * a lock whose process is gone (kill -9) is taken over.
 */
export function acquireWriterLock(dataDir: string): () => void {
  const dir = journalDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/${LOCK_FILE}`;
  if (heldHere.has(path)) throw new Error(`the ledger in ${dataDir} is already open in this process`);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new Error(`another Tollgate process (pid ${pid}) is writing the ledger in ${dataDir}; give each gateway its own data directory (--data-dir or TOLLGATE_DATA_DIR)`);
      }
      unlinkSync(path); // stale: its writer is gone
    }
  }
  heldHere.add(path);
  return () => {
    heldHere.delete(path);
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface JournalPosition {
  segment: number;
  offset: number;
}

export function comparePositions(a: JournalPosition, b: JournalPosition): number {
  return a.segment - b.segment || a.offset - b.offset;
}

export interface JournalWriterOptions {
  dataDir: string;
  /** roll over to a new segment once the current one would exceed this many bytes */
  segmentBytes: number;
  /** called once per burst of failures (not per record), with a message free of record content */
  onError: (message: string) => void;
}

/**
 * Synchronous, single-threaded appender. append() never throws: a failed or short write counts
 * the record as dropped and makes the next append start a fresh segment (the partial line left
 * behind is skipped, and counted, by the ingester).
 */
export class JournalWriter {
  private fd: number | null = null;
  private segment = 0;
  private size = 0;
  /** bytes written per segment of this process, until the ingester reports them consumed */
  private readonly sizes = new Map<number, number>();
  private failing = false;
  private droppedInBurst = 0;
  appended = 0;
  dropped = 0;

  constructor(private readonly opts: JournalWriterOptions) {
    mkdirSync(journalDir(opts.dataDir), { recursive: true });
    this.openNextSegment();
  }

  /** where the next byte will go: everything appended so far lies before this position */
  position(): JournalPosition {
    return { segment: this.segment, offset: this.size };
  }

  /** writes `lines` (one or more complete JSON lines holding `count` records) with one write(2) */
  append(line: string, count = 1): boolean {
    const buf = Buffer.from(line, 'utf8');
    try {
      if (this.fd === null || (this.size > 0 && this.size + buf.length > this.opts.segmentBytes)) {
        this.openNextSegment();
      }
      const written = writeSync(this.fd as number, buf, 0, buf.length, null);
      if (written !== buf.length) {
        // A short write (disk full) leaves a partial line: abandon this segment.
        this.size += written;
        this.sizes.set(this.segment, this.size);
        this.closeFd();
        throw new Error(`short write to journal (${written} of ${buf.length} bytes)`);
      }
      this.size += buf.length;
      this.sizes.set(this.segment, this.size);
      this.appended += count;
      if (this.failing) {
        this.opts.onError(`ledger journal writable again after ${this.droppedInBurst} dropped record(s)`);
        this.failing = false;
        this.droppedInBurst = 0;
      }
      return true;
    } catch (err) {
      this.dropped += count;
      this.droppedInBurst += count;
      if (!this.failing) {
        this.failing = true;
        const e = err as NodeJS.ErrnoException;
        this.opts.onError(`ledger journal write failed (${e.code ?? e.message}); records are counted as dropped until it recovers`);
      }
      return false;
    }
  }

  /** bytes appended by this process that the ingester has not consumed yet */
  pendingBytes(consumed: JournalPosition): number {
    let pending = 0;
    for (const [seg, size] of this.sizes) {
      if (seg < consumed.segment) this.sizes.delete(seg);
      else if (seg === consumed.segment) pending += Math.max(0, size - consumed.offset);
      else pending += size;
    }
    return pending;
  }

  close(): void {
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // closing a broken descriptor cannot lose anything already written
      }
      this.fd = null;
    }
  }

  private openNextSegment(): void {
    this.closeFd();
    const existing = listSegments(this.opts.dataDir);
    let n = Math.max(this.segment, existing.length ? existing[existing.length - 1]! : 0) + 1;
    // 'ax' (O_APPEND|O_EXCL): never share a segment with another writer or with a killed process's leftovers.
    for (;;) {
      try {
        this.fd = openSync(segmentPath(this.opts.dataDir, n), 'ax');
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        n++;
      }
    }
    this.segment = n;
    this.size = 0;
    this.sizes.set(n, 0);
  }
}
