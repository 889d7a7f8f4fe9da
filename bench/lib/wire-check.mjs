// Is an answer in the caller's wire format? OpenAI paths get OpenAI error objects and OpenAI
// success shapes, /v1/messages gets Anthropic's; a stream must be well-formed SSE of its format,
// complete, and over HTTP/1.0 framed so a 1.0 client can read it (no chunked encoding).
// Returns null when the answer is right, else a short reason.

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

export function openaiErrorProblem(j) {
  if (!isObj(j) || !isObj(j.error)) return 'not an OpenAI error object ({error:{message,type}})';
  if (j.type === 'error') return 'an Anthropic error object on an OpenAI path';
  if (typeof j.error.message !== 'string' || !j.error.message) return 'OpenAI error without a message';
  if (typeof j.error.type !== 'string') return 'OpenAI error without a type';
  return null;
}

export function anthropicErrorProblem(j) {
  if (!isObj(j) || j.type !== 'error' || !isObj(j.error)) return 'not an Anthropic error object ({type:"error",error:{type,message}})';
  if (typeof j.error.type !== 'string' || typeof j.error.message !== 'string' || !j.error.message) return 'Anthropic error without type/message';
  return null;
}

function chatSuccessProblem(format, j) {
  if (format === 'openai') {
    if (!isObj(j) || j.object !== 'chat.completion' || !Array.isArray(j.choices) || !j.choices.length) return 'not an OpenAI chat.completion';
    const m = j.choices[0].message;
    if (!isObj(m) || m.role !== 'assistant') return 'chat.completion without an assistant message';
    if (!isObj(j.usage)) return 'chat.completion without usage';
    return null;
  }
  if (!isObj(j) || j.type !== 'message' || j.role !== 'assistant' || !Array.isArray(j.content)) return 'not an Anthropic message';
  if (!isObj(j.usage)) return 'Anthropic message without usage';
  return null;
}

function embeddingsSuccessProblem(j) {
  if (!isObj(j) || j.object !== 'list' || !Array.isArray(j.data) || !j.data.length) return 'not an OpenAI embeddings list';
  for (const d of j.data) if (!isObj(d) || d.object !== 'embedding' || !(Array.isArray(d.embedding) || typeof d.embedding === 'string')) return 'embeddings list with a malformed item';
  return null;
}

/** SSE events as {event, data} from a whole body; null when the text is not SSE at all */
export function parseSse(text) {
  const events = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (!block.trim()) continue;
    let event = null;
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field !== 'id' && field !== 'retry') return null;
    }
    events.push({ event, data: data.join('\n') });
  }
  return events;
}

function streamProblem(format, text) {
  const events = parseSse(text);
  if (!events || !events.length) return 'stream body is not SSE';
  if (format === 'openai') {
    const last = events.at(-1);
    const errorEvent = events.some((e) => e.data.startsWith('{"error"'));
    if (last.data !== '[DONE]' && !errorEvent) return 'OpenAI stream not terminated by data: [DONE]';
    for (const e of events) {
      if (e.data === '[DONE]') continue;
      let j;
      try {
        j = JSON.parse(e.data);
      } catch {
        return 'OpenAI stream event whose data is not JSON';
      }
      if (isObj(j.error)) continue; // an in-band error event, OpenAI's own way to fail mid-stream
      if (j.object !== 'chat.completion.chunk' || !Array.isArray(j.choices)) return 'OpenAI stream event that is not a chat.completion.chunk';
    }
    return null;
  }
  let first = true;
  for (const e of events) {
    let j;
    try {
      j = JSON.parse(e.data);
    } catch {
      return 'Anthropic stream event whose data is not JSON';
    }
    if (!isObj(j) || typeof j.type !== 'string') return 'Anthropic stream event without a type';
    if (e.event !== null && e.event !== j.type) return `Anthropic stream event "${e.event}" carrying type "${j.type}"`;
    if (first && j.type !== 'message_start' && j.type !== 'error') return `Anthropic stream starting with ${j.type}`;
    first = false;
  }
  const lastType = JSON.parse(events.at(-1).data).type;
  if (lastType !== 'message_stop' && lastType !== 'error') return `Anthropic stream ending with ${lastType}, not message_stop`;
  return null;
}

/**
 * @param {{format:'openai'|'anthropic', kind:string, version:string, method:string}} c the case
 * @param {import('./raw-http.mjs').rawExchange extends (...a:any)=>Promise<infer R> ? R : never} res
 */
export function wireProblem(c, res) {
  if (c.method === 'HEAD') return null;
  if (res.framingError) return `broken framing: ${res.framingError}`;
  if (c.version === '1.0' && res.framing === 'chunked') return 'chunked transfer-encoding sent to an HTTP/1.0 client';
  if (!res.complete) return `answer cut off (${res.framing} framing, connection ${res.closedBy})`;
  const ct = res.headers['content-type'] ?? '';
  const text = res.body.toString('utf8');
  const ok = res.status >= 200 && res.status < 300;
  if (ok && /text\/event-stream/.test(ct)) return streamProblem(c.format, text);
  if (!text.length) return `HTTP ${res.status} with an empty body`;
  let j;
  try {
    j = JSON.parse(text);
  } catch {
    return `HTTP ${res.status} body is not JSON`;
  }
  if (!/application\/json/.test(ct)) return `HTTP ${res.status} JSON body with content-type "${ct}"`;
  if (!ok) {
    const p = c.format === 'anthropic' ? anthropicErrorProblem(j) : openaiErrorProblem(j);
    if (p) return p;
    const msg = j.error.message;
    const m = /expected (?:an? )?(\w+), but got (?:an? )?(\w+)/i.exec(msg);
    if (m && m[1] === m[2]) return `self-contradicting error message: "${msg.slice(0, 120)}"`;
    return null;
  }
  if (c.kind === 'embeddings') return embeddingsSuccessProblem(j);
  if (c.kind === 'chat') return chatSuccessProblem(c.format, j);
  return null; // another endpoint (models list, count_tokens): any JSON success is fine
}
