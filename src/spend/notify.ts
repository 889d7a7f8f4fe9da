// Budget notifications: a JSON POST to the configured webhook, signed with HMAC-SHA256 of the body
// (`x-tollgate-signature: sha256=<hex>`) when a secret is set. Each threshold of each budget goes
// out once per period (the caller deduplicates through the counter store, so a restart does not
// repeat them). Sending never blocks or fails a request: at most MAX_IN_FLIGHT posts at a time,
// beyond that events are dropped and counted.

import { createHmac } from 'node:crypto';

export interface BudgetEvent {
  type: 'budget.threshold' | 'budget.exceeded';
  scope: string;
  id: string;
  period: string;
  /** the period's label, e.g. 2026-12 */
  periodLabel: string;
  /** fraction of the limit crossed (1 for exceeded) */
  threshold: number;
  limitUsd: number;
  spentUsd: number;
  action: string;
  resetsAt: string;
  at: string;
}

export interface Notifier {
  send(ev: BudgetEvent): void;
  readonly sent: number;
  readonly failed: number;
  readonly dropped: number;
  /** resolves when every post in flight has finished (tests, shutdown) */
  idle(): Promise<void>;
}

const MAX_IN_FLIGHT = 32;

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function webhookNotifier(opts: { url: string; secret?: string; timeoutMs: number }): Notifier {
  const inFlight = new Set<Promise<void>>();
  const n = { sent: 0, failed: 0, dropped: 0 };
  return {
    get sent() {
      return n.sent;
    },
    get failed() {
      return n.failed;
    },
    get dropped() {
      return n.dropped;
    },
    send(ev) {
      if (inFlight.size >= MAX_IN_FLIGHT) {
        n.dropped++;
        return;
      }
      const body = JSON.stringify(ev);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'tollgate-budgets' };
      if (opts.secret) headers['x-tollgate-signature'] = signBody(body, opts.secret);
      const p = fetch(opts.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(opts.timeoutMs) })
        .then(async (res) => {
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) n.sent++;
          else n.failed++;
        })
        .catch(() => {
          n.failed++;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    async idle() {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
  };
}

/** no webhook configured: events are counted, nothing is sent */
export function silentNotifier(): Notifier {
  let dropped = 0;
  return {
    send() {
      dropped++;
    },
    sent: 0,
    failed: 0,
    get dropped() {
      return dropped;
    },
    idle: async () => undefined,
  };
}
