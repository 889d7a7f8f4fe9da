// The processes the reliability harnesses run against: the simulator (`tollgate sim`) and the
// gateway (`tollgate serve` on the built dist) as separate child processes, so a frozen gateway
// loop cannot hide behind a frozen simulator (or the harness) and a crash is a real exit.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeTempDir, startNode, stopChild } from './children.mjs';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'bin', 'tollgate.mjs');

export function assertBuilt() {
  if (!existsSync(join(root, 'dist', 'config', 'demo.js'))) throw new Error('dist/ is missing: run `npm run build` first');
}

/** `tollgate sim` in its own process; latency 0 unless asked (the harness measures the gateway). */
export async function startSim({ seed = 42, latencyScale = 0 } = {}) {
  const p = await startNode('sim', [cli, 'sim', '--port', '0', '--seed', String(seed), '--latency-scale', String(latencyScale)], {
    ready: /simulated providers on (http:\/\/\S+)/,
    cwd: root,
  });
  return { ...p, url: p.match, stop: () => stopChild(p.child) };
}

/**
 * The demo's own config (providers, models and, with `levers`, the cache and the `auto` route)
 * pointed at the simulator, written as JSON (valid YAML), plus `extra` top-level keys.
 */
export async function writeGatewayConfig({ simUrl, dataDir, levers = true, extra = {} }) {
  const { demoConfig } = await import(pathToFileURL(join(root, 'dist', 'config', 'demo.js')).href);
  const cfg = { ...demoConfig({ simUrl, port: 0, dataDir, levers }), ...extra };
  const file = join(makeTempDir('tollgate-harness-cfg-'), 'tollgate.json.yaml');
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

/** `tollgate serve` as a child; resolves when it prints its URL. `exited` tells how it ended. */
export async function startGateway(configFile, { nodeArgs = [], env = process.env } = {}) {
  const e = { ...env };
  delete e.TOLLGATE_DATA_DIR;
  const p = await startNode('gateway', [...nodeArgs, cli, 'serve', '--config', configFile, '--port', '0'], {
    ready: /gateway listening on (http:\/\/\S+)/,
    cwd: root,
    env: e,
    timeoutMs: 60_000,
  });
  const url = p.match.replace(/\/+$/, '');
  const gw = {
    ...p,
    url,
    port: Number(new URL(url).port),
    exit: null,
    stop: (graceMs = 30_000) => stopChild(p.child, graceMs),
    kill9: () =>
      new Promise((res) => {
        if (p.child.exitCode !== null || p.child.signalCode !== null) return res();
        p.child.once('exit', () => res());
        p.child.kill('SIGKILL');
      }),
  };
  p.child.once('exit', (code, signal) => (gw.exit = { code, signal, at: Date.now() }));
  return gw;
}

/**
 * What the ledger holds, read from its on-disk contract without the gateway: the SQLite rows
 * plus the journal lines the ingester has not consumed yet (after a kill -9 they exist only
 * there). Returns requestId -> record (parsed lazily: `get(id)` parses on demand).
 */
export async function readLedgerIds(dataDir, { idsOnly = false } = {}) {
  const { default: Database } = await import('better-sqlite3');
  const ids = new Map(); // id -> raw JSON (string) or null when only the id is needed
  let pos = { segment: 0, offset: 0 };
  const dbFile = join(dataDir, 'ledger.db');
  if (existsSync(dbFile)) {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      db.transaction(() => {
        const st = db.prepare('SELECT segment, offset FROM ingest_state WHERE id = 1').get();
        if (st) pos = st;
        const q = idsOnly ? 'SELECT request_id, NULL AS record FROM requests' : 'SELECT request_id, record FROM requests';
        for (const row of db.prepare(q).iterate()) ids.set(row.request_id, row.record);
      })();
    } finally {
      db.close();
    }
  }
  const dir = join(dataDir, 'ledger');
  let journalPending = 0;
  if (existsSync(dir)) {
    const segs = readdirSync(dir)
      .map((n) => /^journal-(\d{6,})\.jsonl$/.exec(n))
      .filter(Boolean)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const s of segs) {
      if (s < pos.segment) continue;
      let buf = readFileSync(join(dir, `journal-${String(s).padStart(6, '0')}.jsonl`));
      if (s === pos.segment) buf = buf.subarray(pos.offset);
      for (const line of buf.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const rec = JSON.parse(line);
          if (rec && typeof rec.requestId === 'string' && !ids.has(rec.requestId)) {
            ids.set(rec.requestId, idsOnly ? null : line);
            journalPending++;
          }
        } catch {
          // a torn last line of a killed writer: not a record
        }
      }
    }
  }
  return {
    size: ids.size,
    journalPending,
    has: (id) => ids.has(id),
    get: (id) => {
      const raw = ids.get(id);
      if (raw == null) return null;
      try {
        return JSON.parse(raw);
      } catch {
        return null;
      }
    },
  };
}

const UPSTREAM_FAILURES = new Set(['server', 'overloaded', 'timeout', 'connection', 'stream_cut', 'stream_error', 'rate_limit', 'quota']);

/** Classify a 5xx by its ledger record: did an upstream attempt fail (relayed) or did the gateway make it? */
export function originOf5xx(record) {
  if (!record) return 'gateway';
  const attempts = Array.isArray(record.attempts) ? record.attempts : [];
  const upstreamFailed = attempts.some((a) => (typeof a.status === 'number' && a.status >= 500) || UPSTREAM_FAILURES.has(a.errorClass));
  return upstreamFailed ? 'upstream' : 'gateway';
}
