// Tool-call arguments generated from the tool's JSON Schema: a plausible, valid value for each
// property (required ones always, optional ones by a seeded draw).

import { Rng } from './random.js';

type Schema = Record<string, unknown>;

const CITIES = ['Paris', 'Tokyo', 'San Francisco', 'Berlin', 'Toronto', 'Sydney', 'Lisbon', 'Nairobi'];
const WORDS = ['alpha', 'report', 'summary', 'project', 'invoice', 'meeting', 'draft', 'release', 'budget', 'notes'];

function stringFor(name: string, s: Schema, rng: Rng): string {
  const n = name.toLowerCase();
  if (s.format === 'date') return `2025-0${rng.int(1, 9)}-1${rng.int(0, 9)}`;
  if (s.format === 'date-time') return `2025-0${rng.int(1, 9)}-1${rng.int(0, 9)}T1${rng.int(0, 9)}:00:00Z`;
  if (s.format === 'email' || n.includes('email')) return `${rng.pick(WORDS)}@example.com`;
  if (s.format === 'uri' || n.includes('url')) return `https://example.com/${rng.pick(WORDS)}`;
  if (n.includes('city') || n.includes('location') || n.includes('place')) return rng.pick(CITIES);
  if (n.includes('unit')) return rng.pick(['celsius', 'fahrenheit']);
  if (n.includes('id')) return `${rng.pick(WORDS)}-${rng.int(100, 999)}`;
  if (n.includes('query') || n.includes('search') || n.includes('text') || n.includes('question'))
    return `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${rng.pick(WORDS)}`;
  const v = rng.pick(WORDS);
  const max = typeof s.maxLength === 'number' ? s.maxLength : Infinity;
  return v.slice(0, Math.max(typeof s.minLength === 'number' ? s.minLength : 0, Math.min(v.length, max)));
}

export function sampleFromSchema(schema: unknown, rng: Rng, name = '', depth = 0): unknown {
  if (!schema || typeof schema !== 'object') return {};
  const s = schema as Schema;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return rng.pick(s.enum);
  if ('default' in s && rng.chance(0.5)) return s.default;
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    const alts = s[k];
    if (Array.isArray(alts) && alts.length > 0) {
      const nonNull = alts.filter((a) => (a as Schema)?.type !== 'null');
      return sampleFromSchema(nonNull[0] ?? alts[0], rng, name, depth + 1);
    }
  }
  let type = s.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
  if (type === undefined && typeof s.properties === 'object') type = 'object';
  switch (type) {
    case 'object': {
      if (depth > 6) return {};
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
      const out: Record<string, unknown> = {};
      for (const [k, sub] of Object.entries(props)) {
        if (required.has(k) || rng.chance(0.5)) out[k] = sampleFromSchema(sub, rng, k, depth + 1);
      }
      return out;
    }
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 1;
      const max = typeof s.maxItems === 'number' ? s.maxItems : Math.max(min, 3);
      const n = rng.int(min, Math.max(min, Math.min(max, min + 2)));
      return Array.from({ length: n }, () => sampleFromSchema(s.items, rng, name, depth + 1));
    }
    case 'integer':
    case 'number': {
      const lo = typeof s.minimum === 'number' ? s.minimum : 1;
      const hi = typeof s.maximum === 'number' ? s.maximum : Math.max(lo, 100);
      const v = lo + rng.next() * (hi - lo);
      return type === 'integer' ? Math.round(v) : Math.round(v * 100) / 100;
    }
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    case 'string':
      return stringFor(name, s, rng);
    default:
      return stringFor(name, s, rng);
  }
}
