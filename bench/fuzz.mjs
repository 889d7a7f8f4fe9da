// `npm run bench:fuzz`: a seeded fuzzer over /v1/chat/completions, /v1/messages and /v1/embeddings
// against the built gateway (child process) with the simulator in its own process. Reports
// crashes, gateway-made vs relayed 5xx, answers not in the caller's wire format, hangs, /health
// stalls and ledger completeness; writes bench/results/fuzz.json. Method: bench/README.md.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installCleanup } from './lib/children.mjs';
import { runFuzz, summarizeFuzz } from './lib/fuzz-run.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: a } = parseArgs({
  options: {
    requests: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '16' },
    'hang-timeout': { type: 'string', default: '30' }, // seconds without a complete answer = a hang
    'max-hangs': { type: 'string', default: '200' },
    out: { type: 'string', default: join(here, 'results', 'fuzz.json') },
    // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the gateway (bench/lib/profile-stalls.mjs reads it)
    'gateway-node-args': { type: 'string', default: '' },
    help: { type: 'boolean', default: false },
  },
});
if (a.help) {
  console.log('usage: node bench/fuzz.mjs [--requests N] [--seed S] [--concurrency C] [--hang-timeout s] [--max-hangs N] [--out file] [--gateway-node-args="--cpu-prof --cpu-prof-dir=DIR"]');
  process.exit(0);
}
const int = (name, min) => {
  const v = Number(a[name]);
  if (!Number.isInteger(v) || v < min) {
    console.error(`bench:fuzz: --${name} must be an integer >= ${min} (got ${a[name]})`);
    process.exit(2);
  }
  return v;
};
installCleanup();
const report = await runFuzz({
  requests: int('requests', 1),
  seed: int('seed', 0),
  concurrency: int('concurrency', 1),
  hangTimeoutMs: int('hang-timeout', 1) * 1000,
  maxHangs: int('max-hangs', 0),
  gatewayNodeArgs: a['gateway-node-args'].split(/\s+/).filter(Boolean),
  log: (s) => console.log(s),
});
mkdirSync(dirname(a.out), { recursive: true });
writeFileSync(a.out, JSON.stringify(report, null, 2) + '\n');
console.log(summarizeFuzz(report));
console.log(`wrote ${a.out}`);
const clean = report.crashes === 0 && report.gateway_5xx === 0 && report.caller_format.in_format === report.caller_format.answered && report.ledger.missing === 0 && report.hangs.count === 0;
process.exit(clean ? 0 : 1);
