// An open-loop load driver: requests leave on a fixed schedule (one every 1000/rate ms) whether
// or not earlier ones have answered, so a slow system queues work instead of slowing the driver
// down (no coordinated omission). Latency is timed with performance.now() from the moment each
// request is handed to undici to the last body byte; for streams it also records TTFT, the
// arrival of the body chunk that completes the first SSE event carrying non-empty
// `choices[0].delta.content`.
//
// Why not autocannon's `overallRate` for this: autocannon resets each connection's quota once a
// second and sends it back-to-back as fast as answers come, so "500 req/s" is a burst of
// closed-loop traffic at the top of every second, and its latency histogram has 1 ms resolution,
// too coarse for a 1 ms p99 target.

import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

/**
 * @param {{ origin: string, path: string, headers: Record<string,string>, body: string,
 *           rate: number, durationMs: number, stream: boolean, connections?: number,
 *           timeoutMs?: number }} o
 */
export async function runOpenLoop(o) {
  const pool = new Pool(o.origin, { connections: o.connections ?? 64, pipelining: 1, keepAliveTimeout: 60_000 });
  const interval = 1000 / o.rate;
  const total = Math.max(1, Math.round((o.durationMs / 1000) * o.rate));
  const latency = [];
  const ttft = [];
  const lag = [];
  const out = { sent: 0, ok: 0, non2xx: 0, errors: 0, bad_body: 0, firstError: null, statusCodes: {} };
  const inflight = new Set();

  const fire = async () => {
    const start = performance.now();
    out.sent++;
    try {
      const res = await pool.request({
        method: 'POST',
        path: o.path,
        headers: o.headers,
        body: o.body,
        headersTimeout: o.timeoutMs ?? 30_000,
        bodyTimeout: o.timeoutMs ?? 30_000,
      });
      out.statusCodes[res.statusCode] = (out.statusCodes[res.statusCode] ?? 0) + 1;
      const { first, tail } = await readAnswer(res.body, start, o.stream);
      const end = performance.now();
      if (res.statusCode < 200 || res.statusCode > 299) {
        out.non2xx++;
        if (!out.firstError) out.firstError = `HTTP ${res.statusCode}: ${tail}`;
        return;
      }
      // A system that answers 200 with the wrong thing is not fast, it is broken.
      const complete = o.stream ? first >= 0 && tail.includes('[DONE]') : tail.trimEnd().endsWith('}');
      if (!complete) {
        out.bad_body++;
        if (!out.firstError) out.firstError = `incomplete body: …${tail}`;
        return;
      }
      out.ok++;
      latency.push(end - start);
      if (o.stream) ttft.push(first);
    } catch (err) {
      out.errors++;
      if (!out.firstError) out.firstError = String(err?.code ?? err?.message ?? err);
    }
  };

  const t0 = performance.now();
  let i = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (i < total && t0 + i * interval <= now) {
        lag.push(now - (t0 + i * interval));
        const p = fire();
        inflight.add(p);
        p.finally(() => inflight.delete(p));
        i++;
      }
      if (i < total) setTimeout(tick, Math.max(0, t0 + i * interval - performance.now()));
      else resolve();
    };
    tick();
  });
  await Promise.allSettled([...inflight]);
  const elapsed = performance.now() - t0;
  await pool.close();
  return { ...out, elapsed_ms: elapsed, latency, ttft, lag };
}

/**
 * Reads an answer to its end: the time of the first SSE event with non-empty delta content (when
 * `stream`; -1 if none came) and the last 64 characters, to tell a whole answer from a cut one.
 */
export async function readAnswer(body, start, stream) {
  let first = -1;
  let pending = '';
  let tail = '';
  for await (const chunk of body) {
    const t = performance.now();
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-64);
    if (!stream || first >= 0) continue;
    pending += text;
    let nl;
    while (first < 0 && (nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') continue;
      try {
        if (JSON.parse(data).choices?.[0]?.delta?.content) first = t - start;
      } catch {
        // not JSON: not a content event
      }
    }
  }
  return { first, tail };
}
