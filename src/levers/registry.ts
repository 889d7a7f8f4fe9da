// Every lever the gateway knows, by the name `pipeline:` uses. Adding a lever: a folder with a
// `lever.ts` exporting its `Lever`, one line here, and its stage running the contract suite in
// test/contracts/stages.test.ts.

import { cacheLever } from './cache/lever.js';
import { promptCacheLever } from './cache/prompt-cache-lever.js';
import { executeLever } from './execute/lever.js';
import type { Lever } from './lever.js';
import { routerLever } from './router/lever.js';
import { trimLever } from './trim/lever.js';

export const LEVERS: readonly Lever[] = [cacheLever, routerLever, trimLever, promptCacheLever, executeLever];

const byName = new Map(LEVERS.map((l) => [l.name, l]));

export function leverNamed(name: string): Lever | undefined {
  return byName.get(name);
}

export function leverNames(): string[] {
  return LEVERS.map((l) => l.name);
}

/**
 * What is wrong with a pipeline order: unknown or repeated levers, a `last` lever not last, an
 * `after`/`before` constraint broken. Each problem names the `pipeline` index at fault.
 */
export function pipelineProblems(pipeline: readonly string[]): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const seen = new Map<string, number>();
  pipeline.forEach((name, i) => {
    const lever = byName.get(name);
    if (!lever) out.push({ path: `pipeline[${i}]`, message: `unknown lever '${name}' (known: ${leverNames().join(', ')})` });
    else if (seen.has(name)) out.push({ path: `pipeline[${i}]`, message: `'${name}' is listed twice (first at pipeline[${seen.get(name)}])` });
    else seen.set(name, i);
  });
  for (const [name, i] of seen) {
    const lever = byName.get(name)!;
    if (lever.last && i !== pipeline.length - 1) out.push({ path: `pipeline[${i}]`, message: `'${name}' must be the last stage (it makes the upstream call)` });
    for (const other of lever.after ?? []) {
      const j = seen.get(other);
      if (j !== undefined && j > i) out.push({ path: `pipeline[${i}]`, message: `'${name}' must come after '${other}'` });
    }
    for (const other of lever.before ?? []) {
      const j = seen.get(other);
      if (j !== undefined && j < i) out.push({ path: `pipeline[${i}]`, message: `'${name}' must come before '${other}'` });
    }
  }
  return out;
}
