// Moves journal lines into a LedgerStore (SQLite by default). Runs inside the ingest worker (never
// on the gateway's event loop) and in tests directly.
//
// One pass: list the segments, then read from the consumed position to the end of the journal
// in chunks; each chunk's complete lines go into the store in one transaction together with the new
// position. A segment is final once a later one exists (listed before reading it); a final
// segment read to its end is left behind (state moves to the next one) and deleted. A line that
// does not parse, or a partial line at the end of a final segment, is counted as corrupt.

import { closeSync, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import type { RequestRecord } from './record.js';
import { listSegments, segmentPath } from './journal.js';
import { rowOf, type IngestState, type LedgerEntry, type LedgerStore } from '../stores/ledger.js';

export type { IngestState } from '../stores/ledger.js';

export interface IngestProgress {
  state: IngestState;
  inserted: number;
}

export interface IngesterOptions {
  /** bytes read (and committed) per transaction; bounds the ingester's memory */
  chunkBytes: number;
}

const NEWLINE = 0x0a;

/** Parse one journal line; null when it is not a record a store can keep. */
export function parseJournalLine(line: string): RequestRecord | null {
  try {
    const rec = JSON.parse(line) as RequestRecord;
    if (rec === null || typeof rec !== 'object') return null;
    rowOf(rec); // throws when a column every store requires is missing: such a line is corrupt
    return rec;
  } catch {
    return null;
  }
}

export class Ingester {
  private buf: Buffer;

  private constructor(
    private readonly dataDir: string,
    private readonly store: LedgerStore,
    private state: IngestState,
    opts: IngesterOptions,
  ) {
    this.buf = Buffer.allocUnsafe(opts.chunkBytes);
  }

  /** resumes from the state the store holds */
  static async open(dataDir: string, store: LedgerStore, opts: IngesterOptions): Promise<Ingester> {
    return new Ingester(dataDir, store, await store.ingestState(), opts);
  }

  position(): IngestState {
    return { ...this.state };
  }

  /** Ingest everything in the journal now; onCommit is told after every transaction. Never run two passes at once. */
  async runPass(onCommit: (p: IngestProgress) => void): Promise<void> {
    const segments = listSegments(this.dataDir);
    for (const n of segments) if (n < this.state.segment) removeSegment(this.dataDir, n);
    const remaining = segments.filter((n) => n >= this.state.segment);
    for (let i = 0; i < remaining.length; i++) {
      const seg = remaining[i]!;
      const final = i < remaining.length - 1;
      if (seg !== this.state.segment) await this.commit([], { ...this.state, segment: seg, offset: 0 }, onCommit);
      await this.ingestSegment(seg, final, onCommit);
      if (!final) return;
      // Final and read to its end: step past it, then delete it.
      await this.commit([], { ...this.state, segment: remaining[i + 1]!, offset: 0 }, onCommit);
      removeSegment(this.dataDir, seg);
    }
  }

  private async ingestSegment(seg: number, final: boolean, onCommit: (p: IngestProgress) => void): Promise<void> {
    let fd: number;
    try {
      fd = openSync(segmentPath(this.dataDir, seg), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      let offset = this.state.offset;
      let corrupt = this.state.corrupt;
      for (;;) {
        const n = readSync(fd, this.buf, 0, this.buf.length, offset);
        if (n === 0) break;
        const lastNl = this.buf.lastIndexOf(NEWLINE, n - 1);
        if (lastNl < 0) {
          if (n < this.buf.length) break; // a line still being written, or a partial tail
          // One line longer than a whole chunk: not something append() produces; skip it.
          offset = this.skipLine(fd, offset);
          corrupt++;
          await this.commit([], { segment: seg, offset, corrupt }, onCommit);
          continue;
        }
        const batch: LedgerEntry[] = [];
        for (const line of this.buf.toString('utf8', 0, lastNl).split('\n')) {
          if (line.length === 0) continue;
          const rec = parseJournalLine(line);
          if (rec) batch.push({ rec, json: line });
          else corrupt++;
        }
        offset += lastNl + 1;
        await this.commit(batch, { segment: seg, offset, corrupt }, onCommit);
      }
      if (final && fstatSync(fd).size > offset) {
        // the partial line a short write or a killed writer left behind
        await this.commit([], { segment: seg, offset, corrupt: corrupt + 1 }, onCommit);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** offset just past the next newline at or after `from` (or the end of the file) */
  private skipLine(fd: number, from: number): number {
    let offset = from;
    for (;;) {
      const n = readSync(fd, this.buf, 0, this.buf.length, offset);
      if (n === 0) return offset;
      const nl = this.buf.indexOf(NEWLINE);
      if (nl >= 0 && nl < n) return offset + nl + 1;
      offset += n;
    }
  }

  private async commit(batch: LedgerEntry[], state: IngestState, onCommit: (p: IngestProgress) => void): Promise<void> {
    const inserted = await this.store.commit(batch, state);
    this.state = state;
    onCommit({ state: { ...state }, inserted });
  }
}

function removeSegment(dataDir: string, n: number): void {
  try {
    unlinkSync(segmentPath(dataDir, n));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
