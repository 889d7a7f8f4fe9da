// `node bench/edge-connections.mjs`: what the gateway does with held connections under its default
// `server.*` limits (issue 13, finding 10: 100 slow bodies and 2,000 idle sockets were all still
// open after 90 s). Opens N idle sockets and M slow bodies (headers sent, a few body bytes, then
// nothing) against the demo config with default limits, and reports how many are still open over
// time and when the last slow body was answered. Needs `npm run build` first.
//
//   node bench/edge-connections.mjs [--idle 2000] [--slow 100] [--watch-s 90]

import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { idle: { type: 'string', default: '2000' }, slow: { type: 'string', default: '100' }, 'watch-s': { type: 'string', default: '90' } },
});
const IDLE = Number(args.idle);
const SLOW = Number(args.slow);
const WATCH_S = Number(args['watch-s']);

const dist = new URL('../dist/', import.meta.url);
const { startSimulator } = await import(new URL('sim/index.js', dist));
const { startGateway } = await import(new URL('server/gateway.js', dist));
const { resolveConfig } = await import(new URL('config/load.js', dist));
const { demoConfig } = await import(new URL('config/demo.js', dist));

const sim = await startSimulator({ port: 0, latencyScale: 0 });
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-edge-'));
const config = resolveConfig(demoConfig({ simUrl: sim.url, port: 0, dataDir, levers: false }), '(bench)', {});
const gw = await startGateway({ config, port: 0 });
const s = config.server;
console.log(`limits: headersTimeoutMs ${s.headersTimeoutMs}, bodyTimeoutMs ${s.bodyTimeoutMs}, keepAliveTimeoutMs ${s.keepAliveTimeoutMs}, maxConnections ${s.maxConnections}, maxIdleConnections ${s.maxIdleConnections}`);

const t0 = performance.now();
const open = (onConnect) =>
  new Promise((resolve) => {
    const sock = connect(gw.port, '127.0.0.1', () => resolve(sock));
    sock.state = { open: true, status: undefined, closedAtS: undefined };
    sock.on('data', (d) => (sock.state.status ??= Number(/^HTTP\/1\.1 (\d{3})/.exec(d.toString())?.[1])));
    sock.on('error', () => {});
    sock.on('close', () => Object.assign(sock.state, { open: false, closedAtS: (performance.now() - t0) / 1000 }));
    sock.once('connect', () => onConnect?.(sock));
  });

const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] });
const slow = [];
for (let i = 0; i < SLOW; i++) {
  slow.push(await open((k) => k.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`)));
}
const idle = [];
for (let i = 0; i < IDLE; i++) idle.push(await open());

const count = (xs) => xs.filter((x) => x.state.open).length;
for (let t = 0; t <= WATCH_S; t += t < 5 ? 1 : 15) {
  await new Promise((r) => setTimeout(r, Math.max(0, t * 1000 - (performance.now() - t0))));
  console.log(`t=${String(t).padStart(3)} s  idle open ${count(idle)}/${IDLE}  slow bodies open ${count(slow)}/${SLOW}`);
  if (count(idle) === 0 && count(slow) === 0) break;
}
const statuses = {};
for (const k of slow) statuses[k.state.status ?? 'none'] = (statuses[k.state.status ?? 'none'] ?? 0) + 1;
const lastSlow = Math.max(...slow.map((k) => k.state.closedAtS ?? Infinity));
console.log(`slow bodies: answers ${JSON.stringify(statuses)}, last closed at ${lastSlow.toFixed(1)} s`);
const h = await fetch(`${gw.url}/health`);
console.log(`/health after: ${h.status}`);

for (const k of [...idle, ...slow]) k.destroy();
await gw.close();
await sim.close();
rmSync(dataDir, { recursive: true, force: true });
