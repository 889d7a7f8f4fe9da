// Types for the suite's import of the fuzz run (test/reliability/fuzz.test.ts).
export interface FuzzReport {
  sent: number;
  aborted: string | null;
  crashes: number;
  crash: unknown;
  gateway_5xx: number;
  gateway_5xx_detail: Record<string, { count: number; examples: unknown[] }>;
  breaker_open_5xx: number;
  upstream_5xx_relayed: number;
  caller_format: { answered: number; in_format: number; pct: number | null; problems: Record<string, { count: number; examples: unknown[] }> };
  hangs: { count: number; detail: Record<string, { count: number; examples: unknown[] }> };
  no_answer: { count: number; detail: Record<string, { count: number; examples: unknown[] }> };
  health: { max_gap_ms: number | null; gaps_over_50ms: number };
  /** the gateway's own event-loop delay, from its /metrics (tollgate_event_loop_delay_max_seconds) scraped each second */
  gateway_event_loop_lag: { scrapes: number; errors: number; max_ms: number; over_50ms: number };
  ledger: { answered_with_id: number; in_ledger: number; missing: number; pct: number | null; missing_examples: string[] };
  [k: string]: unknown;
}
export function runFuzz(o?: { requests?: number; seed?: number; concurrency?: number; hangTimeoutMs?: number; maxHangs?: number; log?: (s: string) => void; levers?: boolean; gatewayNodeArgs?: string[] }): Promise<FuzzReport>;
export function summarizeFuzz(r: FuzzReport): string;
