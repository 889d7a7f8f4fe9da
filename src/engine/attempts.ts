// One upstream attempt as the ledger keeps it. Every attempt of a request (the answer, its retries
// and fallbacks, the gateway's own calls) is built here, so they all carry the same fields.

import type { Usage } from '../core/canonical.js';
import { UpstreamError } from '../core/errors.js';
import type { AttemptRecord } from '../ledger/record.js';
import type { Target } from '../pipeline/stage.js';
import { now } from './clock.js';

export interface AttemptFields {
  status: number | null;
  usage?: Usage;
  costUsd?: number;
  errorClass?: string;
  purpose?: string;
  /** default: now; NaN while a stream is still running (settled at its end) */
  endedAt?: number;
}

export function attemptRecord(target: Target, startedAt: number, f: AttemptFields): AttemptRecord {
  const a: AttemptRecord = {
    provider: target.provider,
    model: target.model,
    status: f.status,
    startedAt,
    endedAt: f.endedAt ?? now(),
    costUsd: f.costUsd ?? 0,
  };
  if (f.purpose !== undefined) a.purpose = f.purpose;
  if (f.errorClass !== undefined) a.errorClass = f.errorClass;
  if (f.usage !== undefined) a.usage = f.usage;
  return a;
}

/** the error class of a failed call: the upstream's, 'aborted' when the client left, else 'internal' */
export function failureClass(err: unknown, clientGone: boolean): string {
  if (err instanceof UpstreamError) return err.errorClass;
  return clientGone ? 'aborted' : 'internal';
}

export function failureStatus(err: unknown): number | null {
  return err instanceof UpstreamError ? err.status : null;
}
