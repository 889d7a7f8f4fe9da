// Child processes and temp dirs for the benches, with cleanup that runs on normal exit, on
// failure, on Ctrl-C / SIGTERM and on an overall deadline.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set();
const tempDirs = new Set();

export function makeTempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/**
 * Start `node <args>` and resolve once a stdout line matches `ready` (its first capture group is
 * returned as `match`). Rejects if the process exits first or `timeoutMs` passes.
 */
export function startNode(name, args, { ready, timeoutMs = 30_000, env = process.env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
    children.add(child);
    let out = '';
    let err = '';
    let done = false;
    const finish = (fn, v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn(v);
    };
    const timer = setTimeout(() => finish(reject, new Error(`${name}: not ready after ${timeoutMs} ms\n${tail(out)}\n${tail(err)}`)), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      out = (out + d).slice(-8192);
      const m = ready && out.match(ready);
      if (m) finish(resolve, { name, child, match: m[1], stderr: () => err, stdout: () => out });
    });
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-8192);
    });
    child.on('exit', (code, signal) => {
      children.delete(child);
      finish(reject, new Error(`${name}: exited (${code ?? signal}) before it was ready\n${tail(out)}\n${tail(err)}`));
    });
    child.on('error', (e) => finish(reject, e));
  });
}

function tail(s) {
  return s.split('\n').slice(-15).join('\n');
}

/** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
export function stopChild(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      children.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Synchronous last-resort cleanup (safe in 'exit' handlers). */
export function cleanupSync() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

export function installCleanup() {
  process.on('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      console.error(`\nbench: ${sig}, cleaning up`);
      cleanupSync();
      process.exit(130);
    });
  }
}
