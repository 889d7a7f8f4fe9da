// A tiny JSONPath subset for routing rules: `$`, `.name`, `['name']`, `[3]`, `[-1]` (from the end)
// and `[*]` (every element; the condition holds when any selected value matches). Paths are
// compiled once at start-up; a bad path is a config error, not a runtime crash.

export type PathStep = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

export function compileJsonPath(path: string): PathStep[] {
  if (!path.startsWith('$')) throw new Error(`JSONPath must start with $: ${path}`);
  const steps: PathStep[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      const m = /^[A-Za-z_$][\w$-]*|^\*/.exec(path.slice(i + 1));
      if (!m) throw new Error(`bad JSONPath at ${i}: ${path}`);
      steps.push(m[0] === '*' ? { kind: 'wildcard' } : { kind: 'key', key: m[0] });
      i += 1 + m[0].length;
    } else if (c === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) throw new Error(`unclosed [ in JSONPath: ${path}`);
      const inner = path.slice(i + 1, close).trim();
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'key', key: inner.slice(1, -1) });
      else throw new Error(`bad JSONPath segment [${inner}]: ${path}`);
      i = close + 1;
    } else {
      throw new Error(`bad JSONPath at ${i}: ${path}`);
    }
  }
  return steps;
}

/** Every value the path selects (none when a step does not exist). */
export function selectJsonPath(root: unknown, steps: readonly PathStep[]): unknown[] {
  let current: unknown[] = [root];
  for (const step of steps) {
    const nextValues: unknown[] = [];
    for (const v of current) {
      if (step.kind === 'key') {
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, step.key)) {
          nextValues.push((v as Record<string, unknown>)[step.key]);
        }
      } else if (step.kind === 'index') {
        if (Array.isArray(v)) {
          const idx = step.index < 0 ? v.length + step.index : step.index;
          if (idx >= 0 && idx < v.length) nextValues.push(v[idx]);
        }
      } else if (Array.isArray(v)) {
        nextValues.push(...v);
      } else if (v !== null && typeof v === 'object') {
        nextValues.push(...Object.values(v));
      }
    }
    current = nextValues;
    if (current.length === 0) break;
  }
  return current;
}
