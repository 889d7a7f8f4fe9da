// A collector stand-in for benchmarks: accepts OTLP/HTTP JSON exports on 127.0.0.1 (its own
// process, so its parsing does not share the gateway's CPU), counts spans and metric exports,
// answers 200. Prints `LISTENING <port>`; on SIGTERM prints `SPANS <n> METRIC_EXPORTS <m>`.
import { createServer } from 'node:http';

let spans = 0;
let metricExports = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (req.url === '/v1/traces') for (const rs of msg.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans += (ss.spans ?? []).length;
      else if (req.url === '/v1/metrics') metricExports++;
    } catch {
      // a body that is not JSON still gets its 200: the sink measures nothing about it
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));
process.on('SIGTERM', () => {
  console.log(`SPANS ${spans} METRIC_EXPORTS ${metricExports}`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
