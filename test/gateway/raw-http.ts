// Raw TCP clients for the edge tests: what no HTTP library will send (slow bodies, absolute-form
// targets, broken request lines, idle sockets), and what the gateway then does with the socket.

import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  /** the body parsed as JSON, or undefined when it is not JSON */
  json: unknown;
  text: string;
}

/** Parses one HTTP/1.1 response with a content-length (all the gateway's own errors have one). */
export function parseResponse(raw: string): RawAnswer {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no complete response head in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let text = raw.slice(end + 4);
  if (headers['content-length'] !== undefined) text = Buffer.from(text).subarray(0, Number(headers['content-length'])).toString();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, headers, json, text };
}

export function openSocket(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves with everything the server sent once it closes the socket. */
export function untilClosed(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {}); // a reset after the answer is still a close
    s.once('close', () => resolve(Buffer.concat(chunks).toString()));
  });
}

/** Sends `text` (then nothing more) and waits for the server to answer and close. */
export async function rawExchange(port: number, text: string | Buffer): Promise<RawAnswer> {
  const s = await openSocket(port);
  const closed = untilClosed(s);
  s.write(text);
  return parseResponse(await closed);
}

/** A request with `connection: close`, so the server closes after answering. */
export function request(method: string, target: string, body?: string, headers: Record<string, string> = {}): string {
  const h: Record<string, string> = { host: '127.0.0.1', connection: 'close', ...headers };
  if (body !== undefined) {
    h['content-type'] ??= 'application/json';
    h['content-length'] = String(Buffer.byteLength(body));
  }
  return `${method} ${target} HTTP/1.1\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body ?? ''}`;
}
