// Replay speed: 1M requests of the Azure LLM inference trace (conversation, 2023; looped) replayed
// under a new policy in price-only mode, through the same engine the gateway runs. Target: <= 20 s.
//
//   npm run bench:replay                  # 1,000,000 requests, policy: tiering + exact cache + prompt-cache lever
//   node bench/replay.mjs --requests 200000 --pipeline cache,router,execute
//
// Prints one JSON line and appends nothing: copy the figures to bench/RESULTS.md with the date,
// the machine and the load average it prints.

import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { replayPolicy } from '../dist/forecast/replay/run.js';
import { traceItems } from '../dist/forecast/replay/sources.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000000' },
    pipeline: { type: 'string', default: 'cache,router,prompt-cache,execute' },
    trace: { type: 'string', default: '../shared/data/azure-llm-trace-2023/AzureLLMInferenceTrace_conv.csv' },
  },
});
const requests = Number(values.requests);
const ROWS = 19_366 - 1;

const policy = {
  providers: [
    { name: 'openai', kind: 'openai', baseUrl: 'https://api.openai.com/v1' },
    { name: 'anthropic', kind: 'anthropic', baseUrl: 'https://api.anthropic.com' },
  ],
  models: [
    { name: 'gpt-4o', provider: 'openai' },
    { name: 'gpt-4o-mini', provider: 'openai' },
    { name: 'claude-sonnet-4', provider: 'anthropic', model: 'claude-sonnet-4-20250514' },
  ],
  routes: {
    support: {
      tiers: [
        { name: 'cheap', models: ['gpt-4o-mini'] },
        { name: 'strong', models: ['gpt-4o'] },
      ],
      rules: [{ name: 'long', when: { inputTokensGt: 2000 }, tier: 'strong' }],
      defaultTier: 'cheap',
      baseline: 'gpt-4o',
    },
  },
  pipeline: values.pipeline.split(','),
};

const load = loadavg().map((x) => x.toFixed(2));
const items = traceItems({ kind: 'azure', file: values.trace, model: 'support', limit: requests, loops: Math.ceil(requests / ROWS) });
let last = 0;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const report = await replayPolicy(items, {
  policy,
  onProgress: (done) => {
    if (done - last >= 100_000) {
      last = done;
      process.stderr.write(`  ${done.toLocaleString('en-US')} requests, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
  },
  progressEvery: 10_000,
});
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} x ${cpus()[0]?.model}`,
    loadAverageBefore: load,
    loadAverageAfter: loadavg().map((x) => x.toFixed(2)),
    requests: report.requests,
    pipeline: policy.pipeline,
    seconds: Number(seconds.toFixed(2)),
    requestsPerSecond: Math.round(report.requests / seconds),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    microsecondsPerRequest: Number(((seconds * 1e6) / report.requests).toFixed(1)),
    target: 'replay 1M requests in <= 20 s (price-only)',
    met: report.requests >= 1_000_000 && seconds <= 20,
    predictedCostUsd: Number(report.costUsd.toFixed(2)),
    byModel: report.byModel,
    latencyMs: report.latencyMs,
    rateLimitedRequests: report.rateLimitedRequests,
    cacheHits: report.cacheHits,
  }),
);
