// Alert history and run-time rules in memory (tests, the library entry).

import { checkHistoryLimit, type AlertEvent, type AlertStore } from '../alerts.js';

const MEMORY_HISTORY = 10_000;

export class MemoryAlertStore implements AlertStore {
  private readonly events: AlertEvent[] = [];
  private readonly byName = new Map<string, unknown>();
  private seq = 0;

  append(e: Omit<AlertEvent, 'seq'>): AlertEvent {
    const ev = { seq: ++this.seq, ...structuredClone(e) };
    this.events.push(ev);
    if (this.events.length > MEMORY_HISTORY) this.events.splice(0, this.events.length - MEMORY_HISTORY);
    return structuredClone(ev);
  }

  history(limit: number, before?: number, rule?: string): AlertEvent[] {
    checkHistoryLimit(limit);
    const out: AlertEvent[] = [];
    for (let i = this.events.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.events[i]!;
      if ((before === undefined || e.seq < before) && (rule === undefined || e.rule === rule)) out.push(structuredClone(e));
    }
    return out;
  }

  rules(): unknown[] {
    return [...this.byName.values()].map((r) => structuredClone(r));
  }

  putRule(name: string, rule: unknown): void {
    this.byName.set(name, structuredClone(rule));
  }

  deleteRule(name: string): boolean {
    return this.byName.delete(name);
  }

  close(): void {}
}
