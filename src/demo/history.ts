// The demo's history: a month of synthetic traffic (insights/synthetic-ledger.ts; every record says
// it is demo data in trail[0], stage 'synthetic') written into the demo's data directory before the
// gateway starts, so the dashboard is full the first time it opens. Written straight into
// ledger.db through the ledger store's commit (which folds the rollups), in batches, keeping the
// journal's ingest position as it is; done once per data directory (a marker file says so).

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestRecord } from '../ledger/record.js';
import { syntheticRecords } from '../insights/synthetic-ledger.js';

export const DEMO_HISTORY_MARKER = 'demo-history.json';
export const DEMO_HISTORY_DAYS = 30;
/** ~1,000 requests a day: a month of a small team's traffic, seeded once, in seconds (see the README's demo section) */
export const DEMO_HISTORY_RECORDS = 30_000;
const BATCH = 10_000;

export interface SeedOptions {
  dataDir: string;
  /** the history ends here (default now) */
  to?: number;
  days?: number;
  count?: number;
  seed?: number;
  /** told after each batch */
  onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  seeded: boolean;
  records: number;
  from: number;
  to: number;
}

/** writes records into a data directory's ledger.db (and its rollups), leaving the journal position alone */
export async function writeRecords(dataDir: string, records: Iterable<RequestRecord>, onBatch?: (n: number) => void): Promise<number> {
  const { SqliteLedgerStore } = await import('../stores/sqlite/ledger-store.js');
  mkdirSync(dataDir, { recursive: true });
  const store = SqliteLedgerStore.open(dataDir);
  let n = 0;
  try {
    let batch: { rec: RequestRecord; json: string }[] = [];
    const commit = (): void => {
      if (batch.length === 0) return;
      n += store.commit(batch, store.ingestState());
      store.flushRollups();
      batch = [];
      onBatch?.(n);
    };
    for (const rec of records) {
      batch.push({ rec, json: JSON.stringify(rec) });
      if (batch.length >= BATCH) {
        commit();
        // a turn of the event loop between batches, so a caller's timers and signals still run
        await new Promise((r) => setImmediate(r));
      }
    }
    commit();
  } finally {
    store.close();
  }
  return n;
}

/** Seeds the demo's month of history once; a data directory that has it (or real traffic of its own) is left as it is. */
export async function seedDemoHistory(opts: SeedOptions): Promise<SeedResult> {
  const to = opts.to ?? Date.now();
  const from = to - (opts.days ?? DEMO_HISTORY_DAYS) * 86_400_000;
  const count = opts.count ?? DEMO_HISTORY_RECORDS;
  const marker = join(opts.dataDir, DEMO_HISTORY_MARKER);
  if (existsSync(marker) || existsSync(join(opts.dataDir, 'ledger.db'))) return { seeded: false, records: 0, from, to };
  const records = await writeRecords(opts.dataDir, syntheticRecords({ from, to, count, seed: opts.seed ?? 1, idPrefix: 'demo' }), (n) => opts.onProgress?.(n, count));
  writeFileSync(marker, `${JSON.stringify({ synthetic: true, records, from: new Date(from).toISOString(), to: new Date(to).toISOString() })}\n`);
  return { seeded: true, records, from, to };
}
