// The fuzz run itself, shared by `npm run bench:fuzz` (bench/fuzz.mjs) and the suite's seeded
// 5,000-request run (test/reliability/fuzz.test.ts): simulator and gateway in their own processes,
// N seeded cases sent over raw sockets by `concurrency` workers, /health polled every 10 ms from a
// worker thread, and after a graceful stop every answered request id looked up in the ledger.

import os from 'node:os';
import { describeCase, makeCase } from './fuzz-cases.mjs';
import { makeTempDir, removeTempDir } from './children.mjs';
import { startHealthPoller } from './health-poller.mjs';
import { assertBuilt, originOf5xx, readLedgerIds, startGateway, startSim, writeGatewayConfig } from './procs.mjs';
import { rawExchange } from './raw-http.mjs';
import { wireProblem } from './wire-check.mjs';

const EXAMPLES_PER_KIND = 3;

/** keeps a few examples per reason, counts all of them */
class Tally {
  constructor() {
    this.by = new Map();
  }
  add(reason, example) {
    let t = this.by.get(reason);
    if (!t) this.by.set(reason, (t = { count: 0, examples: [] }));
    t.count++;
    if (t.examples.length < EXAMPLES_PER_KIND) t.examples.push(example);
  }
  get total() {
    let n = 0;
    for (const t of this.by.values()) n += t.count;
    return n;
  }
  toJSON() {
    return Object.fromEntries([...this.by.entries()].sort((a, b) => b[1].count - a[1].count));
  }
}

const bodyHead = (res) => res.body?.toString('utf8').slice(0, 300) ?? '';

/**
 * @param {{ requests?: number, seed?: number, concurrency?: number, hangTimeoutMs?: number,
 *           maxHangs?: number, log?: (s: string) => void, levers?: boolean, gatewayNodeArgs?: string[] }} o
 */
export async function runFuzz(o = {}) {
  const requests = o.requests ?? 100_000;
  const seed = o.seed ?? 1;
  const concurrency = o.concurrency ?? 16;
  const hangTimeoutMs = o.hangTimeoutMs ?? 30_000;
  const maxHangs = o.maxHangs ?? 200;
  const log = o.log ?? (() => {});
  assertBuilt();
  const started = new Date();
  const loadBefore = os.loadavg();
  const sim = await startSim({ seed });
  const dataDir = makeTempDir('tollgate-fuzz-data-');
  let gw;
  try {
    const cfg = await writeGatewayConfig({ simUrl: sim.url, dataDir, levers: o.levers ?? true });
    gw = await startGateway(cfg, { nodeArgs: o.gatewayNodeArgs ?? [] });
    let stderrWarnings = 0;
    const stderrSamples = [];
    gw.child.stderr.on('data', (d) => {
      for (const line of String(d).split('\n')) {
        if (!/warning|error/i.test(line)) continue;
        stderrWarnings++;
        if (stderrSamples.length < 10 && !stderrSamples.some((s) => s === line.slice(0, 300))) stderrSamples.push(line.slice(0, 300));
      }
    });
    log(`fuzz: ${requests} requests, seed ${seed}, ${concurrency} connections; sim ${sim.url} (pid ${sim.child.pid}), gateway ${gw.url} (pid ${gw.child.pid})`);
    const poller = startHealthPoller(`${gw.url}/health`, 10);
    // the simulator is watched the same way: a hang while the simulator itself was frozen is its fault, not the gateway's
    const simPoller = startHealthPoller(`${sim.url}/_sim/config`, 10);
    // the gateway's own view of its event loop: tollgate_event_loop_delay_max_seconds (the
    // largest delay since the last scrape, measured inside the gateway by perf_hooks), scraped every
    // second. Unlike the /health gap it does not include the poller's own lateness on a busy box.
    const loopLag = { scrapes: 0, errors: 0, max_ms: 0, over_50ms: 0, per_scrape_ms: [] };
    const loopWatch = setInterval(async () => {
      try {
        const text = await fetch(`${gw.url}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((x) => x.text());
        const m = /^tollgate_event_loop_delay_max_seconds ([0-9.e+-]+)$/m.exec(text);
        if (!m) return void loopLag.errors++;
        const ms = Number(m[1]) * 1000;
        loopLag.scrapes++;
        loopLag.max_ms = Math.max(loopLag.max_ms, Math.round(ms * 10) / 10);
        loopLag.per_scrape_ms.push(Math.round(ms * 10) / 10);
        if (ms > 50) loopLag.over_50ms++;
      } catch {
        loopLag.errors++;
      }
    }, 1000);

    const statuses = {};
    const byEndpoint = {};
    const formatProblems = new Tally();
    const noAnswer = new Tally();
    const hangs = new Tally();
    const fivexx = []; // {id, status, example}
    const answeredIds = [];
    let answeredNoId = 0;
    let truncatedDropped = 0;
    let sent = 0;
    let next = 0;
    let aborted = null;
    let crash = null;
    const inflight = new Map();
    const epoch = () => performance.timeOrigin + performance.now();
    const timeline = []; // flat [i, sentAt, doneAt, ...]: which cases were in flight when something stalled
    const hangsSim = new Tally();
    // the simulator's stalls as they happen: a side poller with a short memory (the worker reports at the end)
    const simStalls = [];
    let simLast = epoch();
    const simWatch = setInterval(async () => {
      try {
        const t = epoch();
        await fetch(`${sim.url}/_sim/config`, { signal: AbortSignal.timeout(120_000) }).then((x) => x.arrayBuffer());
        const now = epoch();
        if (now - t > 1000) simStalls.push([t, now]);
        simLast = now;
      } catch {
        // a failed poll is not a stall reading
      }
    }, 250);
    const simStalledDuring = (a, b) => simStalls.some(([s, e]) => s < b && e > a) || epoch() - simLast > 1000;
    const slowest = [];
    const t0 = performance.now();
    let lastLog = t0;

    const worker = async () => {
      while (!aborted && !crash) {
        const i = next++;
        if (i >= requests) return;
        const c = makeCase(seed, i, gw.port);
        inflight.set(i, c);
        const sentAt = epoch();
        const res = await rawExchange({ port: gw.port, head: c.head, body: c.body, halfClose: c.halfClose, timeoutMs: hangTimeoutMs, method: c.method });
        inflight.delete(i);
        sent++;
        timeline.push(i, sentAt, epoch());
        if (gw.exit) {
          crash ??= { exit: gw.exit, in_flight: [describeCase(c), ...[...inflight.values()].slice(0, 5).map(describeCase)], stderr: gw.stderr().slice(-3000) };
          return;
        }
        const ep = (byEndpoint[c.endpoint] ??= { sent: 0, answered: 0, problems: 0 });
        ep.sent++;
        if (res.outcome === 'hang') {
          if (simStalledDuring(sentAt, epoch())) {
            // the simulator (its own process) was frozen meanwhile: the upstream's hang, not the gateway's
            hangsSim.add(c.mutations.join('+') || 'none', { ...describeCase(c), after_ms: Math.round(res.ms) });
            continue;
          }
          hangs.add(c.mutations.join('+') || 'none', { ...describeCase(c), after_ms: Math.round(res.ms) });
          if (hangs.total > maxHangs) aborted = `more than ${maxHangs} hangs: the gateway stopped answering`;
          continue;
        }
        if (res.outcome !== 'answered') {
          if (c.halfClose) {
            truncatedDropped++; // the client never finished its body: closing on it is fair
            continue;
          }
          noAnswer.add(res.outcome, { ...describeCase(c), error: res.error });
          ep.problems++;
          continue;
        }
        ep.answered++;
        if (res.ms > (slowest.at(-1)?.ms ?? 0) || slowest.length < 10) {
          slowest.push({ ms: Math.round(res.ms), status: res.status, ...describeCase(c) });
          slowest.sort((x, y) => y.ms - x.ms);
          if (slowest.length > 10) slowest.pop();
        }
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        const id = res.headers['x-tollgate-request-id'];
        if (id) answeredIds.push(id);
        else answeredNoId++;
        if (res.status >= 500) fivexx.push({ id: id ?? null, status: res.status, onlyIfCached: /\r\nx-tollgate-cache: only-if-cached\r\n/i.test(c.head), example: { ...describeCase(c), status_line: `HTTP/${res.httpVersion} ${res.status} ${res.reason}`, answer: bodyHead(res) } });
        const p = wireProblem(c, res);
        if (p) {
          ep.problems++;
          formatProblems.add(p, { ...describeCase(c), status_line: `HTTP/${res.httpVersion} ${res.status} ${res.reason}`, content_type: res.headers['content-type'] ?? null, answer: bodyHead(res) });
        }
        const now = performance.now();
        if (now - lastLog > 10_000) {
          lastLog = now;
          log(`fuzz: ${sent}/${requests} (${Math.round(sent / ((now - t0) / 1000))}/s), format problems ${formatProblems.total}, 5xx ${fivexx.length}, hangs ${hangs.total}`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsedS = (performance.now() - t0) / 1000;
    clearInterval(simWatch);
    clearInterval(loopWatch);
    // the first scrape's interval covers the gateway's start-up (module loading, the embedder's model): not the fuzz
    {
      const during = loopLag.per_scrape_ms.slice(1);
      const sorted = [...during].sort((x, y) => x - y);
      loopLag.max_after_first_scrape_ms = sorted.at(-1) ?? null;
      loopLag.median_per_second_max_ms = sorted.length ? sorted[sorted.length >> 1] : null;
      loopLag.p90_per_second_max_ms = sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)] : null;
      loopLag.over_50ms_after_first_scrape = during.filter((x) => x > 50).length;
    }
    const loadAfter = os.loadavg();
    const health = await poller.stop();
    const simHealth = await simPoller.stop();

    // A graceful stop lets the ingester move the journal into SQLite; the reader covers both.
    const crashed = !!(crash || gw.exit);
    if (!crashed) await gw.stop(60_000);
    const gatewayExit = gw.exit;
    const ledger = await readLedgerIds(dataDir);
    const missing = answeredIds.filter((id) => !ledger.has(id));
    const gateway5xx = new Tally();
    const upstream5xx = new Tally();
    const byDesign5xx = new Tally();
    const breaker5xx = new Tally();
    for (const f of fivexx) {
      const key = `${f.status} ${f.example.mutations.join('+') || 'none'}`;
      // `x-tollgate-cache: only-if-cached` asks for 504 on a miss (RFC 9111's only-if-cached): the contract, not a fault
      if (f.status === 504 && f.onlyIfCached) byDesign5xx.add(key, f.example);
      // the breaker answering for a provider it saw fail: the gateway's decision on upstream evidence (what opened it is in upstream_5xx)
      else if (/circuit open|circuit breaker is open/i.test(f.example.answer)) breaker5xx.add(key, f.example);
      else if ((f.id ? originOf5xx(ledger.get(f.id)) : 'gateway') === 'upstream') upstream5xx.add(key, f.example);
      else gateway5xx.add(key, f.example);
    }
    let simStats = null;
    try {
      simStats = await (await fetch(`${sim.url}/_sim/stats`)).json();
    } catch {
      // the simulator's own counters are a nice-to-have
    }
    // For each /health stall over 1 s: the cases in flight when it began, and what they had in common
    const stallSuspects = (health.stalls_over_1s ?? []).slice(0, 50).map(([s, e]) => {
      const cases = [];
      for (let k = 0; k < timeline.length; k += 3) if (timeline[k + 1] <= s && timeline[k + 2] >= s) cases.push(timeline[k]);
      return { start: new Date(s).toISOString(), gap_ms: e - s, in_flight: cases };
    });
    const mutationCounts = {};
    let stallCases = 0;
    for (const st of stallSuspects) {
      for (const i of st.in_flight) {
        stallCases++;
        for (const m of new Set(makeCase(seed, i, gw.port).mutations)) mutationCounts[m] = (mutationCounts[m] ?? 0) + 1;
      }
      st.examples = st.in_flight.slice(0, 16).map((i) => describeCase(makeCase(seed, i, gw.port))).sort((x, y) => y.body_bytes - x.body_bytes).slice(0, 3);
      delete st.in_flight;
    }
    const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
    const inFormat = answered - formatProblems.total;
    return {
      date: started.toISOString(),
      machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, mem_gib: Math.round(os.totalmem() / 2 ** 30), load_average_before: loadBefore.map((x) => Math.round(x * 100) / 100), load_average_after: loadAfter.map((x) => Math.round(x * 100) / 100) },
      node: process.version,
      settings: { requests, seed, concurrency, hang_timeout_ms: hangTimeoutMs, config: 'the demo config (levers on) pointed at `tollgate sim --latency-scale 0` in its own process' },
      sent,
      elapsed_s: Math.round(elapsedS * 10) / 10,
      rate_rps: Math.round(sent / elapsedS),
      aborted,
      crashes: crashed ? 1 : 0,
      crash,
      gateway_exit: gatewayExit,
      statuses,
      by_endpoint: byEndpoint,
      answered,
      answered_without_request_id: answeredNoId,
      truncated_body_closed_without_answer: truncatedDropped,
      gateway_5xx: gateway5xx.total,
      gateway_5xx_detail: gateway5xx.toJSON(),
      gateway_5xx_by_design: byDesign5xx.total,
      gateway_5xx_by_design_detail: byDesign5xx.toJSON(),
      breaker_open_5xx: breaker5xx.total,
      breaker_open_5xx_detail: breaker5xx.toJSON(),
      upstream_5xx_relayed: upstream5xx.total,
      upstream_5xx_detail: upstream5xx.toJSON(),
      caller_format: { answered, in_format: inFormat, pct: answered ? Math.round((inFormat / answered) * 1e5) / 1e3 : null, problems: formatProblems.toJSON() },
      no_answer: { count: noAnswer.total, detail: noAnswer.toJSON() },
      hangs: { count: hangs.total, detail: hangs.toJSON() },
      hangs_while_simulator_stalled: { count: hangsSim.total, detail: hangsSim.toJSON() },
      health_stalls_over_1s: { count: stallSuspects.length, cases_in_flight: stallCases, mutations_in_flight: Object.fromEntries(Object.entries(mutationCounts).sort((x, y) => y[1] - x[1])), stalls: stallSuspects },
      slowest_answers: slowest,
      health,
      sim_health: simHealth,
      gateway_event_loop_lag: loopLag,
      ledger: {
        answered_with_id: answeredIds.length,
        in_ledger: answeredIds.length - missing.length,
        missing: missing.length,
        pct: answeredIds.length ? Math.round(((answeredIds.length - missing.length) / answeredIds.length) * 1e5) / 1e3 : null,
        missing_examples: missing.slice(0, 5),
        records_total: ledger.size,
        journal_pending_after_stop: ledger.journalPending,
      },
      gateway_stderr_warnings: stderrWarnings,
      gateway_stderr_samples: stderrSamples,
      sim_stats: simStats,
    };
  } finally {
    if (gw) await gw.stop(10_000);
    await sim.stop();
    removeTempDir(dataDir);
  }
}

/** the few lines a person reads first */
export function summarizeFuzz(r) {
  const lines = [
    `fuzz ${r.date} seed ${r.settings.seed}: ${r.sent} requests in ${r.elapsed_s} s (${r.rate_rps}/s)${r.aborted ? `, ABORTED: ${r.aborted}` : ''}`,
    `  crashes ${r.crashes}${r.crash ? ` (exit ${JSON.stringify(r.crash.exit)})` : ''} | gateway 5xx ${r.gateway_5xx} | upstream 5xx relayed ${r.upstream_5xx_relayed} | breaker-open 5xx ${r.breaker_open_5xx} | hangs ${r.hangs.count} (+${r.hangs_while_simulator_stalled.count} while the simulator was frozen) | no answer ${r.no_answer.count}`,
    `  caller's format: ${r.caller_format.in_format}/${r.caller_format.answered} (${r.caller_format.pct}%)`,
    `  ledger: ${r.ledger.in_ledger}/${r.ledger.answered_with_id} answered request ids recorded (${r.ledger.pct}%), ${r.ledger.missing} missing`,
    `  /health every ${r.health.interval_ms} ms: max gap ${r.health.max_gap_ms} ms, p99 ${r.health.p99_gap_ms} ms, ${r.health.gaps_over_50ms} gaps > 50 ms (${r.health.gaps_over_50ms_poller_on_time ?? '?'} of them with the poller on time; poller's own max timer lag ${r.health.poller_max_timer_lag_ms} ms), ${r.health.errors} errors`,
    ...(r.gateway_event_loop_lag ? [`  the gateway's own event-loop delay (tollgate_event_loop_delay_max_seconds, scraped each second): max ${r.gateway_event_loop_lag.max_ms} ms (${r.gateway_event_loop_lag.max_after_first_scrape_ms} ms after the first scrape, which covers start-up), per-second max median ${r.gateway_event_loop_lag.median_per_second_max_ms} / p90 ${r.gateway_event_loop_lag.p90_per_second_max_ms} ms, ${r.gateway_event_loop_lag.over_50ms_after_first_scrape} seconds with a delay > 50 ms, ${r.gateway_event_loop_lag.scrapes} scrapes`] : []),
    `  load average before ${r.machine.load_average_before.join(' / ')}, after ${r.machine.load_average_after?.join(' / ')}`,
    `  simulator (own process) polled the same way: max gap ${r.sim_health.max_gap_ms} ms, ${r.sim_health.gaps_over_1s} gaps > 1 s`,
    `  statuses ${JSON.stringify(r.statuses)}; 5xx by design (only-if-cached misses) ${r.gateway_5xx_by_design}`,
  ];
  for (const [k, v] of Object.entries(r.upstream_5xx_detail)) lines.push(`  upstream 5xx ×${v.count}  ${k}: ${v.examples[0].answer.slice(0, 120)}`);
  for (const [k, v] of Object.entries(r.gateway_5xx_detail)) lines.push(`  gateway 5xx  ×${v.count}  ${k}: ${v.examples[0].status_line} ${v.examples[0].answer.slice(0, 120)}`);
  for (const [k, v] of Object.entries(r.caller_format.problems)) lines.push(`  format ×${v.count}  ${k}  e.g. ${v.examples[0].request_line} [${v.examples[0].mutations.join('+')}] -> ${v.examples[0].status_line}`);
  for (const [k, v] of Object.entries(r.hangs.detail)) lines.push(`  hang ×${v.count}  [${k}]  e.g. ${v.examples[0].request_line}`);
  for (const [k, v] of Object.entries(r.no_answer.detail)) lines.push(`  no answer ×${v.count}  ${k}  e.g. ${v.examples[0].request_line} [${v.examples[0].mutations.join('+')}] ${v.examples[0].error ?? ''}`);
  return lines.join('\n');
}
