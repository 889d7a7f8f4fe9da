// Flags in memory (the library entry, tests): the contract of ../flags.ts without a file.

import { checkAuditLimit, type Flag, type FlagChange, type FlagStore } from '../flags.js';

/** the audit log is kept to this many entries in memory (a file-backed store keeps them all) */
const MEMORY_AUDIT_ENTRIES = 10_000;

export class MemoryFlagStore implements FlagStore {
  private readonly flags = new Map<string, Flag>();
  private readonly log: FlagChange[] = [];
  private seq = 0;

  list(): Flag[] {
    return [...this.flags.values()].map((f) => structuredClone(f));
  }

  set(flag: Flag): FlagChange {
    const before = this.flags.get(flag.name);
    this.flags.set(flag.name, structuredClone(flag));
    return this.append({ at: flag.updatedAt, by: flag.updatedBy, reason: flag.reason, name: flag.name, action: 'set', before, after: structuredClone(flag) });
  }

  unset(name: string, c: { at: number; by: string; reason: string }): FlagChange | null {
    const before = this.flags.get(name);
    if (!before) return null;
    this.flags.delete(name);
    return this.append({ ...c, name, action: 'unset', before });
  }

  audit(limit: number, before?: number): FlagChange[] {
    checkAuditLimit(limit);
    const out: FlagChange[] = [];
    for (let i = this.log.length - 1; i >= 0 && out.length < limit; i--) {
      if (before === undefined || this.log[i]!.seq < before) out.push(structuredClone(this.log[i]!));
    }
    return out;
  }

  version(): number {
    return this.seq;
  }

  close(): void {}

  private append(c: Omit<FlagChange, 'seq'>): FlagChange {
    const change = { seq: ++this.seq, ...c };
    this.log.push(change);
    if (this.log.length > MEMORY_AUDIT_ENTRIES) this.log.splice(0, this.log.length - MEMORY_AUDIT_ENTRIES);
    return structuredClone(change);
  }
}
