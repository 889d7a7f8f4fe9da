// Flags at run time: the store, the snapshot every request reads (synchronously: the hot path never
// waits on the store), and the admin routes that change them. A change made here swaps the snapshot
// at once; one made elsewhere (another instance, `tollgate flags` on the data dir) is picked up by a
// poll of the store's version every `pollMs`.

import { GatewayError } from '../core/errors.js';
import type { AdminContext, AdminRoute } from '../pipeline/stage.js';
import type { FlagChange, FlagStore } from '../stores/flags.js';
import { FlagSnapshot } from './snapshot.js';
import { parseFlagInput, toFlag, type PolicyShape } from './validate.js';

export interface FlagsOptions {
  store: FlagStore;
  shape: PolicyShape;
  /** how often to look for changes made outside this process; 0 = never */
  pollMs?: number;
  now?: () => number;
}

export class Flags {
  private snap: FlagSnapshot = FlagSnapshot.EMPTY;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  /** failures to read the store while polling (counted; the last good snapshot stays in force) */
  pollErrors = 0;

  private constructor(private readonly opts: FlagsOptions) {
    this.now = opts.now ?? Date.now;
  }

  static async open(opts: FlagsOptions): Promise<Flags> {
    const f = new Flags(opts);
    await f.refresh();
    if (opts.pollMs) {
      f.timer = setInterval(() => {
        void f.refreshIfChanged().catch(() => f.pollErrors++);
      }, opts.pollMs);
      f.timer.unref();
    }
    return f;
  }

  /** the flags in force now: what a request reads, once, at its start */
  snapshot(): FlagSnapshot {
    return this.snap;
  }

  async refresh(): Promise<void> {
    const version = await this.opts.store.version();
    this.snap = new FlagSnapshot(await this.opts.store.list(), version);
  }

  private async refreshIfChanged(): Promise<void> {
    if ((await this.opts.store.version()) !== this.snap.version) await this.refresh();
  }

  /** set a flag (admin API, CLI, alert actions); `by` is who, for the audit log */
  async set(body: unknown, by: string): Promise<FlagChange> {
    const input = parseFlagInput(body, this.opts.shape);
    const change = await this.opts.store.set(toFlag(input, by, this.now()));
    await this.refresh();
    return change;
  }

  async unset(name: string, by: string, reason: string): Promise<FlagChange | null> {
    if (!reason) throw new GatewayError('invalid_request', 'say why (reason): every change is audited', { param: 'reason' });
    const change = await this.opts.store.unset(name, { at: this.now(), by, reason });
    await this.refresh();
    return change;
  }

  adminRoutes(): AdminRoute[] {
    const who = (admin: AdminContext): string => `key:${admin.caller.keyId}`;
    return [
      {
        method: 'GET',
        path: '/admin/flags',
        handler: async () => ({ status: 200, body: { version: this.snap.version, flags: await this.opts.store.list() } }),
      },
      {
        method: 'PUT',
        path: '/admin/flags',
        handler: async (body, _q, admin) => {
          const change = await this.set(body, who(admin));
          return { status: 200, body: { flag: change.after, change } };
        },
      },
      {
        method: 'DELETE',
        path: '/admin/flags',
        handler: async (body, q, admin) => {
          const b = (body ?? {}) as { name?: unknown; reason?: unknown };
          const name = q.get('name') ?? (typeof b.name === 'string' ? b.name : undefined);
          const reason = q.get('reason') ?? (typeof b.reason === 'string' ? b.reason : '');
          if (!name) throw new GatewayError('invalid_request', 'name the flag to unset (?name=)', { param: 'name' });
          const change = await this.unset(name, who(admin), reason);
          if (!change) throw new GatewayError('not_found', `No flag named '${name}'`);
          return { status: 200, body: { change } };
        },
      },
      {
        method: 'GET',
        path: '/admin/flags/audit',
        handler: async (_b, q) => {
          const limit = q.has('limit') ? Number(q.get('limit')) : 100;
          const before = q.has('before') ? Number(q.get('before')) : undefined;
          if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new GatewayError('invalid_request', 'limit is an integer in 1..500', { param: 'limit' });
          if (before !== undefined && !Number.isInteger(before)) throw new GatewayError('invalid_request', 'before is a change seq (an integer)', { param: 'before' });
          return { status: 200, body: { changes: await this.opts.store.audit(limit, before) } };
        },
      },
    ];
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.opts.store.close();
  }
}
