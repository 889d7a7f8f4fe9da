// Small HTTP helpers for the simulator: bodies, JSON and SSE responses, rate-limit bookkeeping.

import type { IncomingMessage, ServerResponse } from 'node:http';

/** the largest body the simulator reads (the real APIs accept ~32 MB) */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function startSse(res: ServerResponse, headers: Record<string, string>): void {
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
}

/** Go's time.Duration.String() form, as OpenAI sends in x-ratelimit-reset-*: "6m0s", "20ms", "1.5s" */
export function goDuration(ms: number): string {
  const v = Math.max(0, Math.round(ms));
  if (v === 0) return '0s';
  if (v < 1000) return `${v}ms`;
  const h = Math.floor(v / 3_600_000);
  const m = Math.floor((v % 3_600_000) / 60_000);
  const s = (v % 60_000) / 1000;
  const sText = `${Number(s.toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${sText}`;
  if (m > 0) return `${m}m${sText}`;
  return sText;
}

/** A fixed one-minute window per model, as the providers' per-minute limits behave closely enough. */
export class RateWindow {
  private start = 0;
  requests = 0;
  tokens = 0;
  constructor(private readonly now: () => number = Date.now) {}
  /** count a request; returns the state after it */
  take(tokens: number, limits: { requestsPerMin: number; tokensPerMin: number }) {
    const t = this.now();
    if (t - this.start >= 60_000) {
      this.start = t;
      this.requests = 0;
      this.tokens = 0;
    }
    const over = this.requests + 1 > limits.requestsPerMin || this.tokens + tokens > limits.tokensPerMin;
    if (!over) {
      this.requests += 1;
      this.tokens += tokens;
    }
    return {
      over,
      remainingRequests: Math.max(0, limits.requestsPerMin - this.requests),
      remainingTokens: Math.max(0, limits.tokensPerMin - this.tokens),
      resetMs: Math.max(0, this.start + 60_000 - t),
    };
  }
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
