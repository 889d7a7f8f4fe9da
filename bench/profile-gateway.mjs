// Where the gateway's CPU goes on the hot path, and what it costs per request next to the floor.
//
//   node bench/profile-gateway.mjs [--duration 8] [--rounds 3] [--connections 32]
//                                  [--systems floor,gateway] [--cache] [--stream] [--profile] [--top 30]
//
// Runs the zero-delay mock, then each system ONE AT A TIME under autocannon (closed loop), and
// reports per system: req/s and the CPU the system's process used per request (user + system time
// from /proc/<pid>/stat, so it does not depend on how busy the rest of the shared box was). Rounds
// alternate the systems so a noisy moment hits both; the gateway/floor ratios are per round, same
// conditions. CPU µs per request is the steadier number on a shared machine: use it to judge a change.
//
// --cache     the gateway runs with the exact cache on (any temperature); the same request repeats,
//             so after the first miss every request is a hit (no upstream call)
// --routed    the gateway runs with routing on (bench/lib/routed-config.mjs: 8 rules + the MMLU
//             classifier on the requested model name), as the `routed` system of bench:overhead
// --stream    requests ask for `stream: true` (the mock sends 24 SSE events)
// --profile   one extra gateway run under `node --cpu-prof`; prints self and inclusive time per
//             function (% of busy samples, idle and program excluded) and keeps
//             bench/results/gateway.cpuprofile for Chrome DevTools
//
// Needs a build (`npm run build`): it starts `node bin/tollgate.mjs serve`.

import autocannon from 'autocannon';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { routedGatewayConfig } from './lib/routed-config.mjs';
import { installCleanup, makeTempDir, removeTempDir, startNode, stopChild, cleanupSync } from './lib/children.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    systems: { type: 'string', default: 'floor,gateway' },
    cache: { type: 'boolean', default: false },
    // extra top-level config lines for the gateway (repeatable), e.g. --extra 'pipeline: [execute]'
    extra: { type: 'string', multiple: true, default: [] },
    routed: { type: 'boolean', default: false },
    stream: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    top: { type: 'string', default: '30' },
    // A/B: another checkout's build (its bin/ and dist/) runs as system "base", interleaved with
    // this one's "gateway" round by round, e.g. --systems base,gateway --base /tmp/tollgate-before
    base: { type: 'string' },
  },
});
const DURATION = Number(args.duration);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);
const SYSTEMS = args.systems.split(',').map((s) => s.trim()).filter(Boolean);
installCleanup();

const REQUEST = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a concise assistant for an online bookshop. Answer in two sentences at most.' },
    { role: 'user', content: 'Do you ship to Canada, and how long does delivery usually take for a paperback?' },
  ],
  temperature: 0.2,
  max_tokens: 64,
  ...(args.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
};
const BODY = JSON.stringify(REQUEST);
const PATH = '/v1/chat/completions';
const KEY = 'sk-bench-upstream-key';
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

function cpuUs(pid, task) {
  const stat = readFileSync(task ? `/proc/${pid}/task/${task}/stat` : `/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_US; // utime + stime
}

/** CPU µs per thread (main = the pid itself) */
function threadCpu(pid) {
  const out = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      // every thread of node is named "node": tell them apart by id (worker threads, GC helpers, libuv pool)
      const name = tid === String(pid) ? 'main' : `${readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()}#${tid}`;
      out[name] = cpuUs(pid, tid);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

async function startMock() {
  const p = await startNode('mock', [join(here, 'lib', 'mock-upstream.mjs')], { ready: /LISTENING (\d+)/ });
  return { ...p, origin: `http://127.0.0.1:${p.match}` };
}

async function startFloor(mock) {
  const p = await startNode('floor', [join(here, 'lib', 'floor-proxy.mjs'), mock.origin], { ready: /LISTENING (\d+)/ });
  return { child: p.child, origin: `http://127.0.0.1:${p.match}`, headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, stop: () => stopChild(p.child) };
}

async function startGateway(mock, { profileDir, from = root } = {}) {
  const routed = routedGatewayConfig(from);
  const dataDir = makeTempDir('tollgate-prof-data-');
  const cfgDir = makeTempDir('tollgate-prof-cfg-');
  const cfg = join(cfgDir, 'tollgate.yaml');
  writeFileSync(
    cfg,
    [
      'server: { host: 127.0.0.1, port: 0 }',
      `dataDir: ${JSON.stringify(dataDir)}`,
      'auth: { mode: demo }',
      `providers: [ { name: mock, kind: openai, baseUrl: ${JSON.stringify(mock.origin + '/v1')}, apiKeyEnv: BENCH_UPSTREAM_KEY } ]`,
      args.routed ? routed.models : 'models: [ { name: gpt-4o-mini, provider: mock } ]',
      ...(args.routed ? routed.extraConfig : []),
      ...(args.cache ? ['cache: { eligible: { maxTemperature: null, streaming: true } }'] : []),
      ...args.extra,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, BENCH_UPSTREAM_KEY: KEY };
  delete env.TOLLGATE_DATA_DIR;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const p = await startNode('gateway', [...nodeArgs, join(from, 'bin', 'tollgate.mjs'), 'serve', '--config', cfg, '--port', '0'], { ready: /gateway listening on (http:\/\/\S+)/, env, cwd: from });
  return {
    child: p.child,
    origin: p.match.replace(/\/+$/, ''),
    headers: { 'content-type': 'application/json', authorization: 'Bearer tg-bench-demo-key' },
    stop: async () => {
      await stopChild(p.child, 15_000);
      removeTempDir(cfgDir);
      removeTempDir(dataDir);
    },
  };
}

const load = (t, seconds) =>
  autocannon({ url: t.origin + PATH, method: 'POST', headers: t.headers, body: BODY, connections: CONNECTIONS, duration: seconds, timeout: 10 });

async function measure(t) {
  await load(t, 2); // warm-up (JIT, pools, the first cache miss)
  const before = cpuUs(t.child.pid);
  const threadsBefore = threadCpu(t.child.pid);
  const ac = await load(t, DURATION);
  const used = cpuUs(t.child.pid) - before;
  const ok = ac['2xx'];
  const threads = {};
  for (const [k, v] of Object.entries(threadCpu(t.child.pid))) {
    const d = (v - (threadsBefore[k] ?? 0)) / ok;
    if (d >= 0.5) threads[k] = Math.round(d * 10) / 10;
  }
  const bad = ac.non2xx + ac.errors + ac.timeouts;
  return { rps: ok / ac.duration, cpuUsPerReq: ok ? used / ok : NaN, cpuShare: used / 1e6 / ac.duration, bad, threads };
}

function analyze(file, top) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => {
    const f = n.callFrame;
    const url = f.url.replace(/^file:\/\//, '').replace(root + '/', '').replace(/^.*node_modules\//, 'nm/');
    return `${f.functionName || '(anonymous)'} ${url}${url ? ':' + (f.lineNumber + 1) : ''}`;
  };
  const self = new Map();
  const incl = new Map();
  let busy = 0;
  prof.samples.forEach((id, i) => {
    const d = prof.timeDeltas[i] ?? 0;
    const n = byId.get(id);
    const name = n.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') return;
    busy += d;
    self.set(label(n), (self.get(label(n)) ?? 0) + d);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur));
      if (seen.has(l)) continue;
      seen.add(l);
      incl.set(l, (incl.get(l) ?? 0) + d);
    }
  });
  const rows = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `  ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
  console.log(`\nCPU profile: ${(busy / 1e6).toFixed(2)} s busy\n-- self time (% of busy) --`);
  console.log(rows(self).join('\n'));
  console.log(`-- inclusive time, project frames (% of busy) --`);
  const mine = new Map([...incl].filter(([k]) => k.includes('dist/') || k.includes('src/')));
  console.log(rows(mine).join('\n'));
}

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

async function main() {
  const mock = await startMock();
  const results = {};
  for (let r = 1; r <= ROUNDS; r++) {
    const order = r % 2 ? SYSTEMS : [...SYSTEMS].reverse();
    for (const s of order) {
      const t = s === 'floor' ? await startFloor(mock) : s === 'base' ? await startGateway(mock, { from: resolve(args.base) }) : await startGateway(mock);
      try {
        const m = await measure(t);
        (results[s] ??= []).push(m);
        console.log(`round ${r} ${s.padEnd(8)} ${fmt(m.rps).padStart(6)} req/s  ${fmt(m.cpuUsPerReq, 1).padStart(6)} µs CPU/req  (${fmt(m.cpuShare * 100)}% of a core${m.bad ? `, ${m.bad} bad` : ''}) per thread µs/req ${JSON.stringify(m.threads)}`);
      } finally {
        await t.stop();
      }
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`\nmedians over ${ROUNDS} round(s)${args.cache ? ' (gateway: exact cache hits)' : ''}${args.stream ? ' (streaming)' : ''}:`);
  for (const [s, list] of Object.entries(results)) console.log(`  ${s.padEnd(8)} ${fmt(med(list.map((m) => m.rps))).padStart(6)} req/s  ${fmt(med(list.map((m) => m.cpuUsPerReq)), 1).padStart(6)} µs CPU/req`);
  if (results.floor && results.gateway) {
    const rpsRatio = med(results.gateway.map((g, i) => g.rps / results.floor[i].rps));
    const cpuRatio = med(results.gateway.map((g, i) => g.cpuUsPerReq / results.floor[i].cpuUsPerReq));
    console.log(`  gateway/floor: throughput ${rpsRatio.toFixed(3)}, CPU per request ${cpuRatio.toFixed(2)}×`);
  }
  if (results.base && results.gateway) {
    const cpu = med(results.gateway.map((g, i) => g.cpuUsPerReq / results.base[i].cpuUsPerReq));
    const main = med(results.gateway.map((g, i) => g.threads.main / results.base[i].threads.main));
    console.log(`  gateway/base: CPU per request ${cpu.toFixed(3)}× (main thread ${main.toFixed(3)}×)`);
  }
  if (args.profile) {
    const dir = makeTempDir('tollgate-prof-');
    const t = await startGateway(mock, { profileDir: dir });
    try {
      await measure(t);
    } finally {
      await t.stop();
    }
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
    if (files.length) {
      const keep = join(here, 'results', 'gateway.cpuprofile');
      writeFileSync(keep, readFileSync(join(dir, files[0])));
      analyze(keep, Number(args.top));
      console.log(`\nkept ${keep}`);
    } else console.log('no CPU profile written');
    removeTempDir(dir);
  }
  await stopChild(mock.child);
}

main().then(
  () => {
    cleanupSync();
    process.exit(0);
  },
  (e) => {
    console.error(e);
    cleanupSync();
    process.exit(1);
  },
);
