// Start-up: how long `npm start` (or any command) takes until the gateway answers /health.
//   node bench/startup.mjs [--runs 5] [--port 18787] [-- cmd args...]   (default: npm start)
// Each run spawns the command with PORT set, polls GET /health every 50 ms, then stops it.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const sep = process.argv.indexOf('--');
const { values } = parseArgs({ args: process.argv.slice(2, sep < 0 ? undefined : sep), options: { runs: { type: 'string', default: '5' }, port: { type: 'string', default: '18787' } } });
const cmd = sep < 0 ? ['npm', 'start', '--silent', '--', '--rate', '0'] : process.argv.slice(sep + 1);
const port = Number(values.port);

async function once() {
  const t0 = performance.now();
  const child = spawn(cmd[0], cmd.slice(1), { env: { ...process.env, PORT: String(port), TOLLGATE_DATA_DIR: `/tmp/tollgate-startup-${process.pid}` }, stdio: 'ignore', detached: true });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/health`);
        if (r.ok) return performance.now() - t0;
      } catch {}
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    process.kill(-child.pid, 'SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

const times = [];
for (let i = 0; i < Number(values.runs); i++) times.push(await once());
times.sort((a, b) => a - b);
console.log(JSON.stringify({ cmd: cmd.join(' '), runs: times.length, medianMs: Math.round(times[times.length >> 1]), minMs: Math.round(times[0]), maxMs: Math.round(times.at(-1)) }));
