// Well-formed requests of the three client paths, drawn from a seeded generator, sent with a
// normal client (undici) and checked with the fuzzer's wire-format rules. Used by chaos and soak.

import { request } from 'undici';
import { rng } from './fuzz-cases.mjs';
import { wireProblem } from './wire-check.mjs';

export const PATHS = { openai: '/v1/chat/completions', anthropic: '/v1/messages', embeddings: '/v1/embeddings' };

/** one valid request: {format, kind, path, stream, headers, body} */
export function validRequest(r, { content, model, stream } = {}) {
  const ep = r.pick(['openai', 'openai', 'anthropic', 'anthropic', 'embeddings']);
  const text = content ?? `chaos ${r.int(0, 1e9)}: how long does delivery take?`;
  const s = stream ?? r.chance(0.5);
  if (ep === 'openai') {
    const body = { model: model ?? r.pick(['gpt-4o-mini', 'gpt-4o', 'gemini-2.0-flash']), messages: [{ role: 'user', content: text }], max_tokens: r.int(4, 24) };
    if (s) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
    return { format: 'openai', kind: 'chat', path: PATHS.openai, stream: s, headers: { 'content-type': 'application/json', authorization: 'Bearer tg-chaos' }, body: JSON.stringify(body) };
  }
  if (ep === 'anthropic') {
    const body = { model: model ?? r.pick(['claude-3-5-haiku', 'claude-sonnet-4']), max_tokens: r.int(4, 24), messages: [{ role: 'user', content: text }], ...(s ? { stream: true } : {}) };
    return { format: 'anthropic', kind: 'chat', path: PATHS.anthropic, stream: s, headers: { 'content-type': 'application/json', 'x-api-key': 'tg-chaos', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body) };
  }
  return { format: 'openai', kind: 'embeddings', path: PATHS.embeddings, stream: false, headers: { 'content-type': 'application/json', authorization: 'Bearer tg-chaos' }, body: JSON.stringify({ model: 'text-embedding-3-small', input: text }) };
}

/**
 * Send one request; resolves with {outcome:'answered'|'error'|'hang'|'aborted', status, id, problem, ms}.
 * `abortAfterBytes`: the client disconnects once that many body bytes arrived (or before any
 * headers when 0), as a user closing a tab does.
 */
export async function sendValid(origin, req, { timeoutMs = 30_000, abortAfterBytes = null, dispatcher } = {}) {
  const t0 = performance.now();
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error('hang')), timeoutMs);
  let status = null;
  let id = null;
  try {
    if (abortAfterBytes === 0) setTimeout(() => ac.abort(new Error('client-abort')), 1);
    const res = await request(origin + req.path, { method: 'POST', headers: req.headers, body: req.body, signal: ac.signal, dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    status = res.statusCode;
    id = res.headers['x-tollgate-request-id'] ?? null;
    const parts = [];
    let n = 0;
    for await (const c of res.body) {
      parts.push(c);
      n += c.length;
      if (abortAfterBytes !== null && n >= abortAfterBytes) {
        ac.abort(new Error('client-abort'));
        return { outcome: 'aborted', status, id, ms: performance.now() - t0 };
      }
    }
    const headers = {};
    for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const shaped = { status, headers, body: Buffer.concat(parts), complete: true, framing: headers['transfer-encoding'] ? 'chunked' : 'length' };
    const problem = wireProblem({ format: req.format, kind: req.kind, version: '1.1', method: 'POST' }, shaped);
    const ok = status >= 200 && status < 300;
    return { outcome: 'answered', status, id, problem, ms: performance.now() - t0, complete: !problem && ok, answer: problem || !ok ? shaped.body.toString('utf8').slice(0, 300) : undefined };
  } catch (e) {
    const reason = ac.signal.aborted ? String(ac.signal.reason?.message ?? ac.signal.reason) : null;
    if (reason === 'hang') return { outcome: 'hang', status, id, ms: performance.now() - t0 };
    if (reason === 'client-abort') return { outcome: 'aborted', status, id, ms: performance.now() - t0 };
    return { outcome: 'error', status, id, error: e.code ?? e.message, ms: performance.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

export { rng };
