// The gateway's HTTP server: a node:http server with a fixed route table. Fastify measured within
// noise of the floor here, but the hot path needs the raw body bytes and raw socket writes anyway
// (byte-for-byte relay), so a framework would add a layer without taking work off ours.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Usage } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import { PriceCatalog, type ModelPrice } from '../core/prices/catalog.js';
import { costOf as priceUsage } from '../core/cost.js';
import type { LoadedConfig } from '../config/load.js';
import { createProvider } from '../providers/registry.js';
import '../providers/index.js';
import type { ProviderAdapter } from '../providers/contract.js';
import { ModelRegistry } from '../pipeline/model-registry.js';
import type { GatewayContext, Target } from '../pipeline/stage.js';
import { openLedger, type Ledger } from '../ledger/ledger.js';
import type { RequestRecord } from '../ledger/record.js';
import { GatewayMetrics } from '../telemetry/metrics.js';
import { buildStages } from '../levers/index.js';
import { createAuthenticator, keyIdsByTeam } from './auth.js';
import { createAdminRouter, isAdminPath, requireGlobalAdmin } from './admin.js';
import { enforceConnectionLimits, missingHost, serverOptions } from './connections.js';
import { handleChat, type ChatDeps } from './chat.js';
import { handleEmbeddings } from './embeddings.js';
import { formatOfPath, requestPath, sendError, sendJson } from './http-util.js';
import type { RecordSink } from './record.js';

/** the methods each fixed path answers, for 405s */
const ALLOWED: Record<string, string> = {
  '/v1/chat/completions': 'POST',
  '/v1/messages': 'POST',
  '/v1/embeddings': 'POST',
  '/v1/models': 'GET',
  '/models': 'GET',
  '/health': 'GET',
  '/metrics': 'GET',
};

export interface RunningGateway {
  url: string;
  port: number;
  ledger: Ledger;
  metrics: GatewayMetrics;
  prices: PriceCatalog;
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
  const providers = new Map<string, ProviderAdapter>();
  for (const p of config.providers) providers.set(p.name, createProvider({ ...p, apiKey: config.providerKeys[p.name] }));
  const prices = PriceCatalog.load(config.prices);
  const registry = new ModelRegistry(config.models, Object.keys(config.routes ?? {}));
  // price lookups resolve aliases and effective dates: remember each target's price for a minute
  const priceMemo = new Map<string, { price: ModelPrice | undefined; until: number }>();
  const priceOf = (target: Target): ModelPrice | undefined => {
    const memoKey = `${target.provider}\u0000${target.model}`;
    const t = Date.now();
    const hit = priceMemo.get(memoKey);
    if (hit && hit.until > t) return hit.price;
    const key = registry.priceKeyOf(target);
    const price = key.provider ? prices.lookup(key.provider, key.model) : prices.lookupModel(key.model);
    priceMemo.set(memoKey, { price, until: t + 60_000 });
    return price;
  };
  const costOf = (target: Target, usage: Usage): number => {
    const price = priceOf(target);
    return price ? priceUsage(usage, price).totalUsd : 0;
  };
  const ledger = await openLedger({ dataDir: config.dataDir });
  const metrics = new GatewayMetrics();
  const stages = await buildStages(config, { dataDir: config.dataDir, costOf, registry, providers, metrics });

  const providerOf = (name: string | undefined) => (name ? providers.get(name)?.otelProviderName : undefined);
  const sink: RecordSink = {
    write(record: RequestRecord, ctx: GatewayContext, onDurable?: () => void) {
      fillBaseline(record, costOf, registry);
      if (onDurable) ledger.appendThen(record, onDurable);
      else ledger.append(record);
      metrics.observe(record, { provider: providerOf(record.provider), operation: record.endpoint === '/v1/embeddings' ? 'embeddings' : 'chat' });
      for (const s of stages) {
        try {
          s.onRecord?.(record, ctx);
        } catch {
          // a stage's bookkeeping must never take a request down
        }
      }
    },
  };
  const chatDeps: ChatDeps = {
    providers,
    registry,
    stages,
    authenticate: createAuthenticator(config.auth),
    costOf,
    sink,
    bodyLimitBytes: config.server.bodyLimitBytes,
    timeoutMs: config.server.routeTimeouts['/v1/chat/completions'] ?? config.server.requestTimeoutMs,
  };
  const messagesDeps: ChatDeps = { ...chatDeps, timeoutMs: config.server.routeTimeouts['/v1/messages'] ?? config.server.requestTimeoutMs };
  const embeddingsTimeout = config.server.routeTimeouts['/v1/embeddings'] ?? config.server.requestTimeoutMs;
  const authenticate = chatDeps.authenticate;
  if (config.auth.mode === 'keys' && config.auth.keys.length === 0) {
    process.emitWarning('tollgate: auth.mode is keys but auth.keys is empty: every request will get 401 (add keys with `tollgate keys create`, or use auth.mode: demo)');
  }
  const admin = createAdminRouter({
    routes: stages.flatMap((s) => s.adminRoutes ?? []),
    authenticate,
    bodyLimitBytes: config.server.adminBodyLimitBytes,
    keyIdsByTeam: keyIdsByTeam(config.auth),
  });

  const server: Server = createServer(serverOptions(config.server), (req, res) => {
    route(req, res).catch((err) => {
      // last resort: never let one request take the process down
      if (!res.headersSent) sendError(res, 'openai', new GatewayError('internal', 'The gateway hit an internal error.'));
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
    if (method === 'POST' && path === '/v1/chat/completions') return handleChat(req, res, 'openai', path, chatDeps);
    if (method === 'POST' && path === '/v1/messages') return handleChat(req, res, 'anthropic', path, messagesDeps);
    if (method === 'POST' && path === '/v1/embeddings') return handleEmbeddings(req, res, { ...chatDeps, timeoutMs: embeddingsTimeout });
    if (method === 'GET' && (path === '/v1/models' || path === '/models')) return listModels(req, res);
    if (method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (method === 'GET' && path === '/metrics') return serveMetrics(req, res);
    if (isAdminPath(path)) return admin.handle(req, res, method, path);
    const format = formatOfPath(path);
    const allow = ALLOWED[path];
    if (allow) return sendError(res, format, new GatewayError('method_not_allowed', `${method} is not allowed on ${path}; use ${allow}.`), { allow });
    sendError(res, format, new GatewayError('not_found', `Unknown endpoint ${method} ${path}`));
  }

  async function serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!config.server.publicMetrics) {
      const denied = requireGlobalAdmin(authenticate(req.headers), '/metrics');
      if (denied) return sendError(res, 'openai', denied);
    }
    const l = ledger.stats();
    metrics.setLedgerStats(l);
    const text = await metrics.render();
    res.writeHead(200, { 'content-type': metrics.contentType });
    res.end(text);
  }

  function listModels(req: IncomingMessage, res: ServerResponse): void {
    const anthropicClient = req.headers['anthropic-version'] !== undefined;
    if (!authenticate(req.headers)) {
      return sendError(res, anthropicClient ? 'anthropic' : 'openai', new GatewayError('unauthorized', 'Invalid API key: present a Tollgate virtual key as a Bearer token or x-api-key.'));
    }
    const names = [...registry.modelNames(), ...registry.routeNames()];
    if (anthropicClient) {
      const data = names.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' }));
      sendJson(res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
      return;
    }
    const created = Math.floor(Date.now() / 1000);
    sendJson(res, 200, { object: 'list', data: names.map((id) => ({ id, object: 'model', created, owned_by: registry.resolve(id)?.target.provider ?? 'tollgate-route' })) });
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
    prices,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const s of stages) await s.close?.();
      for (const p of providers.values()) await p.close?.();
      await ledger.close();
    },
  };
}

/**
 * The counterfactual baseline: what the caller would have paid without Tollgate (the model asked
 * for, no gateway cache). Stages may set it themselves; otherwise it follows from the record.
 */
function fillBaseline(record: RequestRecord, costOf: (t: Target, u: Usage) => number, registry: ModelRegistry): void {
  if (record.baselineCostUsd !== undefined) return;
  if (record.cacheStatus === 'hit' || record.cacheStatus === 'semantic_hit') {
    record.baselineCostUsd = record.savedCostUsd ?? 0;
    record.baselineModel ??= record.model;
    return;
  }
  const baselineModel = record.baselineModel ?? record.requestedModel;
  const resolved = registry.resolve(baselineModel);
  if (resolved && (resolved.target.model !== record.model || resolved.target.provider !== record.provider)) {
    record.baselineCostUsd = costOf(resolved.target, record.usage);
  } else {
    // the answer alone: failed tries and the gateway's own calls (embeddings, verifiers) are not
    // what the caller would have paid without it
    const ownCalls = record.attempts?.reduce((s, a) => s + (a.purpose !== undefined ? a.costUsd : 0), 0) ?? 0;
    record.baselineCostUsd = record.costUsd - (record.failedAttemptsCostUsd ?? 0) - ownCalls;
  }
  record.baselineModel = baselineModel;
}
