// Long synchronous stretches in a V8 .cpuprofile (from `node --cpu-prof`): runs of consecutive
// samples where the loop was not idle, longer than a threshold, each with the functions that took
// most of its samples. An aggregate profile says where CPU goes; this says what held the loop in
// one piece, which is what stalls /health.
//
//   node bench/lib/profile-stalls.mjs FILE.cpuprofile [--over 50] [--top 12] [--after 10000]
//   node bench/lib/profile-stalls.mjs FILE.cpuprofile --calls [--min-samples 20]   (single long calls)
//
// "(garbage collector)" samples are counted as busy: a GC pause holds the loop too. On a box
// with more runnable threads than cores the process is also descheduled mid-task: the sampler
// then takes few samples over a long wall time, so each stretch gives its sample count too
// (samples x the sampling interval is about its CPU time) and they are ranked by it.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const IDLE = new Set(['(idle)', '(program)']);

/** @returns {{ start_ms: number, ms: number, samples: number, top: { fn: string, self_ms: number, pct: number }[], leaves: { stack: string, ms: number }[] }[]} */
export function longStretches(profile, { overMs = 50, top = 12, afterMs = 0 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => {
    const f = n.callFrame;
    const file = f.url ? f.url.replace(/^.*\/(dist|node_modules)\//, '$1/') : '';
    return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
  };
  const stackOf = (id, depth = 6) => {
    const out = [];
    for (let cur = id; cur !== undefined && out.length < depth; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n || n.callFrame.functionName === '(root)') break;
      out.push(label(n));
    }
    return out.join(' < ');
  };
  const samples = profile.samples;
  const deltas = profile.timeDeltas;
  const stretches = [];
  let t = profile.startTime;
  let cur = null;
  const close = () => {
    if (cur && (cur.end - cur.start) / 1000 > overMs && (cur.start - profile.startTime) / 1000 >= afterMs) stretches.push(cur);
    cur = null;
  };
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i];
    const n = byId.get(samples[i]);
    const idle = IDLE.has(n.callFrame.functionName);
    // a sample's time is the delta to the next one
    const dt = (deltas[i + 1] ?? 0);
    if (idle) {
      close();
      continue;
    }
    if (!cur) cur = { start: t, end: t, ids: [] };
    cur.end = t + dt;
    cur.ids.push(samples[i], dt);
  }
  close();
  return stretches
    .sort((a, b) => b.ids.length - a.ids.length)
    .map((s) => {
      const self = new Map();
      const inclusive = new Map();
      const leaves = new Map();
      for (let k = 0; k < s.ids.length; k += 2) {
        const id = s.ids[k];
        const dt = s.ids[k + 1];
        const l = label(byId.get(id));
        self.set(l, (self.get(l) ?? 0) + dt);
        const st = stackOf(id);
        leaves.set(st, (leaves.get(st) ?? 0) + dt);
        const seen = new Set();
        for (let c = id; c !== undefined; c = parent.get(c)) {
          const cl = label(byId.get(c));
          if (seen.has(cl)) continue;
          seen.add(cl);
          inclusive.set(cl, (inclusive.get(cl) ?? 0) + dt);
        }
      }
      const total = s.end - s.start;
      const rank = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
      return {
        start_ms: Math.round((s.start - profile.startTime) / 1000),
        ms: Math.round(total / 100) / 10,
        samples: s.ids.length / 2,
        top: rank(self).map(([fn, us]) => ({ fn, self_ms: Math.round(us / 100) / 10, pct: Math.round((us / total) * 100) })),
        inclusive: rank(inclusive).map(([fn, us]) => ({ fn, ms: Math.round(us / 100) / 10 })),
        leaves: rank(leaves).slice(0, 5).map(([stack, us]) => ({ stack, ms: Math.round(us / 100) / 10 })),
      };
    });
}

/**
 * Single long calls: for each call path (a profile node) the longest run of consecutive samples
 * with it on the stack, i.e. one call (or back-to-back calls from the same place) that held the
 * loop that long. Ranked by samples; only frames from dist/ or node_modules/ (the gateway's and
 * its libraries' code), and for each path only its deepest such frame is kept. `interval_ms` is
 * the mean sampling interval, so samples x interval is about the call's CPU time.
 */
export function longCalls(profile, { minSamples = 20, afterMs = 0, top = 30 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ours = (n) => /\/(dist|node_modules)\//.test(n.callFrame.url);
  const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  const open = new Map(); // node id -> { start, n }
  const runs = [];
  let t = profile.startTime;
  const sorted = [...profile.timeDeltas].sort((a, b) => a - b);
  const interval = (sorted[sorted.length >> 1] ?? 1000) / 1000; // the median: the nominal sampling interval
  for (let i = 0; i <= profile.samples.length; i++) {
    const onStack = new Set();
    if (i < profile.samples.length) {
      t += profile.timeDeltas[i];
      for (let c = profile.samples[i]; c !== undefined; c = parent.get(c)) onStack.add(c);
    }
    for (const [id, r] of open) {
      if (onStack.has(id)) continue;
      open.delete(id);
      if (r.n >= minSamples && (r.start - profile.startTime) / 1000 >= afterMs) runs.push({ id, ...r });
    }
    for (const id of onStack) {
      const r = open.get(id);
      if (r) {
        r.n++;
        r.end = t;
      } else if (ours(byId.get(id))) open.set(id, { start: t, end: t, n: 1 });
    }
  }
  // keep the deepest of nested runs covering the same stretch: a caller's run that a callee's run explains adds nothing
  runs.sort((a, b) => b.n - a.n);
  const kept = [];
  for (const r of runs) {
    const inner = kept.find((k) => k.start >= r.start && k.end <= r.end && k.n >= r.n * 0.8);
    if (inner) continue;
    kept.push(r);
    if (kept.length >= top) break;
  }
  return kept.map((r) => {
    const stack = [];
    for (let c = r.id; c !== undefined && stack.length < 8; c = parent.get(c)) {
      const n = byId.get(c);
      if (n.callFrame.functionName === '(root)') break;
      stack.push(label(n));
    }
    return { samples: r.n, approx_cpu_ms: Math.round(r.n * interval * 10) / 10, wall_ms: Math.round((r.end - r.start) / 100) / 10, at_ms: Math.round((r.start - profile.startTime) / 1000), stack };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { over: { type: 'string', default: '50' }, top: { type: 'string', default: '12' }, after: { type: 'string', default: '0' }, json: { type: 'boolean', default: false }, calls: { type: 'boolean', default: false }, 'min-samples': { type: 'string', default: '20' } } });
  for (const file of positionals) {
    if (values.calls) {
      const calls = longCalls(JSON.parse(readFileSync(file, 'utf8')), { minSamples: Number(values['min-samples']), afterMs: Number(values.after), top: Number(values.top) });
      if (values.json) console.log(JSON.stringify(calls, null, 2));
      else for (const c of calls) console.log(`${String(c.samples).padStart(5)} samples ~${c.approx_cpu_ms} ms cpu, ${c.wall_ms} ms wall, at +${c.at_ms} ms\n    ${c.stack.join('\n  < ')}`);
      continue;
    }
    const st = longStretches(JSON.parse(readFileSync(file, 'utf8')), { overMs: Number(values.over), top: Number(values.top), afterMs: Number(values.after) });
    if (values.json) {
      console.log(JSON.stringify(st, null, 2));
      continue;
    }
    console.log(`${file}: ${st.length} busy stretches over ${values.over} ms`);
    for (const s of st.slice(0, 15)) {
      console.log(`\n${s.ms} ms at +${s.start_ms} ms (${s.samples} samples)`);
      for (const x of s.top.slice(0, 6)) console.log(`  self ${String(x.self_ms).padStart(6)} ms ${String(x.pct).padStart(3)}%  ${x.fn}`);
      console.log('  inclusive:');
      for (const x of s.inclusive.slice(0, 10)) console.log(`    ${String(x.ms).padStart(6)} ms  ${x.fn}`);
    }
  }
}
