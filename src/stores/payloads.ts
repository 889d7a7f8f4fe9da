// The payload store's contract: the (redacted) request of each ledger record, by requestId, kept
// only when `payloadStore.enabled` is true (off by default), so that replay can run recorded
// traffic with its prompts. Rules every implementation keeps:
// - put() never blocks the request path: writes are queued and flushed off the event loop's turn,
//   the queue is bounded (pendingBytes), and what does not fit is counted in `dropped`, not lost
//   silently;
// - the store is bounded (maxBytes): past it, new payloads are counted in `skipped` and not kept;
// - put() redacts (payload-redact.ts) before anything is kept: a clear prompt is never stored.
// Implementations: MemoryPayloadStore (tests, the SDK) and JsonlPayloadStore (<dataDir>/payloads.jsonl).

import { appendFile, mkdir } from 'node:fs/promises';
import { createReadStream, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ChatRequest, WireFormat } from '../core/canonical.js';
import { redactRequest } from './payload-redact.js';

export interface StoredPayload {
  requestId: string;
  receivedAt: number;
  format: WireFormat;
  endpoint: string;
  request: ChatRequest;
}

export interface PayloadStats {
  stored: number;
  dropped: number;
  skipped: number;
  bytes: number;
}

export interface PayloadStore {
  put(p: StoredPayload): void;
  /** every stored payload, oldest first (streamed: the caller keeps what it needs) */
  entries(): AsyncIterable<StoredPayload>;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): PayloadStats;
}

export const DEFAULT_PAYLOAD_MAX_BYTES = 256 * 1024 * 1024;
const MAX_PENDING_BYTES = 8 * 1024 * 1024;
const FLUSH_MS = 200;

export class MemoryPayloadStore implements PayloadStore {
  private readonly items: StoredPayload[] = [];
  private s: PayloadStats = { stored: 0, dropped: 0, skipped: 0, bytes: 0 };
  constructor(private readonly maxBytes = DEFAULT_PAYLOAD_MAX_BYTES) {}
  put(raw: StoredPayload): void {
    const p = { ...raw, request: redactRequest(raw.request) };
    const size = JSON.stringify(p).length;
    if (this.s.bytes + size > this.maxBytes) {
      this.s.skipped++;
      return;
    }
    this.items.push(p);
    this.s.stored++;
    this.s.bytes += size;
  }
  async *entries(): AsyncIterable<StoredPayload> {
    yield* this.items;
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  stats(): PayloadStats {
    return { ...this.s };
  }
}

export class JsonlPayloadStore implements PayloadStore {
  readonly path: string;
  private pending: string[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private s: PayloadStats = { stored: 0, dropped: 0, skipped: 0, bytes: 0 };

  constructor(dataDir: string, private readonly maxBytes = DEFAULT_PAYLOAD_MAX_BYTES) {
    this.path = join(dataDir, 'payloads.jsonl');
  }

  put(raw: StoredPayload): void {
    let line: string;
    try {
      line = JSON.stringify({ ...raw, request: redactRequest(raw.request) }) + '\n';
    } catch {
      this.s.dropped++;
      return;
    }
    const size = Buffer.byteLength(line);
    if (this.s.bytes + size > this.maxBytes) {
      this.s.skipped++;
      return;
    }
    if (this.pendingBytes + size > MAX_PENDING_BYTES) {
      this.s.dropped++;
      return;
    }
    this.pending.push(line);
    this.pendingBytes += size;
    this.s.bytes += size;
    this.s.stored++;
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (lines.length) {
      this.writing = this.writing.then(async () => {
        try {
          await mkdir(dirname(this.path), { recursive: true });
          await appendFile(this.path, lines.join(''));
        } catch {
          this.s.dropped += lines.length;
          this.s.stored -= lines.length;
        }
      });
    }
    return this.writing;
  }

  async *entries(): AsyncIterable<StoredPayload> {
    await this.flush();
    yield* readPayloadFile(this.path);
  }

  async close(): Promise<void> {
    await this.flush();
  }

  stats(): PayloadStats {
    return { ...this.s };
  }
}

/** the payloads of a data directory, oldest first; nothing when the store was never on */
export async function* readPayloadFile(path: string): AsyncIterable<StoredPayload> {
  if (!existsSync(path)) return;
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    try {
      yield JSON.parse(line) as StoredPayload;
    } catch {
      // a torn last line after a crash: skip it
    }
  }
}
