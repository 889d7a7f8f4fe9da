// Seeded fuzz cases for the gateway's three client paths. A case is a valid request of its wire
// format (OpenAI chat, Anthropic messages, OpenAI embeddings) with 0-3 mutations of the body, the
// framing or the request line applied on top; the same (seed, index) always gives the same bytes.

/** mulberry32: tiny, fast, good enough to draw fuzz choices reproducibly */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
  };
}

const OPENAI_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gemini-2.0-flash', 'claude-3-5-haiku', 'auto'];
const ANTHROPIC_MODELS = ['claude-3-5-haiku', 'claude-sonnet-4', 'gpt-4o-mini', 'auto'];
const PROMPTS = [
  'Do you ship to Canada?',
  'How do I reset my password?',
  'Summarise the return policy in one sentence.',
  'Write a haiku about invoices.',
  'What is 17 * 23?',
  'Translate "good morning" into French.',
];

// Placeholders a mutation puts into the object; serialise() swaps them for text JSON.stringify cannot make.
const RAW = '\u0000RAW:';
const raw = (text) => `${RAW}${text}\u0000`;

function baseOpenAI(r) {
  const body = {
    model: r.pick(OPENAI_MODELS),
    messages: [
      ...(r.chance(0.4) ? [{ role: 'system', content: 'You are terse.' }] : []),
      { role: 'user', content: `${r.pick(PROMPTS)} #${r.int(0, 1e6)}` },
    ],
    max_tokens: r.int(1, 24),
  };
  if (r.chance(0.5)) body.temperature = r.pick([0, 0.2, 1]);
  if (r.chance(0.35)) {
    body.stream = true;
    if (r.chance(0.6)) body.stream_options = { include_usage: true };
  }
  return body;
}

function baseAnthropic(r) {
  const body = {
    model: r.pick(ANTHROPIC_MODELS),
    max_tokens: r.int(1, 24),
    messages: [{ role: 'user', content: r.chance(0.5) ? `${r.pick(PROMPTS)} #${r.int(0, 1e6)}` : [{ type: 'text', text: `${r.pick(PROMPTS)} #${r.int(0, 1e6)}` }] }],
  };
  if (r.chance(0.3)) body.system = 'You are terse.';
  if (r.chance(0.35)) body.stream = true;
  return body;
}

function baseEmbeddings(r) {
  const body = { model: 'text-embedding-3-small', input: r.chance(0.6) ? `${r.pick(PROMPTS)} #${r.int(0, 1e6)}` : [r.pick(PROMPTS), r.pick(PROMPTS)] };
  if (r.chance(0.2)) body.dimensions = r.pick([8, 64, 256]);
  if (r.chance(0.2)) body.encoding_format = r.pick(['float', 'base64']);
  return body;
}

const ODD_NUMBERS = [raw('1e400'), raw('-1e400'), -1, 0, raw('-0'), 1e-300, 2 ** 53 + 1, 1e308, 'NaN', 'Infinity', '12', 3.5, raw('1.0e+2'), 4294967297];
const ODD_VALUES = () => [null, true, false, 0, -1, '', 'x', [], {}, [1, 2], { a: 1 }, ...ODD_NUMBERS];
const UNICODE = ['\ud800', '\udfff', '\ud83d', '😀👩‍👩‍👧', '\u202eRTL', '\u200b\u200b', '\u0000', '\uffff', 'e\u0301', '𝓤𝓷𝓲𝓬𝓸𝓭𝓮', '\\u0000 literal'];

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** every [parent, key] of plain objects/arrays in `v`, to mutate one at random */
function slots(v, out = [], depth = 0) {
  if (depth > 6 || v === null || typeof v !== 'object') return out;
  for (const k of Array.isArray(v) ? v.keys() : Object.keys(v)) {
    out.push([v, k]);
    slots(v[k], out, depth + 1);
  }
  return out;
}

function nested(depth, kind) {
  return raw(kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
}

/** varied base64-looking text (a run of one character would freeze the simulator's tokenizer) */
function pseudoBase64(n) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let s = '';
  for (let i = 0; s.length < n; i++) s += abc[(i * 2654435761 >>> 7) & 63];
  return s;
}

function longString(r) {
  const n = r.pick([1000, 20_000, 100_000, 400_000]);
  const kind = r.int(0, 3);
  // One character repeated: the tokenizer's worst case (quadratic: ~1 s at 30k characters). Kept
  // at 30k because the simulator tokenizes every prompt too and freezes on longer runs.
  if (kind === 0) return 'a'.repeat(r.pick([1000, 10_000, 30_000]));
  if (kind === 1) return 'lorem ipsum dolor sit amet '.repeat(Math.ceil(n / 27)).slice(0, n);
  if (kind === 2) return '😀 你好 ✓ '.repeat(Math.ceil(n / 10)); // spaced: a run of one emoji is the same worst case
  return Array.from({ length: Math.ceil(n / 8) }, (_, i) => (i * 2654435761 >>> 0).toString(36)).join(' ');
}

// Body mutations: (r, body, endpoint) -> void (in place); names are what the report counts.
const BODY_MUTATIONS = {
  wrong_type(r, b) {
    const s = slots(b);
    if (!s.length) return;
    const [p, k] = r.pick(s);
    p[k] = r.pick(ODD_VALUES());
  },
  missing_field(r, b) {
    const s = slots(b);
    if (!s.length) return;
    const [p, k] = r.pick(s);
    if (Array.isArray(p)) p.splice(k, 1);
    else delete p[k];
  },
  extra_field(r, b) {
    const s = slots(b).filter(([p, k]) => p[k] && typeof p[k] === 'object' && !Array.isArray(p[k]));
    const slot = s.length && r.chance(0.5) ? r.pick(s) : null;
    const target = slot ? slot[0][slot[1]] : b;
    if (!isObj(target)) return;
    target[r.pick(['foo', '__proto__', 'constructor', 'extra_body', 'user', 'metadata', 'n', 'logprobs', 'seed', 'x'.repeat(300)])] = r.pick(ODD_VALUES());
  },
  odd_number(r, b, ep) {
    const keys = ep === 'embeddings' ? ['dimensions'] : ['max_tokens', 'temperature', 'top_p', 'n', 'max_completion_tokens', 'presence_penalty', 'top_k', 'seed'];
    b[r.pick(keys)] = r.pick(ODD_NUMBERS);
  },
  deep_nesting(r, b, ep) {
    const depth = r.pick([10, 100, 1000, 3000, 5000, 20_000]);
    const v = nested(depth, r.pick(['array', 'object']));
    if (ep === 'embeddings') b.input = v;
    else if (r.chance(0.5)) b.metadata = v;
    else if (isObj(b.messages?.[0])) b.messages[0].content = v;
    else b.messages = v;
  },
  long_string(r, b, ep) {
    const s = longString(r);
    if (ep === 'embeddings') b.input = s;
    else if (r.chance(0.2)) b.model = s.slice(0, r.pick([300, 5000, 100_000]));
    else if (r.chance(0.2)) (ep === 'anthropic' ? (b.metadata = { user_id: s }) : (b.user = s));
    else if (Array.isArray(b.messages) && b.messages.length) b.messages[b.messages.length - 1] = { role: 'user', content: s };
    else b.messages = [{ role: 'user', content: s }];
  },
  unicode(r, b, ep) {
    const u = Array.from({ length: r.int(1, 6) }, () => r.pick(UNICODE)).join('');
    if (ep === 'embeddings') b.input = u;
    else if (r.chance(0.2)) b.model = `gpt-4o-mini${u}`;
    else if (Array.isArray(b.messages) && b.messages[0]) b.messages[0] = { role: 'user', content: u };
    else b.messages = [{ role: 'user', content: u }];
    if (r.chance(0.2)) b[u] = u;
  },
  stream_flag(r, b) {
    b.stream = r.pick([true, false, 'true', 1, null, {}]);
    if (r.chance(0.3)) b.stream_options = r.pick([{ include_usage: true }, { include_usage: 'yes' }, null, [], { include_usage: false }]);
  },
  tools(r, b, ep) {
    if (ep === 'embeddings') return;
    const good =
      ep === 'anthropic'
        ? { name: 'get_weather', description: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }
        : { type: 'function', function: { name: 'get_weather', description: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
    const bad = r.pick([
      {},
      { type: 'function' },
      { type: 'function', function: { name: '' } },
      { name: 'x', input_schema: 'not a schema' },
      { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { $ref: '#' } } } } },
      { type: 'function', function: { name: 'f', parameters: { type: 'array', items: { type: 'array', items: { type: 'array' } } } } },
      'tool',
    ]);
    b.tools = r.chance(0.5) ? [good] : r.chance(0.5) ? [good, bad] : [bad];
    if (r.chance(0.5)) b.tool_choice = r.pick(ep === 'anthropic' ? [{ type: 'any' }, { type: 'tool', name: 'get_weather' }, { type: 'tool', name: 'nope' }, 'auto', 7] : ['required', 'auto', 'none', { type: 'function', function: { name: 'get_weather' } }, { type: 'function', function: { name: 'nope' } }, 7]);
  },
  image(r, b, ep) {
    if (ep === 'embeddings') {
      b.input = r.pick([[1, 2, 3], [[1, 2], [3]], [], [''], ['']]);
      return;
    }
    const data = r.pick(['iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', '!!!not base64', pseudoBase64(r.pick([10, 300_000]))]);
    const part =
      ep === 'anthropic'
        ? r.pick([{ type: 'image', source: { type: 'base64', media_type: r.pick(['image/png', 'text/html', '']), data } }, { type: 'image', source: { type: 'url', url: r.pick(['https://example.com/a.png', 'javascript:alert(1)', '']) } }, { type: 'image' }])
        : r.pick([{ type: 'image_url', image_url: { url: `data:image/png;base64,${data}` } }, { type: 'image_url', image_url: { url: r.pick(['https://example.com/a.png', 'file:///etc/passwd', '', 7]) } }, { type: 'image_url' }, { type: 'input_audio', input_audio: { data, format: 'wav' } }]);
    b.messages = [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, part] }];
  },
  bad_role(r, b, ep) {
    if (ep === 'embeddings') return;
    const role = r.pick(['robot', '', 'System', 'tool', 'function', 'developer', 'assistant', null, 7, 'system']);
    const msg = r.pick([{ role, content: 'hi' }, { content: 'no role' }, { role: 'tool', content: 'x' }, { role: 'assistant', content: null }, { role: 'user' }, { role: 'user', content: [] }, { role: 'user', content: [{ type: 'nope' }] }]);
    if (!Array.isArray(b.messages)) b.messages = [];
    if (r.chance(0.5)) b.messages.push(msg);
    else b.messages.unshift(msg);
    if (r.chance(0.2)) b.messages = [];
  },
  model_name(r, b) {
    b.model = r.pick(['', 'nope', 'gpt-4o-mini ', 'GPT-4O-MINI', '../etc/passwd', 'auto', 'claude-sonnet-4-20250514', 'text-embedding-3-small', 'gpt-4o-mini\n', null, 42]);
  },
  upstream_fault() {
    // marker only: the case sets x-sim-fault (the demo forwards it to the simulator), so the
    // report can show relayed upstream 5xx kept apart from the gateway's own
  },
};

// Text-level mutations of the serialised body.
const TEXT_MUTATIONS = {
  invalid_json(r, text) {
    return r.pick([
      () => text.slice(0, Math.max(1, r.int(0, text.length - 1))),
      () => text + r.pick(['}', ',', ' garbage', '\u0000']),
      () => text.replace(/"/g, "'"),
      () => text.replace(/}$/, ',}'),
      () => r.pick(['', ' ', 'null', '[]', '"a string"', '123', 'true', '{', '{"model":', '\ufeff' + text, '{}']),
      () => text.replace(/:/, '::'),
    ])();
  },
};

// Framing / transport mutations.
const FRAMING = ['wrong_content_type', 'truncated_body', 'long_content_length', 'odd_headers', 'http10', 'absolute_form', 'method', 'path', 'invalid_utf8', 'chunked_request'];

const PATHS = { openai: '/v1/chat/completions', anthropic: '/v1/messages', embeddings: '/v1/embeddings' };

function serialise(body) {
  let text = JSON.stringify(body);
  if (text.includes('\\u0000RAW:')) text = text.replace(/"\\u0000RAW:((?:[^"\\]|\\.)*?)\\u0000"/g, (_, t) => JSON.parse(`"${t}"`));
  return text;
}

/**
 * Case `i` of the run with `seed`. `port` is the gateway's (for absolute-form targets and Host).
 * Returns what to send and what the caller's wire format is.
 */
export function makeCase(seed, i, port) {
  const r = rng((seed * 1_000_003 + i * 7919) >>> 0);
  const ep = r.pick(['openai', 'openai', 'openai', 'anthropic', 'anthropic', 'anthropic', 'embeddings']);
  const body = ep === 'openai' ? baseOpenAI(r) : ep === 'anthropic' ? baseAnthropic(r) : baseEmbeddings(r);
  const mutations = [];
  const n = r.chance(0.15) ? 0 : r.int(1, 3);
  const names = Object.keys(BODY_MUTATIONS);
  let textMutation = null;
  const framing = new Set();
  for (let k = 0; k < n; k++) {
    const roll = r.next();
    if (roll < 0.62) {
      const m = r.pick(names);
      // the rare heavy ones are rarer still, so a 100k run is not all big bodies
      if ((m === 'long_string' || m === 'deep_nesting') && r.chance(0.6)) continue;
      if (m === 'upstream_fault' && r.chance(0.7)) continue;
      BODY_MUTATIONS[m](r, body, ep);
      mutations.push(m);
    } else if (roll < 0.72) {
      textMutation = 'invalid_json';
    } else {
      framing.add(r.pick(FRAMING));
    }
  }
  let text = serialise(body);
  if (textMutation) {
    text = TEXT_MUTATIONS[textMutation](r, text);
    mutations.push(textMutation);
  }
  let bodyBuf = Buffer.from(text, 'utf8');
  let path = PATHS[ep];
  let method = 'POST';
  let version = '1.1';
  let target = path;
  const headers = [
    ['host', `127.0.0.1:${port}`],
    ['content-type', 'application/json'],
  ];
  if (ep === 'anthropic') {
    headers.push(['x-api-key', 'tg-fuzz-key']);
    headers.push(['anthropic-version', '2023-06-01']);
  } else headers.push(['authorization', 'Bearer tg-fuzz-key']);
  if (mutations.includes('upstream_fault')) headers.push(['x-sim-fault', r.pick(['500', '503', '529', '429', 'cut', 'error-event'])]);
  let halfClose = false;
  let lengthDelta = 0;
  let chunked = false;
  for (const f of framing) {
    mutations.push(f);
    if (f === 'wrong_content_type') {
      const i = headers.findIndex(([k]) => k === 'content-type');
      const v = r.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', null, 'application/json; charset=latin1', 'application/xml', '']);
      if (v === null) headers.splice(i, 1);
      else headers[i] = ['content-type', v];
    } else if (f === 'truncated_body') {
      // declare the whole body, send part of it, then close our side: the body never completes
      halfClose = true;
      lengthDelta = -Math.max(1, r.int(1, Math.max(1, bodyBuf.length - 1)));
    } else if (f === 'long_content_length') {
      // declare less than is sent: the rest reads as a second, garbage request on the connection
      lengthDelta = r.int(1, Math.max(1, bodyBuf.length >> 1));
    } else if (f === 'odd_headers') {
      const pickOdd = r.pick([
        () => headers.push(['x-tollgate-cache', r.pick(['bogus', 'only-if-cached', 'no-store', ''])]),
        () => headers.push(['x-tollgate-user-tier', 'x'.repeat(r.pick([10, 5000]))]),
        () => headers.push(['x-tollgate-task', r.pick(['math', '', '\u00ff\u00fe'])]),
        () => headers.push(['x-tollgate-session', 's'.repeat(r.pick([10, 20_000]))]),
        () => headers.push(['x-big', 'v'.repeat(r.pick([4000, 20_000]))]),
        () => headers.push(['anthropic-version', r.pick(['', 'yesterday', '2023-06-01, 2023-06-01'])]),
        () => headers.push(['authorization', r.pick(['', 'Bearer', 'Basic Zm9vOmJhcg==', 'Bearer ' + 'k'.repeat(3000)])]),
        () => headers.push(['content-length', String(bodyBuf.length + 1)]), // duplicate, disagreeing
        () => headers.push(['expect', '100-continue']),
        () => headers.push(['accept-encoding', 'gzip, br']),
        () => headers.push(['x-request-id', '\u00e9\u00e8']),
        () => headers.push(['connection', r.pick(['keep-alive', 'upgrade', 'close, te'])]),
        () => headers.push(['transfer-encoding', 'gzip']),
      ]);
      pickOdd();
    } else if (f === 'http10') version = '1.0';
    else if (f === 'absolute_form') target = `http://127.0.0.1:${port}${path}`;
    else if (f === 'method') method = r.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
    else if (f === 'path') {
      path = r.pick([`${path}/`, `${path}?x=1&y=%zz`, `/${path}`, `${path}%00`, '/v1/messages/count_tokens', `${path}/../${path.slice(4)}`, '/v1/responses', '/v1/messages/batches']);
      target = path;
    } else if (f === 'invalid_utf8') {
      const at = r.int(0, bodyBuf.length);
      bodyBuf = Buffer.concat([bodyBuf.subarray(0, at), Buffer.from(r.pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]])), bodyBuf.subarray(at)]);
    } else if (f === 'chunked_request') chunked = true;
  }
  let wire = bodyBuf;
  if (chunked && version === '1.1') {
    const parts = [];
    for (let o = 0; o < bodyBuf.length; o += 4096) {
      const c = bodyBuf.subarray(o, o + 4096);
      parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from('0\r\n\r\n'));
    wire = Buffer.concat(parts);
    headers.push(['transfer-encoding', 'chunked']);
  } else if (!headers.some(([k]) => k === 'content-length') || lengthDelta) {
    headers.push(['content-length', String(bodyBuf.length + (lengthDelta > 0 ? -lengthDelta : 0))]);
    if (lengthDelta < 0) wire = bodyBuf.subarray(0, bodyBuf.length + lengthDelta);
  } else headers.unshift(['content-length', String(bodyBuf.length)]);
  // HTTP/1.0 without keep-alive: the server closes after answering (what nginx sends upstream)
  const head = `${method} ${target} HTTP/${version}\r\n${headers.map(([k, v]) => `${k}: ${v.replace(/[\r\n]/g, ' ')}`).join('\r\n')}\r\n\r\n`;
  const stream = body && typeof body === 'object' && body.stream === true && !mutations.includes('invalid_json');
  // the caller's wire format follows the path the client meant
  const format = path.startsWith('/v1/messages') ? 'anthropic' : 'openai';
  const kind = method === 'POST' && (path === PATHS.openai || path === PATHS.anthropic) ? 'chat' : method === 'POST' && path === PATHS.embeddings ? 'embeddings' : 'other';
  return { i, endpoint: ep, path, target, method, version, format, kind, stream, mutations, head, body: wire, halfClose, bodyBytes: bodyBuf.length };
}

/** a short printable example of a case, for the report */
export function describeCase(c) {
  const body = c.body.toString('utf8');
  return {
    i: c.i,
    request_line: c.head.split('\r\n')[0].slice(0, 200),
    headers: c.head.split('\r\n').slice(1).filter(Boolean).map((l) => l.slice(0, 120)),
    mutations: c.mutations,
    body_bytes: c.body.length,
    body_head: body.length > 400 ? `${body.slice(0, 300)}…(${body.length} chars)` : body,
  };
}
