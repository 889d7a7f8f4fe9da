// A real OTLP/HTTP receiver on 127.0.0.1: accepts what an OpenTelemetry exporter POSTs to
// /v1/traces and /v1/metrics (JSON, gzip or not), keeps the decoded requests, and answers as a
// collector does. Tests read the spans and metric points back from it.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values: AnyValue[] } };
export interface KeyValue {
  key: string;
  value: AnyValue;
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes: KeyValue[];
  events?: Array<{ name: string; attributes: KeyValue[] }>;
  status?: { code?: number; message?: string };
}
export interface OtlpMetric {
  name: string;
  unit?: string;
  description?: string;
  histogram?: { dataPoints: Array<{ attributes: KeyValue[]; count: string | number; sum?: number; bucketCounts: Array<string | number>; explicitBounds: number[] }>; aggregationTemporality: number };
  sum?: { dataPoints: Array<{ attributes: KeyValue[]; asDouble?: number; asInt?: string | number }>; isMonotonic?: boolean; aggregationTemporality: number };
}

export interface OtlpReceiver {
  url: string;
  /** every span received, in arrival order */
  spans(): OtlpSpan[];
  /** the latest export of each metric (cumulative temporality: the last one holds the totals) */
  metrics(): Map<string, OtlpMetric>;
  /** resource attributes of the last export */
  resource(): Record<string, unknown>;
  contentTypes: Set<string>;
  /** answer the next `n` trace exports with this status instead of 200 */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

export function attrs(kv: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of kv ?? []) out[key] = valueOf(value);
  return out;
}

function valueOf(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: OtlpSpan[] = [];
  const metrics = new Map<string, OtlpMetric>();
  let resource: Record<string, unknown> = {};
  const contentTypes = new Set<string>();
  let failing = 0;
  let failStatus = 503;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const type = String(req.headers['content-type'] ?? '');
      contentTypes.add(type);
      if (!type.startsWith('application/json')) {
        res.writeHead(415).end();
        return;
      }
      const msg = JSON.parse(body.toString('utf8'));
      if (req.url === '/v1/traces') {
        if (failing > 0) {
          failing--;
          res.writeHead(failStatus, { 'content-type': 'application/json' }).end('{}');
          return;
        }
        for (const rs of msg.resourceSpans ?? []) {
          resource = attrs(rs.resource?.attributes);
          for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
        }
      } else if (req.url === '/v1/metrics') {
        for (const rm of msg.resourceMetrics ?? []) {
          resource = attrs(rm.resource?.attributes);
          for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) metrics.set(m.name, m);
        }
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => spans,
    metrics: () => metrics,
    resource: () => resource,
    contentTypes,
    failNext(n, status) {
      failing = n;
      failStatus = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
