// `npm run bench:chaos`: the gateway (built, a child process) in front of the simulator (its own
// process) under three kinds of trouble:
//   1. kill -9 under load, restarted on the same data dir, `--kills` times: every request a client
//      got a complete answer for must be in the ledger afterwards;
//   2. upstream faults through the simulator's admin API (PUT /_sim/models/:model {faults}): errors,
//      latency, timeouts, resets, cut streams, in-band error events, each for a phase of requests:
//      answers must stay in the caller's format, no 5xx of the gateway's own making, no hang;
//   3. clients that disconnect (before the headers, mid-stream, mid-body): each disconnect after
//      the headers must still be in the ledger, and the gateway must keep serving afterwards.
// Results in bench/results/chaos.json. Method and figures: bench/README.md, bench/RESULTS.md.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installCleanup, makeTempDir, removeTempDir } from './lib/children.mjs';
import { assertBuilt, originOf5xx, readLedgerIds, startGateway, startSim, writeGatewayConfig } from './lib/procs.mjs';
import { rng, sendValid, validRequest } from './lib/valid-requests.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: a } = parseArgs({
  options: {
    kills: { type: 'string', default: '3' },
    'per-kill': { type: 'string', default: '300' }, // completed requests before each kill -9
    'per-fault': { type: 'string', default: '150' }, // requests per upstream fault phase
    disconnects: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '16' },
    seed: { type: 'string', default: '7' },
    'hang-timeout': { type: 'string', default: '60' },
    out: { type: 'string', default: join(here, 'results', 'chaos.json') },
    help: { type: 'boolean', default: false },
  },
});
if (a.help) {
  console.log('usage: node bench/chaos.mjs [--kills N] [--per-kill N] [--per-fault N] [--disconnects N] [--concurrency C] [--seed S] [--hang-timeout s] [--out file]');
  process.exit(0);
}
const int = (k, min) => {
  const v = Number(a[k]);
  if (!Number.isInteger(v) || v < min) {
    console.error(`bench:chaos: --${k} must be an integer >= ${min} (got ${a[k]})`);
    process.exit(2);
  }
  return v;
};
const KILLS = int('kills', 0);
const PER_KILL = int('per-kill', 1);
const PER_FAULT = int('per-fault', 1);
const DISCONNECTS = int('disconnects', 0);
const CONC = int('concurrency', 1);
const SEED = int('seed', 0);
const HANG_MS = int('hang-timeout', 1) * 1000;
// The gateway's upstream timeout is lowered from the default 10 minutes so the simulator's
// `timeout` fault (never answers) ends within the harness's hang limit; a hang is then the gateway's.
const UPSTREAM_TIMEOUT_MS = Math.min(20_000, Math.floor(HANG_MS / 2));
const log = (s) => console.log(s);
installCleanup();
assertBuilt();

const r = rng(SEED);
const started = new Date();
const loadBefore = os.loadavg();
const sim = await startSim({ seed: SEED });
const dataDir = makeTempDir('tollgate-chaos-data-');
const cfg = await writeGatewayConfig({
  simUrl: sim.url,
  dataDir,
  levers: false, // every request goes upstream, so faults and kills meet real upstream calls
  extra: { server: { host: '127.0.0.1', port: 0, requestTimeoutMs: UPSTREAM_TIMEOUT_MS } },
});
const simPut = async (path, body) => {
  const res = await fetch(`${sim.url}${path}`, { method: path === '/_sim/reset' ? 'POST' : 'PUT', headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`simulator ${path}: HTTP ${res.status} ${await res.text()}`);
};

/** all requests a phase sent: what the client saw, to check against the ledger afterwards */
const seen = []; // {phase, id, outcome, status, complete, problem}
const tally = (phase) => {
  const xs = seen.filter((s) => s.phase === phase);
  const by = (f) => xs.filter(f).length;
  const problems = {};
  for (const s of xs) if (s.problem) (problems[s.problem] ??= { count: 0, example: s }).count++;
  return {
    sent: xs.length,
    complete_2xx: by((s) => s.complete),
    circuit_open: by((s) => /circuit open|circuit breaker is open/i.test(s.answer ?? '')),
    statuses: xs.reduce((m, s) => ((m[s.status ?? s.outcome] = (m[s.status ?? s.outcome] ?? 0) + 1), m), {}),
    hangs: by((s) => s.outcome === 'hang'),
    errors: by((s) => s.outcome === 'error'),
    wrong_format: by((s) => !!s.problem),
    wrong_format_detail: problems,
  };
};

/**
 * Between phases: wait (up to 60 s) until every model answers again, i.e. the breakers a fault
 * phase opened have gone half-open and closed, so one phase's faults are not counted in the next.
 */
async function settle(origin) {
  const t0 = Date.now();
  const models = [['openai', 'gpt-4o-mini'], ['openai', 'gpt-4o'], ['openai', 'gemini-2.0-flash'], ['anthropic', 'claude-3-5-haiku'], ['anthropic', 'claude-sonnet-4']];
  const pending = new Set(models.map((m) => m[1]));
  while (pending.size && Date.now() - t0 < 60_000) {
    for (const m of [...pending]) {
      const fmt = models.find((x) => x[1] === m)[0];
      let req;
      do req = validRequest(r, { model: m, stream: false });
      while (req.format !== fmt || req.kind !== 'chat');
      const res = await sendValid(origin, req, { timeoutMs: 10_000 });
      if (res.complete) pending.delete(m);
    }
    if (pending.size) await new Promise((res) => setTimeout(res, 1000));
  }
  return { waited_ms: Date.now() - t0, still_failing: [...pending] };
}

async function load(origin, phase, { count, until, make = () => validRequest(r), opts = () => ({}) }) {
  let i = 0;
  let done = false;
  const worker = async () => {
    while (!done && (count === undefined || i < count)) {
      i++;
      const req = make();
      const res = await sendValid(origin, req, { timeoutMs: HANG_MS, ...opts() });
      seen.push({ phase, ...res, stream: req.stream, path: req.path });
      if (until?.()) done = true;
    }
  };
  await Promise.all(Array.from({ length: CONC }, worker));
}

const result = { date: started.toISOString(), machine: { cpu: os.cpus()[0]?.model, cpus: os.cpus().length, load_average_before: loadBefore.map((x) => Math.round(x * 100) / 100) }, node: process.version, settings: { kills: KILLS, per_kill: PER_KILL, per_fault: PER_FAULT, disconnects: DISCONNECTS, concurrency: CONC, seed: SEED, hang_timeout_ms: HANG_MS, gateway_request_timeout_ms: UPSTREAM_TIMEOUT_MS } };
result.settle_waits = [];
let gw;
try {
  // ---- 1. kill -9 under load -------------------------------------------------------------------
  const kills = [];
  for (let k = 0; k < KILLS; k++) {
    gw = await startGateway(cfg);
    const phase = `kill-${k + 1}`;
    let completed = 0;
    let killedAt = null;
    const loadDone = load(gw.url, phase, {
      until: () => {
        if (killedAt === null && completed >= PER_KILL) {
          killedAt = Date.now();
          gw.child.kill('SIGKILL');
        }
        return killedAt !== null;
      },
      make: () => validRequest(r),
    });
    // count completions as they land (the `until` above reads it)
    const counter = setInterval(() => (completed = seen.filter((s) => s.phase === phase && s.complete).length), 5);
    await loadDone;
    clearInterval(counter);
    await gw.kill9();
    kills.push({ phase, exit: gw.exit, ...tally(phase) });
    log(`chaos: ${phase}: ${kills.at(-1).complete_2xx} complete answers, then kill -9`);
  }
  // restarted on the same data dir: it must start (lock takeover) and serve
  gw = await startGateway(cfg);
  result.restart_after_kill = { started: true, url: gw.url };

  // ---- 2. upstream faults ----------------------------------------------------------------------
  const FAULTS = ['500;p=0.5', '503;p=0.5;retry-after=0', '529;p=0.5;retry-after=0', '429;p=0.5;retry-after=0', 'quota;p=0.3', 'timeout;p=0.1', 'reset;p=0.3', 'reset;p=0.3;at=0.5', 'cut;p=0.5', 'error-event;p=0.5', 'latency'];
  const MODELS = ['gpt-4o-mini', 'gpt-4o', 'gemini-2.0-flash', 'claude-3-5-haiku', 'claude-sonnet-4', 'text-embedding-3-small'];
  const faults = [];
  for (const f of FAULTS) {
    await simPut('/_sim/reset');
    result.settle_waits.push({ before: f, ...(await settle(gw.url)) });
    if (f === 'latency') {
      await simPut('/_sim/config', { latencyScale: 0.05 }); // realistic shapes at 1/20 of the time
    } else for (const m of MODELS) await simPut(`/_sim/models/${m}`, { faults: f });
    const phase = `fault ${f}`;
    await load(gw.url, phase, { count: PER_FAULT });
    faults.push({ phase, fault: f, ...tally(phase) });
    log(`chaos: ${phase}: ${JSON.stringify(faults.at(-1).statuses)}, hangs ${faults.at(-1).hangs}, wrong format ${faults.at(-1).wrong_format}`);
  }
  await simPut('/_sim/reset');
  result.settle_waits.push({ before: 'disconnect', ...(await settle(gw.url)) });

  // ---- 3. client disconnects -------------------------------------------------------------------
  await simPut('/_sim/config', { latencyScale: 0.05 }); // a stream that lasts long enough to be cut by its client
  const kinds = [0, 1, 200, 2000];
  await load(gw.url, 'disconnect', {
    count: DISCONNECTS,
    make: () => validRequest(r, { stream: r.chance(0.7) }),
    opts: () => ({ abortAfterBytes: r.pick(kinds) }),
  });
  await simPut('/_sim/reset');
  result.settle_waits.push({ before: 'after-disconnect', ...(await settle(gw.url)) });
  // afterwards the gateway must still serve every tenant and format (no leaked upstream connection)
  await load(gw.url, 'after-disconnect', { count: 200 });
  result.disconnects = tally('disconnect');
  result.after_disconnects = tally('after-disconnect');
  log(`chaos: disconnects ${JSON.stringify(result.disconnects.statuses)}; afterwards ${result.after_disconnects.complete_2xx}/${result.after_disconnects.sent} complete`);

  await gw.stop(60_000);
  result.gateway_exit = gw.exit;

  // ---- ledger --------------------------------------------------------------------------------
  const ledger = await readLedgerIds(dataDir);
  const completeIds = seen.filter((s) => s.complete && s.id).map((s) => s.id);
  const lost = completeIds.filter((id) => !ledger.has(id));
  const answeredIds = seen.filter((s) => s.id).map((s) => s.id);
  const killPhaseLost = (p) => seen.filter((s) => s.phase === p && s.complete && s.id && !ledger.has(s.id)).length;
  for (const k of kills) k.lost_records = killPhaseLost(k.phase);
  const abortedWithId = seen.filter((s) => s.phase === 'disconnect' && s.outcome === 'aborted' && s.id);
  result.disconnects.aborted_after_headers = abortedWithId.length;
  result.disconnects.aborted_after_headers_in_ledger = abortedWithId.filter((s) => ledger.has(s.id)).length;
  result.disconnects.ledger_status = abortedWithId.reduce((m, s) => {
    const st = ledger.get(s.id)?.status ?? 'missing';
    m[st] = (m[st] ?? 0) + 1;
    return m;
  }, {});
  const fivexx = seen.filter((s) => s.outcome === 'answered' && s.status >= 500 && !s.phase.startsWith('kill'));
  // the breaker answers for a provider it saw failing: a gateway decision, on upstream evidence
  const breaker = fivexx.filter((s) => /circuit open|circuit breaker is open/i.test(s.answer ?? ''));
  const gw5xx = fivexx.filter((s) => !breaker.includes(s) && (s.id ? originOf5xx(ledger.get(s.id)) : 'gateway') === 'gateway');
  result.kills = kills;
  result.faults = faults;
  result.totals = {
    sent: seen.length,
    complete_answers: completeIds.length,
    lost_records: lost.length,
    lost_examples: seen.filter((s) => s.complete && s.id && !ledger.has(s.id)).slice(0, 5),
    answered_with_id: answeredIds.length,
    answered_not_in_ledger: answeredIds.filter((id) => !ledger.has(id)).length,
    // a kill -9 cuts requests in flight: their 5xx/errors are expected; outside the kill phases:
    gateway_5xx: gw5xx.length,
    gateway_5xx_examples: gw5xx.slice(0, 5),
    breaker_open_5xx: breaker.length,
    upstream_5xx_relayed: fivexx.length - gw5xx.length - breaker.length,
    hangs: seen.filter((s) => s.outcome === 'hang').length,
    hang_examples: seen.filter((s) => s.outcome === 'hang').slice(0, 5),
    wrong_format: seen.filter((s) => s.problem).length,
  };
  result.sim_stats = await (await fetch(`${sim.url}/_sim/stats`)).json().catch(() => null);
} finally {
  if (gw) await gw.stop(10_000);
  await sim.stop();
  removeTempDir(dataDir);
}

mkdirSync(dirname(a.out), { recursive: true });
writeFileSync(a.out, JSON.stringify(result, null, 2) + '\n');
const t = result.totals;
log(`\nchaos ${result.date}: ${t.sent} requests; ${t.complete_answers} complete answers, ${t.lost_records} lost from the ledger`);
log(`  kill -9 ×${KILLS}: lost ${result.kills.map((k) => k.lost_records).join(', ')} (of ${result.kills.map((k) => k.complete_2xx).join(', ')} complete)`);
log(`  gateway 5xx outside kills ${t.gateway_5xx}, breaker-open 5xx ${t.breaker_open_5xx}, relayed upstream 5xx ${t.upstream_5xx_relayed}, hangs ${t.hangs}, wrong format ${t.wrong_format}`);
log(`  disconnects after headers ${result.disconnects.aborted_after_headers}, in ledger ${result.disconnects.aborted_after_headers_in_ledger} ${JSON.stringify(result.disconnects.ledger_status)}; afterwards ${result.after_disconnects.complete_2xx}/${result.after_disconnects.sent} complete`);
for (const f of result.faults) log(`  ${f.phase.padEnd(28)} ${JSON.stringify(f.statuses)} hangs ${f.hangs} wrong-format ${f.wrong_format}${f.wrong_format ? ` e.g. ${Object.keys(f.wrong_format_detail)[0]}` : ''}`);
log(`wrote ${a.out}`);
process.exit(t.lost_records === 0 && t.gateway_5xx === 0 && t.hangs === 0 && t.wrong_format === 0 ? 0 : 1);
