// The floor: the least a Node proxy can do. node:http in, undici.Pool out, bytes piped both ways,
// no parsing. Whatever a gateway costs above this is the price of its features.
// `node bench/lib/floor-proxy.mjs <upstreamOrigin> [port]`; prints `LISTENING <port>` when ready.

import { createServer } from 'node:http';
import { Pool } from 'undici';

const origin = process.argv[2];
if (!origin) {
  console.error('usage: floor-proxy.mjs <upstreamOrigin> [port]');
  process.exit(2);
}
const pool = new Pool(origin, { connections: 128 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);

const server = createServer(async (req, res) => {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  try {
    const up = await pool.request({ method: req.method, path: req.url, headers, body: req });
    const out = {};
    for (const [k, v] of Object.entries(up.headers)) if (!HOP.has(k)) out[k] = v;
    res.writeHead(up.statusCode, out);
    for await (const chunk of up.body) res.write(chunk);
    res.end();
  } catch (err) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: String(err?.message ?? err) } }));
  }
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
