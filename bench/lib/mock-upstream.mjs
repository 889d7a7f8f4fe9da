// A zero-delay OpenAI Chat Completions upstream for the overhead bench. Runs in its own process
// (`node bench/lib/mock-upstream.mjs [port]`) so its CPU is not charged to the system under test
// or to the load generator. Prints `LISTENING <port>` on stdout when ready.
//
// Non-stream: one JSON body with a realistic usage object (cached and reasoning sub-counts).
// Stream (`"stream": true`): a role chunk, CONTENT_CHUNKS content chunks, a finish chunk, a usage
// chunk (choices: []) and `data: [DONE]`: the shape OpenAI sends with include_usage. Each chunk
// is its own write, one per event-loop turn (no timer delay), so a proxy sees separate chunks the
// way it would from a real provider and has to relay them one by one.

import { createServer } from 'node:http';

const CONTENT_CHUNKS = 20;
const WORDS = 'The quick brown fox jumps over the lazy dog while the gateway counts every token it sees'.split(' ');

const usage = {
  prompt_tokens: 42,
  completion_tokens: CONTENT_CHUNKS,
  total_tokens: 42 + CONTENT_CHUNKS,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};

const pieces = Array.from({ length: CONTENT_CHUNKS }, (_, i) => (i === 0 ? '' : ' ') + WORDS[i % WORDS.length]);
const fullText = pieces.join('');

let seq = 0;
const nextId = () => `chatcmpl-bench${(++seq).toString(36)}`;

function completionJson(model) {
  return JSON.stringify({
    id: nextId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, message: { role: 'assistant', content: fullText, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
    usage,
    service_tier: 'default',
  });
}

function streamEvents(model) {
  const base = { id: nextId(), object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, system_fingerprint: 'fp_bench', service_tier: 'default' };
  const ev = (o) => `data: ${JSON.stringify({ ...base, ...o })}\n\n`;
  const out = [ev({ choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], usage: null })];
  for (const p of pieces) out.push(ev({ choices: [{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null }], usage: null }));
  out.push(ev({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null }));
  out.push(ev({ choices: [], usage }));
  out.push('data: [DONE]\n\n');
  return out;
}

function writeStream(res, events) {
  let i = 0;
  const step = () => {
    if (res.destroyed) return;
    res.write(events[i++]);
    if (i < events.length) setImmediate(step);
    else res.end();
  };
  step();
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } }));
      return;
    }
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'invalid JSON body', type: 'invalid_request_error' } }));
      return;
    }
    const model = typeof body.model === 'string' ? body.model : 'gpt-4o-mini';
    if (body.stream === true) {
      res.writeHead(200, { 'content-type': process.env.MOCK_SSE_CT ?? 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': `req_${seq}` });
      writeStream(res, streamEvents(model));
    } else {
      const json = completionJson(model);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), 'x-request-id': `req_${seq}` });
      res.end(json);
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
