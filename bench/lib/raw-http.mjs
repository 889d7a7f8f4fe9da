// One HTTP exchange over a raw TCP socket, so the fuzzer can send what no well-behaved client
// would (HTTP/1.0, absolute-form targets, lying Content-Length, invalid UTF-8, duplicate headers)
// and see exactly what came back: status line, headers, framing (chunked / length / close) and body.
//
// The response is parsed incrementally (a chunked SSE stream can be thousands of chunks) and the
// exchange ends at the end of the framed body, when the server closes, or at `timeoutMs` (a hang).

import net from 'node:net';

const MAX_BODY = 8 << 20; // keep at most this much of a body; a fuzz answer larger than this is itself a finding

/**
 * @param {{ port: number, head: string, body?: Buffer, halfClose?: boolean, timeoutMs: number }} o
 * @returns {Promise<{ outcome: 'answered'|'closed'|'reset'|'hang', status?: number, reason?: string,
 *   httpVersion?: string, headers?: Record<string,string>, rawHeaders?: string[][], framing?: string,
 *   body?: Buffer, complete?: boolean, error?: string, ms: number }>}
 */
export function rawExchange(o) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = net.connect({ port: o.port, host: '127.0.0.1' });
    let done = false;
    let headBuf = Buffer.alloc(0);
    let res = null; // parsed head
    const bodyParts = [];
    let bodyLen = 0;
    let truncatedKeep = false;
    // chunked state
    let chunkRemain = -1; // -1: expecting a size line; >0 bytes of data left; 0: expecting CRLF after data
    let pending = Buffer.alloc(0);
    let complete = false;
    let lengthLeft = -1;

    const finish = (outcome, error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({
        outcome: res ? 'answered' : outcome,
        ...(res ?? {}),
        body: Buffer.concat(bodyParts),
        bodyTruncatedByHarness: truncatedKeep,
        complete,
        closedBy: res ? outcome : undefined,
        error,
        ms: performance.now() - t0,
      });
    };
    const timer = setTimeout(() => finish('hang', `no complete answer after ${o.timeoutMs} ms`), o.timeoutMs);

    const keep = (b) => {
      if (bodyLen + b.length > MAX_BODY) {
        truncatedKeep = true;
        return;
      }
      bodyParts.push(b);
      bodyLen += b.length;
    };

    const onBody = (data) => {
      if (!res.framing) return;
      if (res.framing === 'length') {
        const take = data.subarray(0, lengthLeft);
        keep(take);
        lengthLeft -= take.length;
        if (lengthLeft <= 0) {
          complete = true;
          finish('answered');
        }
        return;
      }
      if (res.framing === 'close') {
        keep(data);
        return;
      }
      // chunked
      pending = pending.length ? Buffer.concat([pending, data]) : data;
      for (;;) {
        if (chunkRemain === -1) {
          const nl = pending.indexOf('\r\n');
          if (nl < 0) return;
          const size = parseInt(pending.subarray(0, nl).toString('latin1').split(';')[0].trim(), 16);
          pending = pending.subarray(nl + 2);
          if (!Number.isFinite(size)) {
            res.framingError = 'bad chunk size line';
            return finish('answered');
          }
          if (size === 0) {
            complete = true; // trailers ignored
            return finish('answered');
          }
          chunkRemain = size;
        } else if (chunkRemain > 0) {
          if (!pending.length) return;
          const take = pending.subarray(0, chunkRemain);
          keep(take);
          chunkRemain -= take.length;
          pending = pending.subarray(take.length);
        } else {
          if (pending.length < 2) return;
          pending = pending.subarray(2);
          chunkRemain = -1;
        }
      }
    };

    sock.on('data', (d) => {
      if (done) return;
      if (res) return onBody(d);
      headBuf = Buffer.concat([headBuf, d]);
      onHead();
    });
    const onHead = () => {
      const end = headBuf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (headBuf.length > 64 << 10) finish('answered', 'response head over 64 KiB');
        return;
      }
      const lines = headBuf.subarray(0, end).toString('latin1').split('\r\n');
      const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
      if (!m) {
        res = { status: 0, reason: lines[0].slice(0, 100), httpVersion: '?', headers: {}, framing: null, framingError: 'bad status line' };
        return finish('answered');
      }
      const headers = {};
      const rawHeaders = [];
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i < 0) continue;
        const k = l.slice(0, i).trim().toLowerCase();
        const v = l.slice(i + 1).trim();
        rawHeaders.push([k, v]);
        headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
      }
      const status = Number(m[2]);
      if (status >= 100 && status < 200 && status !== 101) {
        // an interim answer (100 Continue): the real one follows
        headBuf = headBuf.subarray(end + 4);
        if (headBuf.length) onHead();
        return;
      }
      let framing;
      if (o.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) framing = 'none';
      else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) framing = 'chunked';
      else if (headers['content-length'] !== undefined) framing = 'length';
      else framing = 'close';
      res = { status, reason: m[3] ?? '', httpVersion: m[1], headers, rawHeaders, framing };
      const rest = headBuf.subarray(end + 4);
      if (framing === 'none') {
        complete = true;
        return finish('answered');
      }
      if (framing === 'length') {
        lengthLeft = Number(headers['content-length']);
        if (!Number.isFinite(lengthLeft) || lengthLeft < 0) {
          res.framingError = `bad content-length ${headers['content-length']}`;
          return finish('answered');
        }
        if (lengthLeft === 0) {
          complete = true;
          return finish('answered');
        }
      }
      if (rest.length) onBody(rest);
    };
    sock.on('end', () => {
      if (res?.framing === 'close') complete = true;
      finish('closed');
    });
    sock.on('close', () => finish('closed'));
    sock.on('error', (e) => finish(res ? 'closed' : 'reset', e.code ?? e.message));
    sock.on('connect', () => {
      sock.write(o.head, 'latin1');
      if (o.body?.length) sock.write(o.body);
      if (o.halfClose) sock.end();
    });
  });
}
