// One key style across tollgate.yaml: camelCase (`ttlSeconds`, `maxRetries`, `defaultTier`).
//
// The router and retry levers were written with snake_case keys (`max_retries`, `window_s`), and
// their code reads those names. Until each lever owns its config in the lever registry, the
// schemas keep their internal names and this module translates at the edge of the file:
// - a camelCase key in the file becomes the schema's snake_case key before validation;
// - a snake_case key still works (the README documented them) and is reported as deprecated;
// - error paths and the JSON Schema show the camelCase names.
// The mapping is derived from the zod schema itself (no hand list to forget), so a lever that
// adds a snake_case key gets its camelCase spelling for free.

import type { z } from 'zod';

/** `max_retries` → `maxRetries`; a trailing `_s` (seconds) reads `Seconds`: `window_s` → `windowSeconds` */
export function camelKey(key: string): string {
  const parts = key.split('_');
  return parts
    .map((p, i) => {
      if (i === 0) return p;
      if (p === 's' && i === parts.length - 1) return 'Seconds';
      return p.charAt(0).toUpperCase() + p.slice(1);
    })
    .join('');
}

type AnySchema = z.core.$ZodType;

interface Def {
  type: string;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
  innerType?: AnySchema;
  in?: AnySchema;
  options?: AnySchema[];
  left?: AnySchema;
  right?: AnySchema;
  getter?: () => AnySchema;
}

const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/**
 * What `pick` finds at this schema, looking through wrappers (optional, default, readonly, ...),
 * pipes, lazies, unions and intersections.
 */
function through<T>(schema: AnySchema, pick: (d: Def) => T[] | undefined, depth = 0): T[] {
  if (depth > 20) return [];
  const d = defOf(schema);
  const found = pick(d);
  if (found) return found;
  switch (d.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return through(d.innerType!, pick, depth + 1);
    case 'pipe':
      return through(d.in!, pick, depth + 1);
    case 'lazy':
      return through(d.getter!(), pick, depth + 1);
    case 'union':
      return d.options!.flatMap((o) => through(o, pick, depth + 1));
    case 'intersection':
      return [...through(d.left!, pick, depth + 1), ...through(d.right!, pick, depth + 1)];
    default:
      return [];
  }
}

/** the object shapes a value at this schema may take */
const shapesOf = (schema: AnySchema): Record<string, AnySchema>[] => through(schema, (d) => (d.type === 'object' ? [d.shape!] : undefined));

/** the schema of the elements (arrays) or values (records) at this schema */
const itemsOf = (schema: AnySchema): AnySchema[] =>
  through(schema, (d) => (d.type === 'array' ? [d.element!] : d.type === 'record' ? [d.valueType!] : undefined));

/** the schema behind one key (internal name) of an object at this schema, if any */
function childSchema(shapes: Record<string, AnySchema>[], key: string): AnySchema | undefined {
  for (const s of shapes) if (Object.hasOwn(s, key)) return s[key];
  return undefined;
}

export interface KeyStyleResult {
  /** the config with camelCase keys turned into the schema's internal names */
  value: unknown;
  /** `retry.max_retries → retry.maxRetries` for each deprecated spelling found */
  deprecated: string[];
  /** both spellings of one key given */
  conflicts: { path: string; message: string }[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fmt = (path: readonly string[]): string => path.join('.').replace(/\.\[/g, '[');

/** Rewrites the file's keys to the schema's internal names (see the header). Never throws. */
export function toInternalKeys(schema: AnySchema, raw: unknown): KeyStyleResult {
  const deprecated: string[] = [];
  const conflicts: KeyStyleResult['conflicts'] = [];

  const walk = (s: AnySchema | undefined, v: unknown, path: string[], depth: number): unknown => {
    if (!s || depth > 64) return v;
    if (Array.isArray(v)) {
      const items = itemsOf(s);
      if (!items.length) return v;
      return v.map((x, i) => walk(items[0], x, [...path, `[${i}]`], depth + 1));
    }
    if (!isPlainObject(v)) return v;
    const shapes = shapesOf(s);
    if (!shapes.length) {
      // a record: its keys are names (routes, headers), only its values have keys of ours
      const items = itemsOf(s);
      if (!items.length) return v;
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(items[0], x, [...path, k], depth + 1)]));
    }
    const fromCamel = new Map<string, string>();
    for (const shape of shapes) for (const k of Object.keys(shape)) if (k.includes('_')) fromCamel.set(camelKey(k), k);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const internal = fromCamel.get(k) ?? k;
      const shown = internal.includes('_') && childSchema(shapes, internal) ? camelKey(internal) : k;
      if (k !== internal && Object.hasOwn(v, internal)) {
        conflicts.push({ path: fmt([...path, shown]), message: `give either ${k} or ${internal} (deprecated spelling), not both` });
        continue;
      }
      if (k === internal && k.includes('_') && childSchema(shapes, k)) deprecated.push(`${fmt([...path, k])} → ${fmt([...path, shown])}`);
      out[internal] = walk(childSchema(shapes, internal), x, [...path, shown], depth + 1);
    }
    return out;
  };

  return { value: walk(schema, raw, [], 0), deprecated, conflicts };
}

/** A zod issue path (internal names) as the file spells it (camelCase). */
export function displayPath(schema: AnySchema, path: readonly PropertyKey[]): string {
  let s: AnySchema | undefined = schema;
  const parts: string[] = [];
  for (const p of path) {
    if (typeof p === 'number') {
      parts.push(`[${p}]`);
      s = s ? itemsOf(s)[0] : undefined;
      continue;
    }
    const key = String(p);
    const shapes = s ? shapesOf(s) : [];
    const child = childSchema(shapes, key);
    if (child) {
      parts.push(key.includes('_') ? camelKey(key) : key);
      s = child;
    } else {
      parts.push(key);
      s = s && !shapes.length ? itemsOf(s)[0] : undefined;
    }
  }
  return fmt(parts) || '(root)';
}

/**
 * The JSON Schema (from z.toJSONSchema) with the file's spellings: every snake_case property is
 * shown camelCase, and its old spelling stays listed with `deprecated: true` so editors accept it
 * and strike it through. Defaults (which hold our own keys only) are renamed the same way.
 */
export function camelJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(camelJsonSchema);
  if (!isPlainObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'properties' && isPlainObject(v)) {
      const props: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(v)) {
        const converted = camelJsonSchema(sub);
        if (name.includes('_')) {
          props[camelKey(name)] = converted;
          props[name] = { ...(converted as object), deprecated: true, description: `deprecated spelling of ${camelKey(name)}` };
        } else props[name] = converted;
      }
      out[k] = props;
    } else if (k === 'required' && Array.isArray(v)) {
      // a required snake_case key may be given in either spelling: require neither by name
      out[k] = v.filter((n) => typeof n !== 'string' || !n.includes('_'));
      const alt = v.filter((n): n is string => typeof n === 'string' && n.includes('_'));
      if (alt.length) out.allOf = [...((node.allOf as unknown[]) ?? []), ...alt.map((n) => ({ anyOf: [{ required: [camelKey(n)] }, { required: [n] }] }))];
    } else if (k === 'default') {
      out[k] = renameDefaultKeys(v);
    } else out[k] = camelJsonSchema(v);
  }
  return out;
}

function renameDefaultKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(renameDefaultKeys);
  if (!isPlainObject(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.includes('_') ? camelKey(k) : k, renameDefaultKeys(x)]));
}
