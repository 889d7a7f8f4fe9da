// The last N records the engine committed, by request id, so a client that cannot read HTTP
// trailers can still read what its request cost (GET /v1/tollgate/requests/{id}). A record enters
// once it is durable in the ledger, and the oldest leaves when the count passes the limit: memory
// stays bounded whatever the traffic. Older requests are in the ledger (`tollgate ledger`).

import type { RequestRecord } from '../ledger/record.js';

export class RecentRecords {
  private readonly byId = new Map<string, RequestRecord>();
  /**
   * ids in arrival order, a ring: the oldest leaves by its slot, not by walking the Map's keys
   * (deleting from a Map's front leaves holes that the next keys().next() walks: O(n) per insert)
   */
  private readonly order: (string | undefined)[];
  private next = 0;

  constructor(readonly limit: number) {
    this.order = new Array(Math.max(0, limit));
  }

  add(record: RequestRecord): void {
    if (this.limit <= 0) return;
    const id = record.requestId;
    if (this.byId.has(id)) {
      this.byId.set(id, record);
      return;
    }
    const old = this.order[this.next];
    if (old !== undefined) this.byId.delete(old);
    this.order[this.next] = id;
    this.next = (this.next + 1) % this.limit;
    this.byId.set(id, record);
  }

  get(requestId: string): RequestRecord | undefined {
    return this.byId.get(requestId);
  }

  get size(): number {
    return this.byId.size;
  }
}
