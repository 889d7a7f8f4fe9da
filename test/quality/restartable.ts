// A simulator and a gateway in front of it that can be restarted on the same data dir (the quality
// store, the cache and the ledger carry over), with a local webhook that records signed notices.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../src/sim/index.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';
import { resolveConfig } from '../../src/config/load.js';
import { demoConfig } from '../../src/config/demo.js';
import { HARNESS_ADMIN_KEY } from '../gateway/helpers.js';

export interface Notice {
  body: string;
  sig?: string;
}

export interface Restartable {
  sim: { url: string; close(): Promise<void> };
  gw: RunningGateway;
  dataDir: string;
  hookUrl: string;
  notices: Notice[];
  /** close the gateway and start it again on the same data dir; `extra` replaces config keys for the new one */
  restart(extra?: Record<string, unknown>): Promise<RunningGateway>;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startRestartable(extra: (hookUrl: string) => Record<string, unknown>, simOpts: Record<string, unknown> = {}): Promise<Restartable> {
  const notices: Notice[] = [];
  const hook: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      notices.push({ body, sig: req.headers['x-tollgate-signature'] as string | undefined });
      res.end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
  const sim = await startSimulator({ port: 0, latencyScale: 0, seed: 7, ...simOpts });
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-quality-'));
  const configOf = (more: Record<string, unknown>) =>
    resolveConfig({ ...demoConfig({ simUrl: sim.url, port: 0, dataDir, levers: false, adminKey: HARNESS_ADMIN_KEY }), ...extra(hookUrl), ...more }, '(test)', {});
  const h: Restartable = {
    sim,
    gw: await startGateway({ config: configOf({}), port: 0 }),
    dataDir,
    hookUrl,
    notices,
    async restart(more = {}) {
      await h.gw.close();
      h.gw = await startGateway({ config: configOf(more), port: 0 });
      return h.gw;
    },
    async admin(method, path, body) {
      const res = await fetch(`${h.gw.url}${path}`, { method, headers: { authorization: `Bearer ${HARNESS_ADMIN_KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: await res.json() };
    },
    async close() {
      await h.gw.close();
      await sim.close();
      await new Promise<void>((r) => hook.close(() => r()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}
