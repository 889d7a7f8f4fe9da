// The cache stage in a minimal node:http server (until the gateway wires it): OpenAI wire in,
// canonical request, cache stage, on a miss an undici call to the upstream; hits rendered with the
// repo's OpenAI codec. `node bench/cache-exact-server.mjs <upstreamOrigin> <dataDir>`; prints LISTENING <port>.
import { createServer } from 'node:http';
import { Pool } from 'undici';
import { createCacheStage } from '../dist/levers/cache/index.js';
import { parseOpenAIChatRequest } from '../dist/providers/openai/parse-chat-request.js';
import { parseOpenAIChatResponse } from '../dist/providers/openai/parse-chat-response.js';
import { renderOpenAIChatResponse } from '../dist/providers/openai/render-chat-response.js';

const [origin, dataDir] = process.argv.slice(2);
const pool = new Pool(origin, { connections: 128 });
const stage = await createCacheStage({}, { dataDir, costOf: () => 0 });
let n = 0;
const server = createServer(async (req, res) => {
  const parts = [];
  for await (const c of req) parts.push(c);
  const raw = Buffer.concat(parts);
  const request = parseOpenAIChatRequest(JSON.parse(raw.toString('utf8')));
  const ctx = {
    requestId: 'r' + ++n, format: 'openai', endpoint: '/v1/chat/completions', caller: { keyId: 'bench' }, headers: req.headers,
    request, rawBody: raw, rewritten: false, target: { provider: 'mock', model: request.model }, trail: [], record: {}, attempts: [],
    responseHeaders: {}, timings: {}, signal: new AbortController().signal, receivedAt: Date.now(),
  };
  try {
    const result = await stage.handle(ctx, async () => {
      const up = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: raw });
      const json = await up.body.json();
      return { kind: 'complete', response: parseOpenAIChatResponse(json), source: 'upstream' };
    });
    const body = JSON.stringify(renderOpenAIChatResponse(result.response, { model: request.model }));
    res.writeHead(200, { 'content-type': 'application/json', ...ctx.responseHeaders });
    res.end(body);
  } catch (e) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: String(e?.message ?? e) } }));
  }
});
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));
process.on('SIGTERM', async () => { await stage.close(); process.exit(0); });
