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
import { SqliteFlagStore } from '../stores/sqlite/flag-store.js';
import { SqliteAlertStore } from '../stores/sqlite/alert-store.js';
import { Alerts } from '../alerts/alerts.js';
import { Experiments } from '../experiments/experiments.js';
import { SqliteExperimentStore } from '../stores/sqlite/experiment-store.js';
import { SqliteQualityStore } from '../stores/sqlite/quality-store.js';
import { createDashboard } from '../dashboard/handler.js';
import { sessionMayCall } from '../dashboard/reach.js';
import { insightRoutes } from '../insights/admin-api.js';
import { WorkerInsightReader } from '../stores/sqlite/insight-reader.js';
import type { OtelTelemetry } from '../telemetry/otel.js';
import { SqliteBudgetStore } from '../stores/sqlite/budget-store.js';
import { SqliteCounterStore } from '../stores/sqlite/counter-store.js';
import { createAuthenticator, keyIdsByTeam } from './auth.js';
import { createAdminRouter, isAdminPath, requireGlobalAdmin } from './admin.js';
import { enforceConnectionLimits, missingHost, serverOptions } from './connections.js';
import { handleChat, type ChatDeps } from './chat.js';
import { handleEmbeddings } from './embeddings.js';
import { handleResponsesCreate, handleResponsesInputTokens, storedResponseRoute, type ResponsesDeps } from './responses.js';
import { openResponseStore } from './response-store.js';
import { handleCountTokens, type CountTokensDeps } from './count-tokens.js';
import { REQUEST_LOOKUP_PREFIX, handleRequestLookup } from './request-lookup.js';
import { drained, formatOfPath, requestPath, sendError, sendJson } from './http-util.js';
import { calcAdminRoute } from '../forecast/admin.js';
import { JsonlPayloadStore } from '../stores/payloads.js';

export interface RunningGateway {
  url: string;
  port: number;
  ledger: Ledger;
  metrics: GatewayMetrics;
  prices: PriceCatalog;
  engine: Engine;
  /** OpenTelemetry export, when configured (flush() sends what is queued) */
  otel?: OtelTelemetry;
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
  const metrics = new GatewayMetrics({ processMetrics: true });
  // the OpenTelemetry SDK is loaded only when export is on
  const otel = config.telemetry.endpoint
    ? new (await import('../telemetry/otel.js')).OtelTelemetry({ config: { ...config.telemetry, endpoint: config.telemetry.endpoint }, metrics })
    : undefined;
  const payloads = config.payloadStore.enabled ? new JsonlPayloadStore(config.dataDir, config.payloadStore.maxBytes) : undefined;
  // flags persist in the data dir (flags.db) with their audit log; a change applies to the next request
  let alerts: Alerts | undefined;
  let experiments: Experiments | undefined;
  const qualityStore = config.judge ? SqliteQualityStore.open(config.dataDir) : undefined;
  const engine = await createEngine(config, {
    ledger,
    metrics,
    otel,
    payloads,
    spend: { counters: SqliteCounterStore.inDataDir(config.dataDir), budgets: SqliteBudgetStore.inDataDir(config.dataDir) },
    flagStore: SqliteFlagStore.open(config.dataDir),
    experiments: { assign: (model, ids) => experiments?.assign(model, ids) },
    onRecord: (r) => {
      alerts?.observe(r);
      experiments?.observe(r);
    },
    // the judge's estimates and the thresholds it tightened survive a restart (quality.db)
    qualityStore,
    onTighten: (e) => void alerts?.leverTightened(e).catch(() => undefined),
    onJudged: (r, score) => experiments?.observeQuality(r, score),
  });
  // experiments split a route's traffic; their share in force is a flag, so every ramp and rollback is audited
  experiments = await Experiments.open({ store: SqliteExperimentStore.open(config.dataDir), flags: engine.flags, shape: engine.shape, judged: !!config.judge && (config.judge.sampleRate > 0 || config.judge.shadowRate > 0) });
  const registry = engine.registry;
  // only the gateway's own model and route names become metric labels: a client's invented name must not add series
  metrics.knowModels((name) => registry.resolve(name) !== undefined || registry.isRoute(name));
  const authenticate = createAuthenticator(config.auth);
  const timeoutOf = (path: string): number => config.server.routeTimeouts[path] ?? config.server.requestTimeoutMs;
  const depsFor = (path: string): ChatDeps => ({ engine, authenticate, bodyLimitBytes: config.server.bodyLimitBytes, timeoutMs: timeoutOf(path) });
  // each wire format's endpoints, from the codecs registered in providers/
  const chatRoutes = new Map<string, { codec: WireCodec; deps: ChatDeps }>();
  const embeddingsRoutes = new Map<string, ChatDeps & { codec: WireCodec }>();
  const countRoutes = new Map<string, CountTokensDeps & { codec: WireCodec }>();
  const statefulRoutes = new Map<string, { codec: WireCodec; deps: ResponsesDeps }>();
  const statefulCodecs = wireCodecs().filter((c) => c.stateful);
  // opened only when a format needs it; kept in <dataDir>/responses.db
  const responseStore = statefulCodecs.length > 0 ? await openResponseStore(config) : undefined;
  const sweep = responseStore ? setInterval(() => void Promise.resolve(responseStore.sweep(Date.now())).catch(() => undefined), config.responses.sweepIntervalMs) : undefined;
  sweep?.unref();
  for (const codec of wireCodecs()) {
    if (codec.stateful && responseStore) {
      const nativeProviders = [...engine.providers.values()].filter((a) => a.wireFormat === codec.format || a.alsoSpeaks?.includes(codec.format)).map((a) => a.name);
      const deps: ResponsesDeps = {
        ...depsFor(codec.endpoints.chat),
        store: responseStore,
        ttlMs: config.responses.ttlDays * 86_400_000,
        maxResponseBytes: config.responses.maxResponseBytes,
        nativeProviders,
      };
      statefulRoutes.set(codec.endpoints.chat, { codec, deps });
      continue;
    }
    chatRoutes.set(codec.endpoints.chat, { codec, deps: depsFor(codec.endpoints.chat) });
    if (codec.endpoints.embeddings && codec.embeddings) embeddingsRoutes.set(codec.endpoints.embeddings, { ...depsFor(codec.endpoints.embeddings), codec });
    if (codec.countTokens) countRoutes.set(codec.countTokens.endpoint, { ...depsFor(codec.countTokens.endpoint), codec });
  }
  /** the methods each fixed path answers, for 405s */
  const allowed: Record<string, string> = { '/v1/models': 'GET', '/models': 'GET', '/health': 'GET', '/metrics': 'GET' };
  for (const p of [...chatRoutes.keys(), ...embeddingsRoutes.keys(), ...countRoutes.keys(), ...statefulRoutes.keys()]) allowed[p] = 'POST';

  // the admin query API reads ledger.db on its own worker, never on this event loop
  const insights = await WorkerInsightReader.start(config.dataDir);
  // alert rules are evaluated over the same rollups, every alerts.intervalSeconds
  let baseUrl = '';
  alerts = await Alerts.open({ config: config.alerts, store: SqliteAlertStore.open(config.dataDir), rollups: insights, flags: engine.flags, dashboardUrl: () => baseUrl });
  const adminRoutes = [...engine.adminRoutes, ...insightRoutes({ rollups: insights, ledger: insights, dailyBudgetUsd: (q) => dailyBudgetFor(engine, q) }), ...alerts.adminRoutes(), ...experiments.adminRoutes()];
  const admin = createAdminRouter({
    routes: [...adminRoutes, calcAdminRoute(config.prices)],
    authenticate,
    bodyLimitBytes: config.server.adminBodyLimitBytes,
    keyIdsByTeam: keyIdsByTeam(config.auth),
  });
  const dashboard = createDashboard({ authenticate });
  // a dashboard session (a cookie, no key) may make the pages' read-only GETs and nothing else
  const sessionAdmin = createAdminRouter({
    routes: adminRoutes.filter((r) => sessionMayCall(r.method, r.path)),
    authenticate: (headers) => dashboard.sessionCaller(headers),
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
      const count = countRoutes.get(path);
      if (count) return handleCountTokens(req, res, count.codec, count);
      const turn = statefulRoutes.get(path);
      if (turn) return handleResponsesCreate(req, res, turn.codec, path, turn.deps);
      const countTurn = path.endsWith('/input_tokens') ? statefulRoutes.get(path.slice(0, -'/input_tokens'.length)) : undefined;
      if (countTurn && responseStore) return handleResponsesInputTokens(req, res, countTurn.codec, { store: responseStore, authenticate, bodyLimitBytes: config.server.bodyLimitBytes });
    }
    if (responseStore) {
      for (const { codec } of statefulRoutes.values()) {
        const stored = storedResponseRoute(path, method, codec);
        if (stored) return stored(req, res, { store: responseStore, authenticate });
      }
    }
    if (method === 'GET' && (path === '/v1/models' || path === '/models')) return listModels(req, res);
    if (path.startsWith(REQUEST_LOOKUP_PREFIX)) return handleRequestLookup(req, res, path, { engine, authenticate, recentRecords: config.server.recentRecords });
    const modelId = modelPathId(path);
    if (modelId !== undefined) {
      if (method === 'GET') return getModel(req, res, modelId);
      return sendError(res, codecForHeaders(req.headers).format, new GatewayError('method_not_allowed', `${method} is not allowed on ${path}; use GET.`), { allow: 'GET' });
    }
    if (method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (method === 'GET' && path === '/metrics') return serveMetrics(req, res);
    if (isAdminPath(path)) {
      const viaSession = sessionMayCall(method, path) && dashboard.sessionCaller(req.headers) !== undefined;
      return (viaSession ? sessionAdmin : admin).handle(req, res, method, path);
    }
    if (dashboard.owns(path)) return dashboard.handle(req, res, method, path);
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
    // sent in chunks as it renders (see GatewayMetrics.renderChunks): a big page never holds the event loop
    res.writeHead(200, { 'content-type': metrics.contentType });
    for await (const chunk of metrics.renderChunks()) {
      if (res.destroyed) return;
      if (!res.write(chunk)) await drained(res);
    }
    res.end();
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

  function getModel(req: IncomingMessage, res: ServerResponse, id: string): void {
    const codec = codecForHeaders(req.headers);
    if (!authenticate(req.headers)) {
      return sendError(res, codec.format, new GatewayError('unauthorized', 'Invalid API key: present a Tollgate virtual key as a Bearer token or x-api-key.'));
    }
    const resolved = registry.resolve(id);
    if (!resolved && !registry.isRoute(id)) {
      return sendError(res, codec.format, new GatewayError('model_not_found', `The model '${id}' does not exist or is not served by this gateway.`, { param: 'model' }));
    }
    sendJson(res, 200, codec.renderModel({ id, ownedBy: resolved?.target.provider ?? 'tollgate-route' }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? config.server.port, opts.host ?? config.server.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  baseUrl = `http://${host}:${addr.port}`;
  alerts.start();
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    ledger,
    metrics,
    otel,
    prices: engine.pricing.catalog,
    engine,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (sweep) clearInterval(sweep);
      await alerts?.close();
      await experiments?.close();
      await engine.close();
      await qualityStore?.close();
      await responseStore?.close();
      await insights.close();
      await otel?.shutdown();
      await payloads?.close();
      await ledger.close();
    },
  };
}


/** the model id of GET /v1/models/{id} (ids may hold '/', e.g. 'org/model'; they arrive URL-encoded or not) */
function modelPathId(path: string): string | undefined {
  const prefix = path.startsWith('/v1/models/') ? '/v1/models/' : path.startsWith('/models/') ? '/models/' : undefined;
  if (!prefix || path.length === prefix.length) return undefined;
  try {
    return decodeURIComponent(path.slice(prefix.length));
  } catch {
    return path.slice(prefix.length);
  }
}

/**
 * The Overview's "spend today against budget": the smallest daily budget in force for the scope the
 * query filters on (a team, a key or a route; a monthly budget counts as its day's share). None
 * without such a filter: budgets are per scope, there is no gateway-wide one.
 */
function dailyBudgetFor(engine: Engine, q: { team?: string; key?: string; route?: string }): number | undefined {
  let best: number | undefined;
  for (const b of engine.spend.book.all) {
    const { scope, id, period, limitUsd } = b.spec;
    const hit = (scope === 'team' && q.team === id) || (scope === 'key' && q.key === id) || (scope === 'route' && q.route === id);
    if (!hit) continue;
    const d = new Date();
    const daysInMonth = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    const daily = period === 'day' ? limitUsd : limitUsd / daysInMonth;
    if (best === undefined || daily < best) best = daily;
  }
  return best;
}
