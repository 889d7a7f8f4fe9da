// A config mistake found after the schema, with the path the file spells (camelCase), and the
// small helpers the checkers share. No imports: levers and config both use it.

import type { TollgateConfig } from './schema.js';

export interface ConfigIssue {
  /** the field, as the file spells it: `routes.support.tiers[1].models[0]` */
  path: string;
  message: string;
}

export type ConfigChecker = (config: TollgateConfig) => ConfigIssue[];

export const list = (names: Iterable<string>): string => [...names].map((n) => `'${n}'`).join(', ') || 'none';

export function regexIssue(path: string, pattern: string, flags = 'i'): ConfigIssue | undefined {
  try {
    new RegExp(pattern, flags);
    return undefined;
  } catch (err) {
    return { path, message: `invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}` };
  }
}

export function resolvable(pkg: string): boolean {
  try {
    import.meta.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

export function duplicates<T>(items: readonly T[], nameOf: (t: T) => string, at: (i: number) => string, what: string): ConfigIssue[] {
  const seen = new Set<string>();
  const out: ConfigIssue[] = [];
  items.forEach((t, i) => {
    const n = nameOf(t);
    if (seen.has(n)) out.push({ path: at(i), message: `duplicate ${what} '${n}'` });
    seen.add(n);
  });
  return out;
}

