// Polls GET /health every `intervalMs` from a worker thread (its own event loop, so the harness's
// own work does not delay the polls) and reports the largest gap between two answers. Its own
// timer lateness is measured too: a gap the poller's loop was late for is the machine's, not the
// gateway's. Start with startHealthPoller(url); stop() resolves with the figures.

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

if (!isMainThread && workerData?.healthPoller) {
  const { url, intervalMs } = workerData;
  const { Agent, request } = await import('undici');
  const agent = new Agent({ connections: 2, keepAliveTimeout: 60_000 });
  let stop = false;
  let last = null; // time of the last answer
  const gaps = [];
  let maxLag = 0;
  let errors = 0;
  let polls = 0;
  let worst = null;
  let lastLag = 0; // the poller's own timer lateness in the sleep just before the current poll
  let onTimeOver50 = 0; // gaps > 50 ms although the poller itself was on time: the answer was slow
  const stalls = []; // [startEpochMs, endEpochMs] of gaps over 1 s, to line up with requests in flight
  const epoch = () => performance.timeOrigin + performance.now();
  parentPort.on('message', (m) => {
    if (m === 'stop') stop = true;
  });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  while (!stop) {
    const sentAt = performance.now();
    try {
      const r = await request(url, { dispatcher: agent, headersTimeout: 120_000, bodyTimeout: 120_000 });
      await r.body.dump();
      const at = performance.now();
      if (r.statusCode !== 200) errors++;
      else {
        if (last !== null) {
          const g = at - last;
          gaps.push(g);
          if (!worst || g > worst.gap_ms) worst = { gap_ms: g, at_ms: at };
          if (g > 1000 && stalls.length < 1000) stalls.push([epoch() - g, epoch()]);
          if (g > 50 && lastLag < 5) onTimeOver50++;
        }
        last = at;
      }
    } catch {
      errors++;
    }
    polls++;
    const due = performance.now() + intervalMs;
    await sleep(intervalMs);
    lastLag = performance.now() - due;
    maxLag = Math.max(maxLag, lastLag);
  }
  await agent.close();
  gaps.sort((a, b) => a - b);
  const q = (p) => (gaps.length ? gaps[Math.min(gaps.length - 1, Math.ceil((p / 100) * gaps.length) - 1)] : null);
  parentPort.postMessage({
    polls,
    errors,
    interval_ms: intervalMs,
    max_gap_ms: gaps.length ? Math.round(gaps.at(-1) * 10) / 10 : null,
    p99_gap_ms: q(99) && Math.round(q(99) * 10) / 10,
    p50_gap_ms: q(50) && Math.round(q(50) * 10) / 10,
    gaps_over_50ms: gaps.filter((g) => g > 50).length,
    // of those, the gaps whose poll the poller sent on time (its timer < 5 ms late): the answer itself took long
    gaps_over_50ms_poller_on_time: onTimeOver50,
    gaps_over_1s: gaps.filter((g) => g > 1000).length,
    poller_max_timer_lag_ms: Math.round(maxLag * 10) / 10,
    stalls_over_1s: stalls.map(([a, b]) => [Math.round(a), Math.round(b)]),
  });
}

export function startHealthPoller(url, intervalMs = 10) {
  const w = new Worker(fileURLToPath(import.meta.url), { workerData: { healthPoller: true, url, intervalMs } });
  const result = new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  return {
    async stop() {
      w.postMessage('stop');
      const r = await result;
      await w.terminate();
      return r;
    },
  };
}
