// Delivering a notice: a JSON POST to each channel, signed with the channel's secret
// (x-tollgate-signature: sha256=<hex HMAC-SHA256 of the exact body>), Slack-compatible bodies for
// `type: slack` (a `text` line, the same fields beside it). A few tries with a short backoff; what
// failed is returned, never thrown (a dead webhook must not stop the other channels or the loop).

import { createHmac } from 'node:crypto';
import type { AlertChannel } from './config.js';

export interface Notice {
  rule: string;
  state: 'firing' | 'resolved';
  value: number | null;
  threshold: number;
  metric: string;
  window: string;
  direction: 'above' | 'below';
  scope?: Record<string, string>;
  detail?: Record<string, unknown>;
  at: string;
  link: string;
}

export const SIGNATURE_HEADER = 'x-tollgate-signature';

export function sign(body: string, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

const fmt = (v: number | null): string => (v === null ? 'n/a' : Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(4)).toString());

export function slackText(n: Notice): string {
  if (n.detail?.lever !== undefined && n.detail.from !== undefined) {
    const d = n.detail as { lever: string; name: string; from: number; to: number; n: number };
    return `:arrow_up: TIGHTENED ${d.lever} ${d.name}: ${n.metric} ${fmt(n.value)} ${n.direction === 'above' ? '>' : '<'} ${fmt(n.threshold)} on ${d.n} judged samples; threshold ${fmt(d.from)} -> ${fmt(d.to)} <${n.link}|dashboard>`;
  }
  const head = n.state === 'firing' ? `:rotating_light: FIRING ${n.rule}` : `:white_check_mark: RESOLVED ${n.rule}`;
  const cmp = n.direction === 'above' ? '>' : '<';
  const when = typeof n.detail?.budgetRunsOutOn === 'string' ? `; at this pace the budget runs out on ${n.detail.budgetRunsOutOn}` : '';
  return `${head}: ${n.metric} ${fmt(n.value)} ${n.state === 'firing' ? cmp : 'back within'} ${fmt(n.threshold)} over ${n.window}${when} <${n.link}|dashboard>`;
}

export function bodyFor(channel: AlertChannel, n: Notice): string {
  return JSON.stringify(channel.type === 'slack' ? { text: slackText(n), ...n } : n);
}

export async function deliver(channels: readonly AlertChannel[], n: Notice, tries = 3): Promise<{ delivered: string[]; failed: { channel: string; error: string }[] }> {
  const delivered: string[] = [];
  const failed: { channel: string; error: string }[] = [];
  await Promise.all(
    channels.map(async (c) => {
      const body = bodyFor(c, n);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'tollgate-alerts' };
      if (c.secret) headers[SIGNATURE_HEADER] = sign(body, c.secret);
      let last = '';
      for (let i = 0; i < tries; i++) {
        try {
          const res = await fetch(c.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(c.timeoutMs) });
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) return void delivered.push(c.name);
          last = `HTTP ${res.status}`;
          if (res.status < 500 && res.status !== 429) break; // the receiver refused it: trying again will not help
        } catch (err) {
          last = (err as Error).message;
        }
        await new Promise((r) => setTimeout(r, 200 * 2 ** i));
      }
      failed.push({ channel: c.name, error: last });
    }),
  );
  return { delivered, failed };
}
