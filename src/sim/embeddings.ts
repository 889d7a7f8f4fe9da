// Deterministic embeddings: the normalised sum of a seeded random vector per word (and per word
// pair), so texts that share words are close and paraphrases score higher than unrelated text,
// which gives a semantic cache something real to work with. `dimensions` truncates and
// re-normalises, as OpenAI's text-embedding-3 models do.

import { hashSeed, Rng } from './random.js';

const WORD_CACHE_MAX = 4096;
const wordVectors = new Map<string, Float32Array>();

function wordVector(word: string, dims: number, seed: number): Float32Array {
  const key = `${seed}:${dims}:${word}`;
  let v = wordVectors.get(key);
  if (v) return v;
  const rng = new Rng(hashSeed(seed, 'embed', word));
  v = new Float32Array(dims);
  for (let i = 0; i < dims; i++) v[i] = rng.normal();
  if (wordVectors.size >= WORD_CACHE_MAX) wordVectors.delete(wordVectors.keys().next().value!);
  wordVectors.set(key, v);
  return v;
}

export function embed(text: string, fullDims: number, dims: number, seed: number): Float32Array {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [text];
  const acc = new Float64Array(fullDims);
  const add = (w: string, weight: number) => {
    const v = wordVector(w, fullDims, seed);
    for (let i = 0; i < fullDims; i++) acc[i]! += weight * v[i]!;
  };
  for (const w of words) add(w, 1);
  for (let i = 0; i + 1 < words.length; i++) add(`${words[i]} ${words[i + 1]}`, 0.5);
  const out = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) norm += acc[i]! * acc[i]!;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dims; i++) out[i] = acc[i]! / norm;
  return out;
}
