// The last N records the engine committed, by request id, so a client that cannot read HTTP
// trailers can still read what its request cost (GET /v1/tollgate/requests/{id}). A record enters
// once it is durable in the ledger, and the oldest leaves when the count passes the limit: memory
// stays bounded whatever the traffic. Older requests are in the ledger (`tollgate ledger`).

import type { RequestRecord } from '../ledger/record.js';

export class RecentRecords {
  private readonly byId = new Map<string, RequestRecord>();
  constructor(readonly limit: number) {}

  add(record: RequestRecord): void {
    if (this.limit <= 0) return;
    this.byId.delete(record.requestId);
    this.byId.set(record.requestId, record);
    if (this.byId.size > this.limit) this.byId.delete(this.byId.keys().next().value!);
  }

  get(requestId: string): RequestRecord | undefined {
    return this.byId.get(requestId);
  }

  get size(): number {
    return this.byId.size;
  }
}
