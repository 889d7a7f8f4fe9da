// The simulator's HTTP server: one node:http server routing both wire formats and the admin API.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAdmin } from './admin.js';
import { handleAnthropicModels, handleCountTokens, handleMessages, isAnthropicClient } from './anthropic-wire.js';
import { BodyTooLarge, readBody, sendJson } from './http-io.js';
import { handleChatCompletions, handleEmbeddings, handleModels } from './openai-wire.js';
import { handleResponses, handleStoredResponse } from './openai-responses-wire.js';
import type { SimModelSettings } from './settings.js';
import { SimState } from './state.js';

export interface SimulatorOptions {
  /** 0 = an ephemeral port (default) */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** seeds output text, lengths, tool choices, latency jitter and fault draws (default 42) */
  seed?: number;
  /** multiplies every simulated delay: 0 = none (tests), 1 = realistic (default) */
  latencyScale?: number;
  /** per-model overrides of the default settings, by model id */
  models?: Record<string, Partial<SimModelSettings>>;
  /**
   * answer a real 429 when a model's requestsPerMin / tokensPerMin are exceeded (default false:
   * the rate-limit headers count down but load tests are never throttled; 429s come from faults)
   */
  enforceRateLimits?: boolean;
  /**
   * the key thinking signatures are made and checked with: two simulators with different keys are
   * two providers whose signatures the other refuses (Anthropic's API and Bedrock)
   */
  thinkingKey?: string;
  /** answer quality by model and question (quality.ts; default false: answers are plain prose) */
  quality?: boolean;
}

export interface SimulatorHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function route(req: IncomingMessage, res: ServerResponse, state: SimState): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  const raw = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
  if (path.startsWith('/_sim/')) return handleAdmin(req, res, raw, state, path);
  if (method === 'POST') {
    state.receive(path, req.headers, raw);
    switch (path) {
      case '/v1/chat/completions':
      case '/v1beta/openai/chat/completions':
        return handleChatCompletions(req, res, raw, state, path);
      case '/v1/embeddings':
      case '/v1beta/openai/embeddings':
        return handleEmbeddings(req, res, raw, state);
      case '/v1/messages':
        return handleMessages(req, res, raw, state);
      case '/v1/messages/count_tokens':
        return handleCountTokens(req, res, raw, state);
      case '/v1/responses':
        return handleResponses(req, res, raw, state);
    }
  }
  const stored = /^\/v1\/responses\/([^/]+)$/.exec(path);
  if (stored && (method === 'GET' || method === 'DELETE')) return handleStoredResponse(req, res, state, decodeURIComponent(stored[1]!), method);
  if (method === 'GET' && /^\/v1(beta\/openai)?\/models(\/.+)?$/.test(path)) {
    if (path.startsWith('/v1/') && isAnthropicClient(req)) return handleAnthropicModels(req, res, state, path);
    return handleModels(req, res, state, path);
  }
  if (method === 'GET' && (path === '/' || path === '/health')) return sendJson(res, 200, { ok: true, service: 'tollgate-sim' });
  // unknown route: an OpenAI-shaped 404 (Anthropic clients only call the routes above)
  sendJson(res, 404, { error: { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null } });
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const latencyScale = opts.latencyScale ?? 1;
  if (!Number.isFinite(latencyScale) || latencyScale < 0) throw new Error(`simulator: latencyScale must be a number >= 0 (got ${String(opts.latencyScale)})`);
  const state = new SimState(opts.seed ?? 42, latencyScale, opts.models, opts.enforceRateLimits ?? false, opts.quality ?? false);
  if (opts.thinkingKey) state.thinkingKey = opts.thinkingKey;
  const server = createServer((req, res) => {
    route(req, res, state).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof BodyTooLarge) {
        sendJson(res, 413, { error: { message: e.message, type: 'invalid_request_error', param: null, code: null } });
        return;
      }
      sendJson(res, 500, { error: { message: `simulator error: ${(e as Error).message}`, type: 'server_error', param: null, code: null } });
    });
  });
  server.keepAliveTimeout = 65_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // held-open requests (the timeout fault) and idle keep-alive sockets
        server.closeAllConnections();
      }),
  };
}
