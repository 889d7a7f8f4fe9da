// Series count and /metrics render cost after N fuzzed requests: the gateway (built dist, child
// process) in front of the simulator, N seeded fuzz cases sent, then /metrics fetched a few times.
// Reports lines per metric family, the body size and the scrape time (load average beside it).
//
//   node bench/metrics-cardinality.mjs [--requests 5000] [--seed 1] [--dump FILE]

import os from 'node:os';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { installCleanup, makeTempDir } from './lib/children.mjs';
import { makeCase } from './lib/fuzz-cases.mjs';
import { startGateway, startSim, writeGatewayConfig } from './lib/procs.mjs';
import { rawExchange } from './lib/raw-http.mjs';

const { values: a } = parseArgs({ options: { requests: { type: 'string', default: '5000' }, seed: { type: 'string', default: '1' }, dump: { type: 'string' }, concurrency: { type: 'string', default: '8' } } });
installCleanup();
const requests = Number(a.requests);
const seed = Number(a.seed);
const sim = await startSim({ seed });
const gw = await startGateway(await writeGatewayConfig({ simUrl: sim.url, dataDir: makeTempDir('tollgate-card-'), levers: true }));
let next = 0;
await Promise.all(Array.from({ length: Number(a.concurrency) }, async () => {
  while (next < requests) {
    const c = makeCase(seed, next++, gw.port);
    await rawExchange({ port: gw.port, head: c.head, body: c.body, halfClose: c.halfClose, timeoutMs: 30_000, method: c.method });
  }
}));
const times = [];
let text = '';
for (let k = 0; k < 5; k++) {
  const t = performance.now();
  text = await fetch(`${gw.url}/metrics`).then((r) => r.text());
  times.push(Math.round((performance.now() - t) * 10) / 10);
}
const fam = {};
for (const line of text.split('\n')) {
  if (!line || line.startsWith('#')) continue;
  const name = line.replace(/[{ ].*$/, '').replace(/_(bucket|sum|count)$/, '');
  fam[name] = (fam[name] ?? 0) + 1;
}
const models = new Set([...text.matchAll(/gen_ai_request_model="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]));
console.log(JSON.stringify({
  requests, seed, bytes: text.length, lines: text.split('\n').length, distinct_requested_models: models.size,
  scrape_ms: times, load_average: os.loadavg().map((x) => Math.round(x * 100) / 100),
  top_families: Object.entries(fam).sort((x, y) => y[1] - x[1]).slice(0, 12),
}, null, 2));
if (a.dump) writeFileSync(a.dump, text);
await gw.stop();
await sim.stop();
process.exit(0);
