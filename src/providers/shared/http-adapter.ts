// The shared HTTP machinery of every adapter: one pool, the call, timeouts, abort, timings, error
// classification, and stream relay. A vendor is the data and codec functions it plugs in here.

import type { EventEmitter } from 'node:events';
import type { Dispatcher } from 'undici';
import type { ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse, StreamEvent, WireFormat } from '../../core/canonical.js';
import { GatewayError, UpstreamError } from '../../core/errors.js';
import { DEFAULT_CONNECTIONS, type ProviderConfig } from '../config.js';
import type { CallOptions, CallTimings, ProviderAdapter, StreamChunk, UpstreamResult } from '../contract.js';
import type { WireStreamParser } from '../codec.js';
import { upstreamErrorFromException, upstreamErrorFromResponse } from './classify-upstream-error.js';
import { tryParseJson } from './json.js';
import { createUpstreamPool, splitBaseUrl } from './upstream-pool.js';
import { AbortFlag, onAbort, type AbortLink } from './abort-link.js';
import { requestWhole, type WholeResponse } from './request-whole.js';
import { redactSecrets, registerSecrets } from './redact.js';

export interface VendorSpec {
  kind: string;
  wireFormat: WireFormat;
  otelProviderName: string;
  /** see ProviderAdapter.streamUsageOnlyWhenAsked */
  streamUsageOnlyWhenAsked?: boolean;
  /**
   * path after the base URL's own path, e.g. '/chat/completions'; a function when the path names
   * the model (Azure deployments, Gemini's models/{model}:generateContent) or differs for streams
   */
  chatPath: string | ((model: string, stream: boolean) => string);
  embeddingsPath?: string | ((model: string) => string);
  /** auth and protocol headers for one call; `forwarded` are the client's (lower-cased) headers */
  headers(apiKey: string | undefined, forwarded: Record<string, string> | undefined): Record<string, string>;
  /** the body to send: the client's bytes on the fast path (possibly amended), else the rendered request */
  chatBody(req: ChatRequest, opts: CallOptions): Buffer;
  parseChatResponse(json: unknown): ChatResponse;
  createStreamParser(): WireStreamParser;
  /**
   * Other formats the upstream serves natively, relayed byte for byte (ProviderAdapter.alsoSpeaks):
   * the path after the base URL, and the parsers of that format's answers.
   */
  alsoSpeaks?: Partial<Record<WireFormat, { chatPath: string; parseChatResponse(json: unknown): ChatResponse; createStreamParser(): WireStreamParser }>>;
  embeddingsBody?(req: EmbeddingsRequest, model: string): Buffer;
  parseEmbeddingsResponse?(json: unknown): EmbeddingsResponse;
  /** the upstream's token-counting endpoint, where it has one */
  countTokens?: { path: string; body(req: ChatRequest, opts: CallOptions): Buffer; parse(json: unknown): number };
}

const now = (): number => performance.timeOrigin + performance.now();

function pathOf(p: VendorSpec['chatPath'], model: string, stream: boolean): string {
  return typeof p === 'string' ? p : p(model, stream);
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in h) {
    const v = h[k];
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function isTokenEvent(ev: StreamEvent): boolean {
  switch (ev.type) {
    case 'text_delta':
    case 'thinking_delta':
      return ev.text !== '';
    case 'tool_call_start':
      return true;
    case 'tool_call_delta':
      return ev.argumentsDelta !== '';
    default:
      return false;
  }
}

function stampTokens(events: StreamEvent[], t: CallTimings): void {
  for (const ev of events) {
    if (!isTokenEvent(ev)) continue;
    const at = now();
    t.firstTokenAt ??= at;
    t.lastTokenAt = at;
  }
}

/**
 * One upstream call's abort: the caller's abort (client gone) or the call's own timeout, whichever
 * comes first. It is itself the `signal` undici gets (an EventEmitter-like flag, see abort-link.ts):
 * no AbortController and no EventTarget listener per call.
 */
class CallControl extends AbortFlag {
  timedOut = false;
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private readonly unlink: () => void;

  constructor(caller: AbortLink | AbortSignal, timeoutMs: number | undefined) {
    super();
    this.unlink = onAbort(caller, () => this.abort(caller.reason));
    if (timeoutMs !== undefined && timeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.abort(new Error(`upstream call timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.timer.unref?.();
    }
  }

  done(): void {
    if (this.timer) clearTimeout(this.timer);
    this.unlink();
  }
}

export function createHttpAdapter(cfg: ProviderConfig, spec: VendorSpec): ProviderAdapter {
  const { origin, basePath } = splitBaseUrl(cfg.baseUrl);
  const pool = createUpstreamPool(origin, cfg.connections ?? DEFAULT_CONNECTIONS);
  const provider = cfg.name;
  registerSecrets([cfg.apiKey, ...Object.values(cfg.headers ?? {})]);

  /** the headers of one call: forwarded client headers, the provider's configured headers, auth (later wins) */
  function callHeaders(body: Buffer, opts: CallOptions): Record<string, string> {
    const headers: Record<string, string> = {};
    if (cfg.forwardHeaders && opts.headers) for (const n of cfg.forwardHeaders) if (opts.headers[n] !== undefined) headers[n] = opts.headers[n];
    if (cfg.headers) for (const k in cfg.headers) headers[k] = cfg.headers[k]!;
    const auth = spec.headers(cfg.apiKey, opts.headers);
    for (const k in auth) headers[k] = auth[k]!;
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
    return headers;
  }

  /**
   * A call whose whole body is wanted (non-streaming chat, embeddings): undici's dispatch API with
   * the chunks collected in the handler, no body stream (see request-whole.ts). Same timings,
   * timeout, abort and error classification as send() + readWhole().
   */
  async function sendWhole(path: string, body: Buffer, model: string, opts: CallOptions): Promise<{ status: number; resHeaders: Record<string, string>; raw: Buffer }> {
    const caller = opts.abort ?? opts.signal;
    if (caller.aborted) throw upstreamErrorFromException(caller.reason, { provider, model, aborted: true });
    const ctl = new CallControl(caller, opts.timeoutMs ?? cfg.timeoutMs);
    const headers = callHeaders(body, opts);
    opts.timings.upstreamSentAt = now();
    let res: WholeResponse;
    try {
      res = await requestWhole(pool, { origin, path: basePath + path, headers, body }, ctl, { onHead: () => void (opts.timings.firstByteAt = now()) });
    } catch (err) {
      throw upstreamErrorFromException(err, { provider, model, timedOut: ctl.timedOut, aborted: caller.aborted });
    } finally {
      ctl.done();
      opts.timings.upstreamEndAt = now();
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw upstreamErrorFromResponse({ provider, model, status: res.statusCode, headers: res.headers, body: res.body.toString('utf8') });
    }
    return { status: res.statusCode, resHeaders: flattenHeaders(res.headers), raw: res.body };
  }

  async function send(path: string, body: Buffer, model: string, opts: CallOptions) {
    const caller = opts.abort ?? opts.signal;
    if (caller.aborted) throw upstreamErrorFromException(caller.reason, { provider, model, aborted: true });
    const ctl = new CallControl(caller, opts.timeoutMs ?? cfg.timeoutMs);
    const headers = callHeaders(body, opts);
    opts.timings.upstreamSentAt = now();
    let res: Dispatcher.ResponseData;
    try {
      res = await pool.request({ origin, path: basePath + path, method: 'POST', headers, body, signal: ctl as unknown as EventEmitter });
    } catch (err) {
      ctl.done();
      throw upstreamErrorFromException(err, { provider, model, timedOut: ctl.timedOut, aborted: caller.aborted });
    }
    opts.timings.firstByteAt = now();
    const resHeaders = flattenHeaders(res.headers);
    if (res.statusCode < 200 || res.statusCode >= 300) {
      let text = '';
      try {
        text = await res.body.text();
      } catch {
        // the error body is a courtesy; the status says enough
      } finally {
        ctl.done();
      }
      opts.timings.upstreamEndAt = now();
      throw upstreamErrorFromResponse({ provider, model, status: res.statusCode, headers: res.headers, body: text });
    }
    return { res, resHeaders, ctl };
  }

  async function readWhole(res: Dispatcher.ResponseData, ctl: CallControl, model: string, opts: CallOptions): Promise<Buffer> {
    try {
      return Buffer.from(await res.body.arrayBuffer());
    } catch (err) {
      throw upstreamErrorFromException(err, { provider, model, timedOut: ctl.timedOut, aborted: (opts.abort ?? opts.signal).aborted });
    } finally {
      ctl.done();
      opts.timings.upstreamEndAt = now();
    }
  }

  function badBody(model: string, status: number, raw: Buffer, err: unknown): UpstreamError {
    return new UpstreamError({
      provider,
      model,
      status,
      body: redactSecrets(raw.toString('utf8', 0, Math.min(raw.length, 4096))),
      message: `${provider} answered ${status} with a body that could not be read${err instanceof GatewayError ? `: ${err.message}` : ''}`,
      errorClass: 'server',
      retryable: true,
      cause: err,
    });
  }

  /** the path, body and parsers of one call: the adapter's own format, or a relayed one it also speaks */
  function wireOf(req: ChatRequest, opts: CallOptions) {
    const other = opts.wireFormat !== undefined && opts.wireFormat !== spec.wireFormat ? spec.alsoSpeaks?.[opts.wireFormat] : undefined;
    if (!other || !opts.rawBody) return { path: spec.chatPath, body: spec.chatBody(req, opts), parseChatResponse: spec.parseChatResponse, createStreamParser: spec.createStreamParser };
    return { path: other.chatPath, body: opts.rawBody, parseChatResponse: other.parseChatResponse, createStreamParser: other.createStreamParser };
  }

  async function chat(req: ChatRequest, opts: CallOptions): Promise<UpstreamResult> {
    const model = opts.model;
    const wire = wireOf(req, opts);
    if (!req.stream) {
      const { status, resHeaders, raw } = await sendWhole(pathOf(wire.path, model, false), wire.body, model, opts);
      let response: ChatResponse;
      try {
        const json = tryParseJson(raw.toString('utf8'));
        if (json === undefined) throw new Error('invalid JSON');
        response = wire.parseChatResponse(json);
      } catch (err) {
        throw badBody(model, status, raw, err);
      }
      opts.timings.firstTokenAt ??= opts.timings.upstreamEndAt;
      opts.timings.lastTokenAt = opts.timings.upstreamEndAt;
      return { kind: 'complete', status, response, raw, headers: resHeaders };
    }
    const { res, resHeaders, ctl } = await send(pathOf(wire.path, model, true), wire.body, model, opts);

    const body = res.body;
    async function* chunks(): AsyncGenerator<StreamChunk> {
      const parser = wire.createStreamParser();
      try {
        for await (const piece of body) {
          for (const c of parser.push(piece as Buffer)) {
            stampTokens(c.events, opts.timings);
            yield c;
          }
        }
        for (const c of parser.end()) {
          stampTokens(c.events, opts.timings);
          yield c;
        }
      } catch (err) {
        // Our own timeout is an error worth naming. A client abort or a connection dropped mid-way
        // is not: the chunks simply end, and the server records the stream as cut or aborted.
        if (ctl.timedOut) throw upstreamErrorFromException(err, { provider, model, timedOut: true });
      } finally {
        ctl.done();
        opts.timings.upstreamEndAt = now();
        // the consumer may stop early: give the connection back instead of leaving it half-read
        if (!body.destroyed) body.destroy();
      }
    }
    return { kind: 'stream', status: res.statusCode, chunks: chunks(), headers: resHeaders };
  }

  const adapter: ProviderAdapter = {
    name: cfg.name,
    kind: spec.kind,
    wireFormat: spec.wireFormat,
    otelProviderName: spec.otelProviderName,
    streamUsageOnlyWhenAsked: spec.streamUsageOnlyWhenAsked ?? false,
    ...(spec.alsoSpeaks ? { alsoSpeaks: Object.keys(spec.alsoSpeaks) as WireFormat[] } : {}),
    chat,
    async close() {
      await pool.close();
    },
  };

  if (spec.embeddingsPath && spec.embeddingsBody && spec.parseEmbeddingsResponse) {
    const { embeddingsPath, embeddingsBody, parseEmbeddingsResponse } = spec;
    adapter.embeddings = async (req: EmbeddingsRequest, opts: CallOptions): Promise<EmbeddingsResponse> => {
      const model = opts.model;
      const { res, ctl } = await send(typeof embeddingsPath === 'string' ? embeddingsPath : embeddingsPath(model), opts.rawBody ?? embeddingsBody(req, model), model, opts);
      const raw = await readWhole(res, ctl, model, opts);
      try {
        const json = tryParseJson(raw.toString('utf8'));
        if (json === undefined) throw new Error('invalid JSON');
        return parseEmbeddingsResponse(json);
      } catch (err) {
        throw badBody(model, res.statusCode, raw, err);
      }
    };
  }
  if (spec.countTokens) {
    const ct = spec.countTokens;
    adapter.countTokens = async (req: ChatRequest, opts: CallOptions): Promise<number> => {
      const { status, raw } = await sendWhole(ct.path, ct.body(req, opts), opts.model, opts);
      try {
        return ct.parse(tryParseJson(raw.toString('utf8')));
      } catch (err) {
        throw badBody(opts.model, status, raw, err);
      }
    };
  }
  return adapter;
}
