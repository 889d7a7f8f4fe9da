// Small helpers around node:http that the gateway routes share.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventEmitter } from 'node:events';
import type { WireFormat } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import { codecFor, codecForPath, defaultCodec, wireCodecs } from '../providers/registry.js';

export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** body reads in progress, so that the server can fail one (a deadline) and let its handler answer */
const pendingReads = new WeakMap<IncomingMessage, (err: GatewayError) => void>();

/** Fails the body read in progress on `req` with `err`; false when none is in progress. */
export function failBodyRead(req: IncomingMessage, err: GatewayError): boolean {
  const fail = pendingReads.get(req);
  if (!fail) return false;
  fail(err);
  return true;
}

/** Reads the whole body, refusing (413) past `limit` bytes without buffering the excess. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new GatewayError('body_too_large', `request body is ${declared} bytes; the limit is ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      pendingReads.delete(req);
      chunks.length = 0;
      reject(err);
    };
    pendingReads.set(req, fail);
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) return fail(new GatewayError('body_too_large', `request body exceeds the limit of ${limit} bytes`));
      chunks.push(c);
    });
    req.on('end', () => {
      if (failed) return;
      pendingReads.delete(req);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', fail);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

export function lowerCaseHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  const h = req.headers;
  for (const k in h) {
    const v = h[k];
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * The path of a request target, without the query. Absolute-form targets
 * (`POST http://host/v1/chat/completions`, which HTTP/1.1 servers must accept, and which some
 * proxies send) are reduced to their path.
 */
export function requestPath(url: string): string {
  let start = 0;
  if (url.charCodeAt(0) !== 47 /* '/' */) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url);
    if (m) start = m[0].length;
  }
  const q = url.indexOf('?', start);
  const path = url.slice(start, q === -1 ? undefined : q);
  return path === '' ? '/' : path;
}

/**
 * The wire format a path implies, for answers that come before (or without) a parsed request: the
 * format owning the path, else one whose chat endpoint the path starts with (`/v1/messages%00`,
 * `/v1/messagesX`: an Anthropic client's typo), else the default.
 */
export function formatOfPath(path: string): WireFormat {
  const owner = codecForPath(path) ?? wireCodecs().find((c) => path.startsWith(c.endpoints.chat));
  return (owner ?? defaultCodec()).format;
}

/** An error in `format`'s own shape, through the one error table. */
export function sendError(res: ServerResponse, format: WireFormat, err: unknown, headers: Record<string, string> = {}): void {
  const rendered = codecFor(format).renderError(err);
  sendJson(res, rendered.status, rendered.body, headers);
}

/**
 * Waits for a response to drain or close, leaving no listener behind on either: a slow-reading
 * client makes the relay wait many times per stream, and a leftover listener per wait grows
 * without bound (MaxListenersExceededWarning after ten).
 */
export function drained(res: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
