// Exact-hit throughput vs the floor proxy, in the same run. Needs `npm run build` (imports dist/).
// Each system runs alone in its own process (2-core box) under autocannon, 32 connections, the
// same non-streaming body; the cache server is warmed with one request so every measured request
// is an exact hit (no upstream round trip). Target: cache_hit_rps >= 1.5 x floor_rps.
//   node bench/cache-exact.mjs [--duration 10] [--connections 32]
import autocannon from 'autocannon';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installCleanup, makeTempDir, removeTempDir, startNode, stopChild } from './lib/children.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' }, rounds: { type: 'string', default: '3' } } });
installCleanup();
const body = JSON.stringify({ model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'user', content: 'What is the capital of France?' }] });
const run = (url) =>
  autocannon({ url: url + '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: Number(args.connections), duration: Number(args.duration) });

const mock = await startNode('mock', [join(here, 'lib/mock-upstream.mjs'), '0'], { ready: /LISTENING (\d+)/ });
const origin = `http://127.0.0.1:${mock.match}`;
const out = {};
// Alternate the systems over several rounds and take medians: other work on a shared box moves
// single runs by ±40%, alternating spreads that noise over both systems.
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const floor = await startNode('floor', [join(here, 'lib/floor-proxy.mjs'), origin, '0'], { ready: /LISTENING (\d+)/ });
const floorUrl = `http://127.0.0.1:${floor.match}`;
const dir = makeTempDir('tollgate-cache-bench-');
const cache = await startNode('cache', [join(here, 'cache-exact-server.mjs'), origin, dir], { ready: /LISTENING (\d+)/ });
const cacheUrl = `http://127.0.0.1:${cache.match}`;
for (let i = 0; i < 2; i++) {
  const r = await fetch(cacheUrl + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await r.text();
  if (i === 1 && r.headers.get('x-tollgate-cache') !== 'hit') throw new Error('cache server did not hit after warm-up');
}
const floorRps = [], cacheRps = [], cacheP99 = [];
let errors = 0;
for (let round = 0; round < Number(args.rounds); round++) {
  const f = await run(floorUrl);
  floorRps.push(f.requests.average);
  const c = await run(cacheUrl);
  cacheRps.push(c.requests.average);
  cacheP99.push(c.latency.p99);
  errors += f.errors + f.non2xx + c.errors + c.non2xx;
}
out.floor_rps = median(floorRps);
out.cache_hit_rps = median(cacheRps);
out.cache_hit_p99_ms = median(cacheP99);
out.rounds = { floor_rps: floorRps, cache_hit_rps: cacheRps };
out.errors = errors;
await stopChild(floor.child);
await stopChild(cache.child);
removeTempDir(dir);
await stopChild(mock.child);
out.ratio = out.cache_hit_rps / out.floor_rps;
out.target_ratio = 1.5;
out.machine = { cores: 2, node: process.version };
out.date = new Date().toISOString();
console.log(JSON.stringify(out, null, 2));
mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', 'cache.json');
const prev = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
writeFileSync(file, JSON.stringify({ ...prev, exact: out }, null, 2) + '\n');
const md = join(here, 'RESULTS-cache.md');
if (!existsSync(md)) writeFileSync(md, '## Cache\n\n');
appendFileSync(md, `- ${out.date.slice(0, 10)} exact hit: ${Math.round(out.cache_hit_rps)} rps vs floor ${Math.round(out.floor_rps)} rps = ${out.ratio.toFixed(2)}x (target 1.5x); hit p99 ${out.cache_hit_p99_ms} ms; ${args.connections} conns, ${args.rounds} alternating rounds of ${args.duration}s, medians; machine: 2 cores, Node ${process.version}\n`);
process.exit(0);
