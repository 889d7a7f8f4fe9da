// `tollgate flags list|set|unset`: the flags of a running gateway, through its admin API (so a
// change applies to the next request and lands in the audit log with this admin key as its author).
// The admin key comes from --admin-key or TOLLGATE_ADMIN_KEY; the gateway from --url or TOLLGATE_URL.
import type { Command } from 'commander';

export interface Conn {
  url: string;
  adminKey?: string;
  json?: boolean;
}

export class CliError extends Error {}

/** 'true'/'false' → boolean, a number → number, anything else a string */
export function parseFlagValue(raw: string): boolean | number | string {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  return raw;
}

export async function call(c: Conn, method: string, path: string, body?: unknown): Promise<unknown> {
  const key = c.adminKey ?? process.env.TOLLGATE_ADMIN_KEY;
  if (!key) throw new CliError('an admin key is needed: --admin-key or TOLLGATE_ADMIN_KEY');
  let res: Response;
  try {
    res = await fetch(c.url.replace(/\/+$/, '') + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new CliError(`cannot reach the gateway at ${c.url}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json as { error?: { message?: string; param?: string } } | undefined)?.error;
    throw new CliError(`${res.status}: ${e?.message ?? text.slice(0, 200)}${e?.param ? ` (${e.param})` : ''}`);
  }
  return json;
}

export function run<A extends unknown[]>(action: (...args: A) => Promise<void>, what = 'flags'): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      console.error(`tollgate ${what}: ${(err as Error).message}`);
      process.exitCode = err instanceof CliError ? 1 : 2;
    }
  };
}

export function connOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'the gateway', process.env.TOLLGATE_URL ?? 'http://127.0.0.1:8787')
    .option('--admin-key <key>', 'an admin key with no team (default: TOLLGATE_ADMIN_KEY)')
    .option('--json', 'print JSON');
}

interface FlagView {
  name: string;
  value: unknown;
  target?: string;
  overlay?: Record<string, unknown>;
  updatedAt: number;
  updatedBy: string;
  reason: string;
}

export function registerFlagsCommand(program: Command): void {
  const flags = program.command('flags').description('feature flags and policy overlays of a running gateway (audited)');

  connOptions(flags.command('list').description('the flags in force, or with --audit the log of changes'))
    .option('--audit', 'the audit log instead (who, when, why), newest first')
    .option('--limit <n>', 'audit entries', '50')
    .action(run(async (o: Conn & { audit?: boolean; limit: string }) => {
      if (o.audit) {
        const r = (await call(o, 'GET', `/admin/flags/audit?limit=${encodeURIComponent(o.limit)}`)) as { changes: { seq: number; at: number; by: string; action: string; name: string; reason: string }[] };
        if (o.json) return void console.log(JSON.stringify(r, null, 2));
        for (const c of r.changes) console.log(`${new Date(c.at).toISOString()}  #${c.seq}  ${c.action.padEnd(5)}  ${c.name}  by ${c.by}: ${c.reason}`);
        return;
      }
      const r = (await call(o, 'GET', '/admin/flags')) as { version: number; flags: FlagView[] };
      if (o.json) return void console.log(JSON.stringify(r, null, 2));
      if (!r.flags.length) return void console.log('no flags');
      for (const f of r.flags) {
        const what = f.overlay ? ` on ${f.target}: ${JSON.stringify(f.overlay)}` : '';
        console.log(`${f.name} = ${JSON.stringify(f.value)}${what}  (${new Date(f.updatedAt).toISOString()} by ${f.updatedBy}: ${f.reason})`);
      }
    }));

  connOptions(flags.command('set <name> <value>').description('set a flag (true/false, a number or a string); with an overlay option, a policy overlay on --target'))
    .requiredOption('--reason <why>', 'why (kept in the audit log)')
    .option('--target <route-or-model>', "the route or model the overlay applies to ('*' = every request)")
    .option('--model <model>', 'overlay: send the target to this model')
    .option('--tier <tier>', "overlay: use this tier of the target route")
    .option('--max-tier <tier>', 'overlay: never above this tier of the target route')
    .option('--lever <name=on|off>', 'overlay: turn a lever on or off (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--description <text>', 'what the flag is for')
    .action(run(async (name: string, value: string, o: Conn & { reason: string; target?: string; model?: string; tier?: string; maxTier?: string; lever: string[]; description?: string }) => {
      const levers: Record<string, boolean> = {};
      for (const l of o.lever) {
        const m = /^([^=]+)=(on|off)$/.exec(l);
        if (!m) throw new CliError(`--lever takes name=on|off (got '${l}')`);
        levers[m[1]!] = m[2] === 'on';
      }
      const overlay = {
        ...(o.model ? { model: o.model } : {}),
        ...(o.tier ? { tier: o.tier } : {}),
        ...(o.maxTier ? { maxTier: o.maxTier } : {}),
        ...(Object.keys(levers).length ? { levers } : {}),
      };
      const hasOverlay = Object.keys(overlay).length > 0;
      const body = {
        name,
        value: parseFlagValue(value),
        reason: o.reason,
        ...(hasOverlay ? { overlay, target: o.target ?? '*' } : o.target ? { target: o.target } : {}),
        ...(o.description ? { description: o.description } : {}),
      };
      const r = (await call(o, 'PUT', '/admin/flags', body)) as { flag: FlagView; change: { seq: number } };
      console.log(o.json ? JSON.stringify(r, null, 2) : `set ${name} = ${JSON.stringify(r.flag.value)} (change #${r.change.seq})`);
    }));

  connOptions(flags.command('unset <name>').description('remove a flag'))
    .requiredOption('--reason <why>', 'why (kept in the audit log)')
    .action(run(async (name: string, o: Conn & { reason: string }) => {
      const r = (await call(o, 'DELETE', `/admin/flags?name=${encodeURIComponent(name)}&reason=${encodeURIComponent(o.reason)}`)) as { change: { seq: number } };
      console.log(o.json ? JSON.stringify(r, null, 2) : `unset ${name} (change #${r.change.seq})`);
    }));
}
