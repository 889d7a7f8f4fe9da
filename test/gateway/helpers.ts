// Starts the simulator and a gateway in front of it, on ephemeral loopback ports, with a fresh data dir.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../src/sim/index.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';
import { resolveConfig } from '../../src/config/load.js';
import { demoConfig } from '../../src/config/demo.js';

/** the admin key of the harness's demo auth (any other key is a client) */
export const HARNESS_ADMIN_KEY = 'tg_harness_admin_key';

export interface Harness {
  sim: { url: string; close(): Promise<void> };
  gw: RunningGateway;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * `extra` replaces top-level config keys of the demo's config; `opts.extend` gets that config and
 * returns more keys (to add to a list such as providers or models rather than replace it).
 */
export async function startHarness(
  extra: Record<string, unknown> = {},
  simOpts: Record<string, unknown> = {},
  opts: { levers?: boolean; extend?: (base: { providers: unknown[]; models: unknown[] }) => Record<string, unknown> } = {},
): Promise<Harness> {
  const sim = await startSimulator({ port: 0, latencyScale: 0, seed: 7, ...simOpts });
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-test-'));
  // tests turn levers on explicitly (extra config), unless they ask for the demo's own
  const base = demoConfig({ simUrl: sim.url, port: 0, dataDir, levers: opts.levers ?? false, adminKey: HARNESS_ADMIN_KEY }) as { providers: unknown[]; models: unknown[] };
  const config = resolveConfig({ ...base, ...extra, ...(opts.extend?.(base) ?? {}) }, '(test)', {});
  const gw = await startGateway({ config, port: 0 });
  return {
    sim,
    gw,
    dataDir,
    async close() {
      await gw.close();
      await sim.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
