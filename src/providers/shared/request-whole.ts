// A whole-body upstream request on undici's dispatch API. `pool.request()` wraps every response
// body in a Readable stream (plus its promise and listener machinery) that a non-streaming call
// only drains into one buffer; collecting the chunks in the handler skips all of it. Streams keep
// using `request()` (their body is consumed as it arrives).

import type { Dispatcher } from 'undici';
import type { AbortFlag } from './abort-link.js';

export interface WholeResponse {
  statusCode: number;
  /** lower-cased names; a repeated header is an array (as undici's request() gives them) */
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export interface WholeRequestHooks {
  /** the response head arrived (first byte) */
  onHead?(): void;
}

/** Rejects with what undici reports (the abort's reason when `abort` fires). */
export function requestWhole(
  dispatcher: Dispatcher,
  opts: { origin: string; path: string; headers: Record<string, string>; body: Buffer },
  abort: AbortFlag,
  hooks: WholeRequestHooks = {},
): Promise<WholeResponse> {
  return new Promise<WholeResponse>((resolve, reject) => {
    let statusCode = 0;
    let headers: Record<string, string | string[]> = {};
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const handler = {
      onConnect(abortRequest: (err?: Error) => void): void {
        if (abort.aborted) abortRequest(abort.reason as Error);
        else abort.once('abort', () => abortRequest(abort.reason as Error));
      },
      onHeaders(status: number, rawHeaders: Buffer[]): boolean {
        if (status < 200) return true; // 1xx informational: the real head follows
        statusCode = status;
        headers = parseRawHeaders(rawHeaders);
        hooks.onHead?.();
        return true;
      },
      onData(chunk: Buffer): boolean {
        chunks.push(chunk);
        size += chunk.length;
        return true;
      },
      onComplete(): void {
        if (settled) return;
        settled = true;
        resolve({ statusCode, headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
      },
      onError(err: Error): void {
        if (settled) return;
        settled = true;
        reject(err);
      },
      onUpgrade(): void {
        // not requested; never called for a plain POST
      },
    };
    dispatcher.dispatch({ origin: opts.origin, path: opts.path, method: 'POST', headers: opts.headers, body: opts.body }, handler as unknown as Dispatcher.DispatchHandler);
  });
}

function parseRawHeaders(raw: Buffer[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!.toString('latin1').toLowerCase();
    if (k === '__proto__') continue; // never a real header; never a prototype write
    const v = raw[i + 1]!.toString('latin1');
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return out;
}
