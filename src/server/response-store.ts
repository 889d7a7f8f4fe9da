// The gateway's response store: SQLite in the data directory (loaded only when a stateful format is
// served), bounded by the `responses` config section.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { ResponseStore } from '../stores/responses.js';

export async function openResponseStore(config: LoadedConfig): Promise<ResponseStore> {
  const { SqliteResponseStore, RESPONSES_DB_FILE } = await import('../stores/sqlite/response-store.js');
  mkdirSync(config.dataDir, { recursive: true });
  return new SqliteResponseStore(join(config.dataDir, RESPONSES_DB_FILE), { maxTotalBytes: config.responses.maxTotalBytes });
}
