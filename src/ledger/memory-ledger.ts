// A ledger with no journal, no worker and no native module: records go straight into a memory
// store that answers queries and aggregates. For the SDK entry (tollgate/engine) and tests, where
// the process is the unit of durability; the gateway uses the journal-backed ledger.

import type { RequestRecord } from './record.js';
import type { Ledger, LedgerStats } from './ledger.js';
import { MemoryLedgerStore } from '../stores/memory/ledger-store.js';

export interface MemoryLedger extends Ledger {
  /** queries and aggregates over what was recorded */
  readonly store: MemoryLedgerStore;
}

export function createMemoryLedger(): MemoryLedger {
  const store = new MemoryLedgerStore();
  let appended = 0;
  let dropped = 0;
  let offset = 0;
  const put = (record: RequestRecord): void => {
    let json: string;
    try {
      json = JSON.stringify(record);
    } catch {
      dropped++; // counted like the journal's unserialisable records, never silent
      return;
    }
    offset += json.length + 1;
    try {
      store.commit([{ rec: record, json }], { segment: 0, offset, corrupt: 0 });
      appended++;
    } catch {
      dropped++;
    }
  };
  return {
    store,
    append: put,
    appendThen(record, onDurable) {
      put(record);
      onDurable();
    },
    flush: async () => {},
    close: async () => {},
    stats(): LedgerStats {
      return { appended, stored: appended, dropped, pendingBytes: 0, corrupt: 0 };
    },
  };
}
