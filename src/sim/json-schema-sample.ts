// A value that validates against a JSON Schema, drawn from a seeded Rng: tool-call arguments and
// structured outputs (response_format json_schema). Plausible values by property name (a city for
// `city`, an email for `email`), every keyword the structured-output dialects use respected:
// type (and type lists), const, enum, anyOf/oneOf (one branch), allOf (merged), $ref into
// $defs/definitions, properties/required/additionalProperties, items/prefixItems/min/maxItems,
// min/max/exclusive bounds and multipleOf, min/maxLength, format. `pattern` is not generated for:
// a schema that has one gets a value of the right type only.

import { Rng } from './random.js';

type Schema = Record<string, unknown>;

const CITIES = ['Paris', 'Tokyo', 'San Francisco', 'Berlin', 'Toronto', 'Sydney', 'Lisbon', 'Nairobi'];
const WORDS = ['alpha', 'report', 'summary', 'project', 'invoice', 'meeting', 'draft', 'release', 'budget', 'notes'];
const NAMES = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Edsger Dijkstra', 'Barbara Liskov'];
/** nesting beyond this gets the smallest valid value (a recursive schema must end) */
const MAX_DEPTH = 8;

const pad = (n: number): string => String(n).padStart(2, '0');

function fitLength(v: string, s: Schema, rng: Rng): string {
  const min = typeof s.minLength === 'number' ? s.minLength : 0;
  const max = typeof s.maxLength === 'number' ? s.maxLength : Infinity;
  let out = v;
  while (out.length < min) out += ` ${rng.pick(WORDS)}`;
  if (out.length > max) out = out.slice(0, max);
  return out.length < min ? out.padEnd(min, 'x') : out;
}

function stringFor(name: string, s: Schema, rng: Rng): string {
  const n = name.toLowerCase();
  switch (s.format) {
    case 'date':
      return `2025-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`;
    case 'date-time':
      return `2025-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}T${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}:00Z`;
    case 'time':
      return `${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}:00`;
    case 'email':
      return `${rng.pick(WORDS)}@example.com`;
    case 'uri':
    case 'url':
      return `https://example.com/${rng.pick(WORDS)}`;
    case 'uuid': {
      const hex = (k: number) => Array.from({ length: k }, () => rng.int(0, 15).toString(16)).join('');
      return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
    }
    case 'ipv4':
      return `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  }
  let v: string;
  if (n.includes('email')) v = `${rng.pick(WORDS)}@example.com`;
  else if (n.includes('url')) v = `https://example.com/${rng.pick(WORDS)}`;
  else if (n.includes('city') || n.includes('location') || n.includes('place')) v = rng.pick(CITIES);
  else if (n.includes('unit')) v = rng.pick(['celsius', 'fahrenheit']);
  else if (n === 'name' || n.endsWith('name') || n.includes('author')) v = rng.pick(NAMES);
  else if (n.includes('id')) v = `${rng.pick(WORDS)}-${rng.int(100, 999)}`;
  else if (n.includes('query') || n.includes('search') || n.includes('text') || n.includes('question') || n.includes('description') || n.includes('summary'))
    v = `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${rng.pick(WORDS)}`;
  else v = rng.pick(WORDS);
  return fitLength(v, s, rng);
}

function numberFor(s: Schema, integer: boolean, rng: Rng): number {
  const exMin = typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : undefined;
  const exMax = typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : undefined;
  let lo = typeof s.minimum === 'number' ? s.minimum : exMin !== undefined ? exMin + (integer ? 1 : 0.01) : undefined;
  let hi = typeof s.maximum === 'number' ? s.maximum : exMax !== undefined ? exMax - (integer ? 1 : 0.01) : undefined;
  lo ??= hi !== undefined ? Math.min(1, hi) : 1;
  hi ??= Math.max(lo, lo + 99);
  if (integer) {
    lo = Math.ceil(lo);
    hi = Math.floor(hi);
  }
  const step = typeof s.multipleOf === 'number' && s.multipleOf > 0 ? s.multipleOf : integer ? 1 : 0.01;
  const first = Math.ceil(lo / step);
  const last = Math.floor(hi / step);
  if (last < first) return lo;
  const k = first + Math.floor(rng.next() * (last - first + 1));
  // round away the float noise of k * step (0.1 * 3 = 0.30000000000000004)
  return Number((k * step).toPrecision(12));
}

/** the schema a $ref names, in the root's $defs / definitions (JSON pointer, ~0 ~1 escapes) */
function deref(ref: string, root: Schema): unknown {
  if (!ref.startsWith('#')) return {};
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = node && typeof node === 'object' ? (node as Schema)[key] : undefined;
  }
  return node ?? {};
}

/** allOf's branches merged into one schema (properties and required unioned) */
function mergeAll(s: Schema, root: Schema): Schema {
  const { allOf, ...rest } = s;
  let out: Schema = { ...rest };
  for (const part0 of allOf as unknown[]) {
    let part = part0 as Schema;
    if (part && typeof part.$ref === 'string') part = deref(part.$ref, root) as Schema;
    if (!part || typeof part !== 'object') continue;
    if (Array.isArray(part.allOf)) part = mergeAll(part, root);
    out = {
      ...part,
      ...out,
      properties: { ...((part.properties as Schema) ?? {}), ...((out.properties as Schema) ?? {}) },
      required: [...new Set([...((part.required as string[]) ?? []), ...((out.required as string[]) ?? [])])],
    };
  }
  return out;
}

export function sampleFromSchema(schema: unknown, rng: Rng, name = '', depth = 0, root: Schema = (schema as Schema) ?? {}): unknown {
  if (schema === true || schema === undefined || schema === null) return stringFor(name, {}, rng);
  if (typeof schema !== 'object') return {};
  let s = schema as Schema;
  if (typeof s.$ref === 'string') {
    if (depth > MAX_DEPTH * 2) return null;
    return sampleFromSchema(deref(s.$ref, root), rng, name, depth + 1, root);
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) s = mergeAll(s, root);
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return rng.pick(s.enum);
  for (const k of ['anyOf', 'oneOf'] as const) {
    const alts = s[k];
    if (Array.isArray(alts) && alts.length > 0) {
      // a nullable field: the value, not the null (deep down, the null ends a recursion)
      const nonNull = alts.filter((a) => (a as Schema)?.type !== 'null');
      const pick = depth > MAX_DEPTH && nonNull.length < alts.length ? { type: 'null' } : nonNull.length > 0 ? nonNull[rng.int(0, nonNull.length - 1)] : alts[0];
      return sampleFromSchema(pick, rng, name, depth + 1, root);
    }
  }
  let type = s.type;
  if (Array.isArray(type)) type = depth > MAX_DEPTH && type.includes('null') ? 'null' : (type.find((t) => t !== 'null') ?? type[0]);
  if (type === undefined && typeof s.properties === 'object') type = 'object';
  if (type === undefined && s.items !== undefined) type = 'array';
  switch (type) {
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
      const out: Record<string, unknown> = {};
      for (const [k, sub] of Object.entries(props)) {
        if (required.has(k) || (depth < MAX_DEPTH && rng.chance(0.5))) out[k] = sampleFromSchema(sub, rng, k, depth + 1, root);
      }
      // required names with no property schema (allowed by JSON Schema): any value will do
      for (const k of required) if (!(k in out)) out[k] = stringFor(k, {}, rng);
      const minProps = typeof s.minProperties === 'number' ? s.minProperties : 0;
      if (s.additionalProperties !== false) {
        for (let i = 0; Object.keys(out).length < minProps; i++) out[`${rng.pick(WORDS)}_${i}`] = sampleFromSchema(typeof s.additionalProperties === 'object' ? s.additionalProperties : { type: 'string' }, rng, '', depth + 1, root);
      }
      return out;
    }
    case 'array': {
      const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as unknown[]) : [];
      const min = Math.max(typeof s.minItems === 'number' ? s.minItems : depth > MAX_DEPTH ? 0 : 1, prefix.length);
      const max = typeof s.maxItems === 'number' ? s.maxItems : Math.max(min, 3);
      const n = depth > MAX_DEPTH ? min : rng.int(min, Math.max(min, Math.min(max, min + 2)));
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(sampleFromSchema(i < prefix.length ? prefix[i] : (s.items ?? { type: 'string' }), rng, name, depth + 1, root));
      if (s.uniqueItems === true) {
        const seen = new Set<string>();
        return out.filter((v) => (seen.has(JSON.stringify(v)) ? false : (seen.add(JSON.stringify(v)), true)));
      }
      return out;
    }
    case 'integer':
      return numberFor(s, true, rng);
    case 'number':
      return numberFor(s, false, rng);
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    default:
      return stringFor(name, s, rng);
  }
}
