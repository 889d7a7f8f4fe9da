// Pluggable embedders for the semantic cache. Each turns texts into L2-normalised vectors.
//  - builtin: offline, no weights to download (ships in data/cache), ~10 µs per text, trained on QQP.
//  - openai-compatible: any /v1/embeddings model through the gateway's own providers (deps.embed).
//  - onnx: a local sentence-embedding model directory via @huggingface/transformers (optional
//    dependency, loaded with a dynamic import; nothing is fetched at run time).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AttemptRecord } from '../../../ledger/record.js';
import type { GatewayContext } from '../../../pipeline/stage.js';
import type { EmbedderConfig } from '../config.js';
import { BuiltinModel, normalize } from './builtin-model.js';
import { PairScorer, pairText, type PairText } from './pair-scorer.js';

/**
 * An optional second stage: scores a (query, candidate) pair the index proposed; its score, not the
 * cosine, is the similarity the cache thresholds. `prepare` is per text, so a cached entry keeps its own.
 */
export interface PairRescorer {
  prepare(text: string): PairText;
  score(query: PairText, candidate: PairText, cosine: number): number;
}

export interface Embedder {
  /** stable id: vectors of different embedders never meet in one partition */
  readonly id: string;
  /**
   * `onAttempt` hears of every paid upstream call the embedding made (for the request's ledger
   * record); `ctx`, the request it is for, whose budgets a paid call is charged to
   */
  embed(texts: string[], onAttempt?: (attempt: AttemptRecord) => void, ctx?: GatewayContext): Promise<Float32Array[]>;
  /** when set, candidates are re-scored by it and its score is the similarity (the built-in pair scorer) */
  readonly rescorer?: PairRescorer;
}

/** embeds through the gateway's providers; reports each upstream call, with its cost, to `onAttempt` */
export type EmbedFn = (model: string, texts: string[], onAttempt?: (attempt: AttemptRecord) => void, ctx?: GatewayContext) => Promise<number[][]>;

/** data/cache/builtin-embedder.bin, found from src/ or dist/ alike */
export function defaultBuiltinPath(): string {
  return fileURLToPath(new URL('../../../../data/cache/builtin-embedder.bin', import.meta.url));
}

/** data/cache/builtin-pair-scorer.bin: the pair scorer trained with the shipped embedder file */
export function defaultPairScorerPath(): string {
  return fileURLToPath(new URL('../../../../data/cache/builtin-pair-scorer.bin', import.meta.url));
}

let builtinCache: { path: string; model: BuiltinModel } | undefined;
let scorerCache: { path: string; model: BuiltinModel; scorer: PairScorer } | undefined;

export function loadPairScorer(model: BuiltinModel, path = defaultPairScorerPath()): PairScorer {
  if (scorerCache?.path === path && scorerCache.model === model) return scorerCache.scorer;
  if (!existsSync(path)) throw new Error(`built-in pair scorer weights not found at ${path}`);
  const scorer = PairScorer.load(path, model);
  scorerCache = { path, model, scorer };
  return scorer;
}

export function loadBuiltin(path = defaultBuiltinPath()): BuiltinModel {
  if (builtinCache?.path === path) return builtinCache.model;
  if (!existsSync(path)) throw new Error(`built-in embedder weights not found at ${path}`);
  const model = BuiltinModel.load(path);
  builtinCache = { path, model };
  return model;
}

/**
 * The longest text the built-in embedder embeds (about 5 ms of CPU): embedding runs on the event
 * loop and grows with the text, and a longer last user turn is a document, not a question to match
 * by paraphrase. Longer texts fail the embedding, which the cache turns into a semantic miss (the
 * exact cache still applies); cutting them instead would let two documents that differ past the
 * cut match.
 */
export const BUILTIN_MAX_CHARS = 32_768;

/**
 * The built-in embedder. `pairScorer`: a scorer file, or false for the plain cosine; by default the
 * shipped scorer with the shipped weights, and none with a custom weights `path` (the shipped scorer
 * was trained on the shipped embedder's cosines and word rows).
 */
export function builtinEmbedder(path?: string, pairScorer?: string | false): Embedder & { embedSync(text: string): Float32Array } {
  const model = loadBuiltin(path);
  const scorerPath = pairScorer === false ? undefined : pairScorer ?? (path === undefined ? defaultPairScorerPath() : undefined);
  const scorer = scorerPath ? loadPairScorer(model, scorerPath) : undefined;
  const embedSync = (t: string): Float32Array => {
    if (t.length > BUILTIN_MAX_CHARS) throw new Error(`text of ${t.length} characters is over the built-in embedder's ${BUILTIN_MAX_CHARS}`);
    return model.embed(t);
  };
  return {
    // the id names the vectors only: the scorer changes what is thresholded, not what is stored
    id: `builtin:v${model.header.version}:${model.header.buckets}x${model.header.dim}`,
    embedSync,
    embed: async (texts) => texts.map(embedSync),
    ...(scorer ? { rescorer: { prepare: pairText, score: (q: PairText, c: PairText, cos: number) => scorer.score(q, c, cos) } } : {}),
  };
}

export function openAICompatibleEmbedder(model: string, embed: EmbedFn | undefined): Embedder {
  if (!embed) throw new Error(`cache.semantic.embedder openai-compatible (${model}) needs the gateway's embed function`);
  return {
    id: `openai-compatible:${model}`,
    embed: async (texts, onAttempt, ctx) => (await embed(model, texts, onAttempt, ctx)).map((v) => normalize(Float32Array.from(v))),
  };
}

/** A local ONNX model via @huggingface/transformers, remote downloads disabled. */
export async function onnxEmbedder(dir: string, pooling: 'mean' | 'cls'): Promise<Embedder> {
  if (!existsSync(dir)) throw new Error(`cache.semantic.embedder.dir: ${dir} does not exist`);
  let mod: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    const name = '@huggingface/transformers';
    mod = await import(name);
  } catch {
    throw new Error('the onnx embedder needs the optional package @huggingface/transformers (npm install @huggingface/transformers@3)');
  }
  mod.env.allowRemoteModels = false;
  mod.env.allowLocalModels = true;
  const extractor = await mod.pipeline('feature-extraction', dir, { local_files_only: true });
  return {
    id: `onnx:${dir}`,
    embed: async (texts) => {
      const out = await extractor(texts, { pooling, normalize: true });
      const list = out.tolist() as number[][];
      return list.map((v) => Float32Array.from(v));
    },
  };
}

export async function createEmbedder(cfg: EmbedderConfig, embed?: EmbedFn): Promise<Embedder> {
  switch (cfg.kind) {
    case 'builtin':
      return builtinEmbedder(cfg.file, cfg.pairScorer);
    case 'openai-compatible':
      return openAICompatibleEmbedder(cfg.model, embed);
    case 'onnx':
      return onnxEmbedder(cfg.dir, cfg.pooling);
  }
}
