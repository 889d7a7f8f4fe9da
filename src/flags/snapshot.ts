// What the flags say for one request, read from an immutable snapshot (a change builds a new one,
// so a request sees one consistent set and a change applies to the next request, no restart).
// Pure: no I/O, no clock.

import type { PolicyOverlay } from '../pipeline/stage.js';
import type { Flag, FlagValue } from '../stores/flags.js';

export interface AppliedOverlay {
  overlay: PolicyOverlay;
  /** the flags that made it, in the order they were applied */
  flags: string[];
}

export class FlagSnapshot {
  private readonly values = new Map<string, FlagValue>();
  /** overlay flags that are on, by target, oldest change first (a later change wins a field) */
  private readonly byTarget = new Map<string, Flag[]>();

  constructor(flags: readonly Flag[], readonly version = 0) {
    for (const f of [...flags].sort((a, b) => a.updatedAt - b.updatedAt || a.name.localeCompare(b.name))) {
      this.values.set(f.name, f.value);
      if (!f.overlay || f.value !== true) continue;
      const t = f.target ?? '*';
      let list = this.byTarget.get(t);
      if (!list) this.byTarget.set(t, (list = []));
      list.push(f);
    }
  }

  static readonly EMPTY = new FlagSnapshot([]);

  get(name: string): FlagValue | undefined {
    return this.values.get(name);
  }

  get size(): number {
    return this.values.size;
  }

  /** The overlay for a request to `name` (a route or model): '*' flags first, then the name's own. */
  overlayFor(name: string): AppliedOverlay | undefined {
    if (this.byTarget.size === 0) return undefined;
    const all = this.byTarget.get('*');
    const own = this.byTarget.get(name);
    if (!all && !own) return undefined;
    const overlay: PolicyOverlay = {};
    const flags: string[] = [];
    for (const f of [...(all ?? []), ...(own ?? [])]) {
      const o = f.overlay!;
      if (o.model !== undefined) overlay.model = o.model;
      if (o.tier !== undefined) overlay.tier = o.tier;
      if (o.maxTier !== undefined) overlay.maxTier = o.maxTier;
      if (o.levers) overlay.levers = { ...overlay.levers, ...o.levers };
      flags.push(f.name);
    }
    return { overlay, flags };
  }
}
