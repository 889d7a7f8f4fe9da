// Incremental Server-Sent Events framing over raw bytes. Upstream bytes arrive split anywhere (in
// the middle of a line, of a UTF-8 sequence, of a CRLF); the decoder returns only complete events,
// each with its exact bytes so a same-format relay can forward them untouched.

export interface SseEvent {
  /** the `event:` field, when present */
  event?: string;
  /** the `data:` lines joined with '\n' ('' when the event had none) */
  data: string;
  /** true when the event had at least one data line */
  hasData: boolean;
}

export interface SseBatch {
  /** the exact bytes of the complete events in this batch */
  raw: Buffer;
  events: SseEvent[];
}

const LF = 0x0a;
const EMPTY = Buffer.alloc(0);
const CR = 0x0d;

/** Index just past the blank line that ends the event starting at or after `from`, or -1. */
function findEventEnd(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i++) {
    const c = buf[i];
    if (c !== LF && c !== CR) continue;
    // a line terminator at i: CRLF, LF or CR
    let next = i + 1;
    if (c === CR) {
      if (next >= buf.length) return -1; // could be CR of a CRLF still to come
      if (buf[next] === LF) next++;
    }
    // the event ends if the next line is empty: another terminator right away
    if (next >= buf.length) return -1;
    const d = buf[next];
    if (d === LF) return next + 1;
    if (d === CR) {
      if (next + 1 >= buf.length) return -1;
      return buf[next + 1] === LF ? next + 2 : next + 1;
    }
    i = next - 1;
  }
  return -1;
}

export function parseSseEvent(text: string): SseEvent {
  // fast path, nearly every event of a chat stream: one `data: ...` line, LF-terminated
  if (text.startsWith('data: ')) {
    const nl = text.indexOf('\n');
    if (nl === text.length - 2 && text.charCodeAt(nl + 1) === LF && text.indexOf('\r') === -1) {
      return { event: undefined, data: text.slice(6, nl), hasData: true };
    }
  }
  let event: string | undefined;
  const data: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  }
  return { event, data: data.join('\n'), hasData: data.length > 0 };
}

export class SseDecoder {
  // Only the bytes of the event in progress are kept (events are small), and they are rescanned
  // from the event's start on each push: a terminator split across pushes is then never misread.
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns the complete events they finish (or null when none finished). */
  push(bytes: Buffer): SseBatch | null {
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    let start = 0;
    let end = findEventEnd(this.pending, 0);
    if (end === -1) return null;
    const events: SseEvent[] = [];
    while (end !== -1) {
      const ev = parseSseEvent(this.pending.toString('utf8', start, end));
      if (ev.hasData || ev.event !== undefined) events.push(ev);
      start = end;
      end = findEventEnd(this.pending, start);
    }
    const raw = this.pending.subarray(0, start);
    // the usual case ends on an event boundary: nothing to keep, nothing to copy
    this.pending = start === this.pending.length ? EMPTY : Buffer.from(this.pending.subarray(start));
    return { raw, events };
  }

  /** At end of input: a last event without its blank line still counts (as browsers do not, but servers forget it). */
  end(): SseBatch | null {
    if (this.pending.length === 0) return null;
    const raw = this.pending;
    this.pending = Buffer.alloc(0);
    const ev = parseSseEvent(raw.toString('utf8'));
    return { raw, events: ev.hasData || ev.event !== undefined ? [ev] : [] };
  }
}
