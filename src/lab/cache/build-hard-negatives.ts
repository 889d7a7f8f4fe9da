// Expands data/cache/hard-negatives.src.txt (hand-written pairs of questions that look alike but want
// different answers, by kind) into data/cache/hard-negatives.jsonl ({text_a, text_b, label: 0, kind}),
// the set `tollgate cache eval` and test/cache/hard-negatives.test.ts measure the guards on.
//   npx tsx src/lab/cache/build-hard-negatives.ts

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface HardNegative {
  text_a: string;
  text_b: string;
  label: 0;
  kind: string;
}

/** `kind<TAB>text with one {a|b}` or `kind<TAB>text a|text b`; # starts a comment line */
export function expandHardNegatives(src: string): HardNegative[] {
  const out: HardNegative[] = [];
  for (const [i, raw] of src.split('\n').entries()) {
    const line = raw.trimEnd();
    if (!line || line.startsWith('#')) continue;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new Error(`hard-negatives.src.txt:${i + 1}: expected kind<TAB>text`);
    const kind = line.slice(0, tab), text = line.slice(tab + 1);
    const m = /\{([^|{}]+)\|([^|{}]+)\}/.exec(text);
    if (m) out.push({ text_a: text.replace(m[0], m[1]!), text_b: text.replace(m[0], m[2]!), label: 0, kind });
    else {
      const parts = text.split('|');
      if (parts.length !== 2) throw new Error(`hard-negatives.src.txt:${i + 1}: expected one {a|b} or "a|b"`);
      out.push({ text_a: parts[0]!, text_b: parts[1]!, label: 0, kind });
    }
  }
  return out;
}

if (process.argv[1] && /build-hard-negatives/.test(process.argv[1])) {
  const dir = new URL('../../../data/cache/', import.meta.url);
  const pairs = expandHardNegatives(readFileSync(fileURLToPath(new URL('hard-negatives.src.txt', dir)), 'utf8'));
  writeFileSync(fileURLToPath(new URL('hard-negatives.jsonl', dir)), pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
  const kinds: Record<string, number> = {};
  for (const p of pairs) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
  console.log(`wrote ${pairs.length} pairs`, kinds);
}
