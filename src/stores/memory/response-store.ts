// The in-memory response store (tests, the library entry): a map in insertion order, which is
// createdAt order for a gateway's clock, so the oldest entry is the first one.

import { StoreInputError } from '../types.js';
import type { ResponseStore, ResponseStoreLimits, StoredResponse } from '../responses.js';

const keyOf = (scope: string, id: string): string => `${scope}\u0000${id}`;

export class MemoryResponseStore implements ResponseStore {
  private readonly entries = new Map<string, StoredResponse>();
  /** scope + item id -> the key of the newest entry holding it */
  private readonly items = new Map<string, string>();
  private bytes = 0;

  constructor(private readonly limits: ResponseStoreLimits) {}

  put(entry: StoredResponse): void {
    if (entry.bytes > this.limits.maxTotalBytes) throw new StoreInputError(`a stored response of ${entry.bytes} bytes is larger than the store's cap of ${this.limits.maxTotalBytes}`);
    this.remove(keyOf(entry.scope, entry.id));
    const k = keyOf(entry.scope, entry.id);
    this.entries.set(k, entry);
    for (const item of entry.itemIds) this.items.set(keyOf(entry.scope, item), k);
    this.bytes += entry.bytes;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.limits.maxTotalBytes) break;
      if (e === entry) continue;
      this.remove(k);
    }
  }

  get(scope: string, id: string, now: number): StoredResponse | undefined {
    const e = this.entries.get(keyOf(scope, id));
    return e && e.expiresAt > now ? e : undefined;
  }

  getByItem(scope: string, itemId: string, now: number): StoredResponse | undefined {
    const k = this.items.get(keyOf(scope, itemId));
    const e = k === undefined ? undefined : this.entries.get(k);
    return e && e.expiresAt > now ? e : undefined;
  }

  delete(scope: string, id: string): boolean {
    return this.remove(keyOf(scope, id));
  }

  sweep(now: number): number {
    let n = 0;
    for (const [k, e] of this.entries) if (e.expiresAt <= now && this.remove(k)) n++;
    return n;
  }

  stats(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  close(): void {
    this.entries.clear();
    this.items.clear();
    this.bytes = 0;
  }

  private remove(k: string): boolean {
    const e = this.entries.get(k);
    if (!e) return false;
    this.entries.delete(k);
    for (const item of e.itemIds) {
      const ik = keyOf(e.scope, item);
      if (this.items.get(ik) === k) this.items.delete(ik);
    }
    this.bytes -= e.bytes;
    return true;
  }
}
