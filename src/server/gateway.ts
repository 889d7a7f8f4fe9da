// The gateway's HTTP server: a node:http server with a fixed route table. Fastify measured within
// noise of the floor here, but the hot path needs the raw body bytes and raw socket writes anyway
// (byte-for-byte relay), so a framework would add a layer without taking work off ours.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '../core/errors.js';
import type { PriceCatalog } from '../core/prices/catalog.js';
import type { LoadedConfig } from '../config/load.js';
import { createEngine, type Engine } from '../engine/index.js';
import { codecForHeaders, defaultCodec, wireCodecs, type WireCodec } from '../providers/registry.js';
import { openLedger, type Ledger } from '../ledger/ledger.js';
import { GatewayMetrics } from '../telemetry/metrics.js';
import { createAuthenticator, keyIdsByTeam } from './auth.js';
import { createAdminRouter, isAdminPath, requireGlobalAdmin } from './admin.js';
import { enforceConnectionLimits, missingHost, serverOptions } from './connections.js';
import { handleChat, type ChatDeps } from './chat.js';
import { handleEmbeddings } from './embeddings.js';
import { formatOfPath, requestPath, sendError, sendJson } from './http-util.js';
import { calcAdminRoute } from '../forecast/admin.js';
import { JsonlPayloadStore } from '../stores/payloads.js';

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
  const payloads = config.payloadStore.enabled ? new JsonlPayloadStore(config.dataDir, config.payloadStore.maxBytes) : undefined;
  const engine = await createEngine(config, { ledger, metrics, payloads });
  const registry = engine.registry;
  const authenticate = createAuthenticator(config.auth);
  const timeoutOf = (path: string): number => config.server.routeTimeouts[path] ?? config.server.requestTimeoutMs;
  const depsFor = (path: string): ChatDeps => ({ engine, authenticate, bodyLimitBytes: config.server.bodyLimitBytes, timeoutMs: timeoutOf(path) });
  // each wire format's endpoints, from the codecs registered in providers/
  const chatRoutes = new Map<string, { codec: WireCodec; deps: ChatDeps }>();
  const embeddingsRoutes = new Map<string, ChatDeps & { codec: WireCodec }>();
  for (const codec of wireCodecs()) {
    chatRoutes.set(codec.endpoints.chat, { codec, deps: depsFor(codec.endpoints.chat) });
    if (codec.endpoints.embeddings && codec.embeddings) embeddingsRoutes.set(codec.endpoints.embeddings, { ...depsFor(codec.endpoints.embeddings), codec });
  }
  /** the methods each fixed path answers, for 405s */
  const allowed: Record<string, string> = { '/v1/models': 'GET', '/models': 'GET', '/health': 'GET', '/metrics': 'GET' };
  for (const p of [...chatRoutes.keys(), ...embeddingsRoutes.keys()]) allowed[p] = 'POST';

  const admin = createAdminRouter({
    routes: [...engine.adminRoutes, calcAdminRoute(config.prices)],
    authenticate,
    bodyLimitBytes: config.server.adminBodyLimitBytes,
    keyIdsByTeam: keyIdsByTeam(config.auth),
  });

  const server: Server = createServer(serverOptions(config.server), (req, res) => {
    route(req, res).catch((err) => {
      // last resort: never let one request take the process down
      if (!res.headersSent) sendError(res, defaultCodec().format, new GatewayError('internal', 'The gateway hit an internal error.'));
      else res.destroy();
      process.emitWarning(`tollgate: unhandled error in request handler: ${(err as Error)?.message}`);
    });
  });
  enforceConnectionLimits(server, config.server);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req.url!);
    const method = req.method ?? 'GET';
    const noHost = missingHost(req);
    if (noHost) return sendError(res, formatOfPath(path), noHost);
    if (method === 'POST') {
      const chat = chatRoutes.get(path);
      if (chat) return handleChat(req, res, chat.codec.format, path, chat.deps);
      const emb = embeddingsRoutes.get(path);
      if (emb) return handleEmbeddings(req, res, emb.codec, emb);
    }
    if (method === 'GET' && (path === '/v1/models' || path === '/models')) return listModels(req, res);
    if (method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (method === 'GET' && path === '/metrics') return serveMetrics(req, res);
    if (isAdminPath(path)) return admin.handle(req, res, method, path);
    const format = formatOfPath(path);
    const allow = allowed[path];
    if (allow) return sendError(res, format, new GatewayError('method_not_allowed', `${method} is not allowed on ${path}; use ${allow}.`), { allow });
    sendError(res, format, new GatewayError('not_found', `Unknown endpoint ${method} ${path}`));
  }

  async function serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!config.server.publicMetrics) {
      const denied = requireGlobalAdmin(authenticate(req.headers), '/metrics');
      if (denied) return sendError(res, defaultCodec().format, denied);
    }
    const l = ledger.stats();
    metrics.setLedgerStats(l);
    const text = await metrics.render();
    res.writeHead(200, { 'content-type': metrics.contentType });
    res.end(text);
  }

  function listModels(req: IncomingMessage, res: ServerResponse): void {
    // GET /v1/models is shared by the formats: the client's headers say whose shape it wants
    const codec = codecForHeaders(req.headers);
    if (!authenticate(req.headers)) {
      return sendError(res, codec.format, new GatewayError('unauthorized', 'Invalid API key: present a Tollgate virtual key as a Bearer token or x-api-key.'));
    }
    const ids = [...registry.modelNames(), ...registry.routeNames()];
    sendJson(res, 200, codec.renderModelList(ids.map((id) => ({ id, ownedBy: registry.resolve(id)?.target.provider ?? 'tollgate-route' }))));
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
      await payloads?.close();
      await ledger.close();
    },
  };
}

