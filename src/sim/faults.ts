// Fault injection rules, from model settings and from the per-request `x-sim-fault` header.
//
// Grammar (header value, and the string form accepted by the admin endpoint):
//   faults := fault ( ',' fault )*
//   fault  := kind ( ';' key '=' value )*
//   kind   := '429' | 'quota' | '500' | '503' | '529' | 'timeout' | 'reset' | 'cut' | 'error-event'
//   keys   := p            probability in [0,1] that this fault fires (default 1)
//             retry-after  seconds sent in retry-after (429/503/529; default 1)
//             at           fraction of the output sent before cut / reset / error-event (default 0.5;
//                          reset with no `at` destroys the socket before any response)
// Rules are tried in order (header first, then the model's); the first whose draw fires applies.

export const FAULT_KINDS = ['429', 'quota', '500', '503', '529', 'timeout', 'reset', 'cut', 'error-event'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  kind: FaultKind;
  /** probability in [0,1]; default 1 */
  p?: number;
  /** seconds for retry-after */
  retryAfterS?: number;
  /** fraction of output sent before the fault (cut, reset, error-event) */
  at?: number;
}

export class FaultSpecError extends Error {}

function num(key: string, raw: string, lo: number, hi: number): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < lo || v > hi) {
    throw new FaultSpecError(`x-sim-fault: ${key}=${raw} must be a number in [${lo}, ${hi}]`);
  }
  return v;
}

export function parseFaults(spec: string): FaultRule[] {
  const rules: FaultRule[] = [];
  for (const part of spec.split(',')) {
    const [kindRaw, ...params] = part.split(';').map((x) => x.trim());
    if (!kindRaw) continue;
    if (!(FAULT_KINDS as readonly string[]).includes(kindRaw)) {
      throw new FaultSpecError(`x-sim-fault: unknown fault '${kindRaw}' (expected one of ${FAULT_KINDS.join(', ')})`);
    }
    const rule: FaultRule = { kind: kindRaw as FaultKind };
    for (const kv of params) {
      const eq = kv.indexOf('=');
      const key = eq < 0 ? kv : kv.slice(0, eq).trim();
      const val = eq < 0 ? '' : kv.slice(eq + 1).trim();
      if (key === 'p') rule.p = num(key, val, 0, 1);
      else if (key === 'retry-after') rule.retryAfterS = num(key, val, 0, 86_400);
      else if (key === 'at') rule.at = num(key, val, 0, 1);
      else throw new FaultSpecError(`x-sim-fault: unknown parameter '${key}' (expected p, retry-after or at)`);
    }
    rules.push(rule);
  }
  return rules;
}

export function formatFaults(rules: readonly FaultRule[]): string {
  return rules
    .map((r) =>
      [r.kind, r.p !== undefined ? `p=${r.p}` : '', r.retryAfterS !== undefined ? `retry-after=${r.retryAfterS}` : '', r.at !== undefined ? `at=${r.at}` : '']
        .filter(Boolean)
        .join(';'),
    )
    .join(',');
}

/** the first rule whose probability draw fires, if any */
export function pickFault(rules: readonly FaultRule[], draw: () => number): FaultRule | undefined {
  for (const r of rules) {
    const p = r.p ?? 1;
    if (p >= 1 || draw() < p) return r;
  }
  return undefined;
}
