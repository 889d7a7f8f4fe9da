// Connection limits for the gateway's HTTP server, and answers for what Node's HTTP parser rejects.
// Without limits a client holds sockets for free: slow bodies, never-finished headers and idle
// keep-alive sockets each keep a file descriptor and memory. Node enforces the header and
// whole-request deadlines itself (headersTimeout, requestTimeout) and the total through
// maxConnections; what it lacks is a bound on idle sockets, and answers with a body: its own
// 400/408/431 are empty, so a client cannot tell what went wrong. Both are added here.

import { STATUS_CODES, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError } from '../core/errors.js';
import { codecFor } from '../providers/registry.js';
import { failBodyRead, formatOfPath, requestPath, sendError } from './http-util.js';

export interface ConnectionLimits {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  maxIdleConnections: number;
  /** 0 = no per-address cap */
  maxConnectionsPerClient: number;
}

/** Options for http.createServer that carry the deadlines. */
export function serverOptions(l: ConnectionLimits): ServerOptions {
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.bodyTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    // Node checks the deadlines on this interval (30 s by default, which would let a 5 s deadline
    // run to 35 s): a quarter of the shortest deadline keeps the overshoot within 25%
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(Math.min(l.headersTimeoutMs, l.bodyTimeoutMs) / 4))),
    // a missing Host header gets our own JSON 400 (see missingHost), not Node's empty one
    requireHostHeader: false,
  };
}

/** HTTP/1.1 requires a Host header; the answer Node would give, with a body. */
export function missingHost(req: IncomingMessage): GatewayError | undefined {
  if (req.headers.host !== undefined || req.httpVersionMajor !== 1 || req.httpVersionMinor < 1) return undefined;
  return new GatewayError('invalid_request', 'HTTP/1.1 requests need a Host header.');
}

/**
 * Enforces the connection count limits and answers parser errors in the caller's format.
 * Per client = per remote address: connections beyond `maxConnectionsPerClient` are closed at once.
 * Idle = no request in flight: a new connection that has sent nothing yet, or a kept-alive one
 * between requests. Beyond `maxIdleConnections` the one idle the longest is closed.
 */
export function enforceConnectionLimits(server: Server, l: ConnectionLimits): void {
  server.maxConnections = l.maxConnections;
  // insertion order = idle since: the first key is the one idle the longest
  const idle = new Set<Socket>();
  const inFlight = new WeakMap<Socket, { n: number; res?: ServerResponse }>();

  const markIdle = (s: Socket): void => {
    idle.delete(s);
    idle.add(s);
    if (idle.size > l.maxIdleConnections) {
      const oldest = idle.values().next().value as Socket;
      idle.delete(oldest);
      oldest.destroy();
    }
  };

  const perClient = new Map<string, number>();
  server.on('connection', (s: Socket) => {
    if (l.maxConnectionsPerClient > 0) {
      const addr = s.remoteAddress ?? '';
      const n = perClient.get(addr) ?? 0;
      if (n >= l.maxConnectionsPerClient) {
        s.destroy();
        return;
      }
      perClient.set(addr, n + 1);
      s.once('close', () => {
        const left = perClient.get(addr)! - 1;
        if (left === 0) perClient.delete(addr);
        else perClient.set(addr, left);
      });
    }
    inFlight.set(s, { n: 0 });
    s.once('close', () => idle.delete(s));
    markIdle(s);
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const s = req.socket;
    const f = inFlight.get(s);
    if (!f) return;
    f.n++;
    f.res = res;
    idle.delete(s);
    res.once('close', () => {
      if (--f.n > 0) return;
      f.res = undefined;
      if (!s.destroyed) markIdle(s);
    });
  });

  // an Expect other than 100-continue: Node's own 417 has an empty body
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const err = new GatewayError('invalid_request', `Expect: ${String(req.headers.expect)} is not supported (only 100-continue).`, { status: 417 });
    res.shouldKeepAlive = false;
    sendError(res, formatOfPath(requestPath(req.url ?? '/')), err);
  });

  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer; reason?: string }, s: Socket) => {
    const res = inFlight.get(s)?.res;
    // the client is gone, or an answer has begun: nothing more can be said on this socket
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !s.writable || res?.headersSent) {
      s.destroy();
      return;
    }
    const path = res ? requestPath(res.req.url ?? '/') : pathOfRawRequest(err.rawPacket);
    const gwErr = gatewayErrorOf(err, l, res !== undefined);
    if (res && failBodyRead(res.req, gwErr)) {
      // the handler reading the body answers the error itself, in its format, with its request id,
      // and records it; Node closes the socket after that answer
      res.shouldKeepAlive = false;
      const backstop = setTimeout(() => s.destroy(), l.bodyTimeoutMs).unref(); // should the answer never come
      s.once('close', () => clearTimeout(backstop));
      return;
    }
    const rendered = codecFor(formatOfPath(path)).renderError(gwErr);
    const body = JSON.stringify(rendered.body);
    const head = `HTTP/1.1 ${rendered.status} ${STATUS_CODES[rendered.status] ?? ''}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
    // the server's sockets are half-open: end() alone would wait for the client's FIN forever
    s.end(head + body, () => s.destroy());
  });
}

function gatewayErrorOf(err: NodeJS.ErrnoException & { reason?: string }, l: ConnectionLimits, headersDone: boolean): GatewayError {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return headersDone
        ? new GatewayError('request_timeout', `The request body did not arrive in time: the whole request must arrive within ${l.bodyTimeoutMs} ms.`)
        : new GatewayError('request_timeout', `The request headers did not arrive in time: they must arrive within ${l.headersTimeoutMs} ms.`);
    case 'HPE_HEADER_OVERFLOW':
      return new GatewayError('headers_too_large', 'The request headers are too large.');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new GatewayError('body_too_large', 'The chunk extensions of the request body are too large.');
    default:
      return new GatewayError('invalid_request', `The request is not valid HTTP: ${err.reason ?? err.code ?? 'parse error'}.`);
  }
}

/** The target of a request line that the parser rejected, so the answer speaks its path's format. */
function pathOfRawRequest(raw: Buffer | undefined): string {
  if (!raw) return '/';
  const line = raw.subarray(0, 2048).toString('latin1');
  // any method: a malformed one is often why the parser gave up
  const m = /^\S{1,32} +(\S+)/.exec(line);
  return m ? requestPath(m[1]!) : '/';
}
