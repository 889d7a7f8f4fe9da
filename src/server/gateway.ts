// The gateway's HTTP server: a node:http server with a fixed route table. Fastify measured within
// noise of the floor here, but the hot path needs the raw body bytes and raw socket writes anyway
// (byte-for-byte relay), so a framework would add a layer without taking work off ours.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WireFormat } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import type { PriceCatalog } from '../core/prices/catalog.js';
import type { LoadedConfig } from '../config/load.js';
import { createEngine, type Engine } from '../engine/index.js';
import { codecFor } from '../providers/registry.js';
import { modelListFormat, renderModelList } from '../providers/wire-edges.js';
import type { AdminRoute } from '../pipeline/stage.js';
import { openLedger, type Ledger } from '../ledger/ledger.js';
import { GatewayMetrics } from '../telemetry/metrics.js';
import { createAuthenticator } from './auth.js';
import { handleChat, type ChatDeps } from './chat.js';
import { handleEmbeddings } from './embeddings.js';
import { sendJson } from './http-util.js';

export interface RunningGateway {
  url: string;
  port: number;
  ledger: Ledger;
  metrics: GatewayMetrics;
  prices: PriceCatalog;
  engine: Engine;
  close(): Promise<void>;
}

export interface GatewayOptions {
  config: LoadedConfig;
  /** overrides config.server.port (0 = any free port) */
  port?: number;
  host?: string;
}

export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const config = opts.config;
  const ledger = await openLedger({ dataDir: config.dataDir });
  const metrics = new GatewayMetrics();
  const engine: Engine = await createEngine(config, { ledger, metrics });
  const registry = engine.registry;
  const chatDeps: ChatDeps = {
    engine,
    authenticate: createAuthenticator(config.auth),
    bodyLimitBytes: config.server.bodyLimitBytes,
    timeoutMs: config.server.routeTimeouts['/v1/chat/completions'] ?? config.server.requestTimeoutMs,
  };
  const messagesDeps: ChatDeps = { ...chatDeps, timeoutMs: config.server.routeTimeouts['/v1/messages'] ?? config.server.requestTimeoutMs };
  const embeddingsTimeout = config.server.routeTimeouts['/v1/embeddings'] ?? config.server.requestTimeoutMs;
  const adminRoutes = new Map<string, AdminRoute>();
  for (const r of engine.adminRoutes) adminRoutes.set(`${r.method} ${r.path}`, r);

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    route(req, res).catch((err) => {
      // last resort: never let one request take the process down
      if (!res.headersSent) sendJson(res, 500, { error: { message: 'internal error', type: 'api_error' } });
      else res.destroy();
      process.emitWarning(`tollgate: unhandled error in request handler: ${(err as Error)?.message}`);
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const q = req.url!.indexOf('?');
    const path = q === -1 ? req.url! : req.url!.slice(0, q);
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/v1/chat/completions') return handleChat(req, res, 'openai', path, chatDeps);
    if (method === 'POST' && path === '/v1/messages') return handleChat(req, res, 'anthropic', path, messagesDeps);
    if (method === 'POST' && path === '/v1/embeddings') return handleEmbeddings(req, res, { ...chatDeps, timeoutMs: embeddingsTimeout });
    if (method === 'GET' && (path === '/v1/models' || path === '/models')) return listModels(req, res);
    if (method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (method === 'GET' && path === '/metrics') {
      const l = ledger.stats();
      metrics.setLedgerStats(l);
      const text = await metrics.render();
      res.writeHead(200, { 'content-type': metrics.contentType });
      res.end(text);
      return;
    }
    const admin = adminRoutes.get(`${method} ${path}`);
    if (admin) return handleAdmin(req, res, admin);
    const format: WireFormat = path.startsWith('/v1/messages') ? 'anthropic' : 'openai';
    const err = new GatewayError('not_found', `Unknown endpoint ${method} ${path}`);
    const rendered = codecFor(format).renderError(err);
    sendJson(res, rendered.status, rendered.body);
  }

  function listModels(req: IncomingMessage, res: ServerResponse): void {
    const ids = [...registry.modelNames(), ...registry.routeNames()];
    const models = ids.map((id) => ({ id, ownedBy: registry.resolve(id)?.target.provider ?? 'tollgate-route' }));
    sendJson(res, 200, renderModelList(modelListFormat(req.headers), models));
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, admin: AdminRoute): Promise<void> {
    if (!chatDeps.authenticate(req.headers)) return sendJson(res, 401, { error: { message: 'Invalid API key', type: 'invalid_request_error' } });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: unknown = undefined;
    if (chunks.length) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return sendJson(res, 400, { error: { message: 'body is not valid JSON', type: 'invalid_request_error' } });
      }
    }
    const url = new URL(req.url!, 'http://x');
    try {
      const r = await admin.handler(body, url.searchParams);
      sendJson(res, r.status, r.body);
    } catch (err) {
      sendJson(res, 400, { error: { message: (err as Error).message, type: 'invalid_request_error' } });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? config.server.port, opts.host ?? config.server.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    ledger,
    metrics,
    prices: engine.pricing.catalog,
    engine,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await engine.close();
      await ledger.close();
    },
  };
}
