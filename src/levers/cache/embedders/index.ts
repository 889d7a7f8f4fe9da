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

export interface Embedder {
  /** stable id: vectors of different embedders never meet in one partition */
  readonly id: string;
  /**
   * `onAttempt` hears of every paid upstream call the embedding made (for the request's ledger
   * record); `ctx`, the request it is for, whose budgets a paid call is charged to
   */
  embed(texts: string[], onAttempt?: (attempt: AttemptRecord) => void, ctx?: GatewayContext): Promise<Float32Array[]>;
}

/** embeds through the gateway's providers; reports each upstream call, with its cost, to `onAttempt` */
export type EmbedFn = (model: string, texts: string[], onAttempt?: (attempt: AttemptRecord) => void, ctx?: GatewayContext) => Promise<number[][]>;

/** data/cache/builtin-embedder.bin, found from src/ or dist/ alike */
export function defaultBuiltinPath(): string {
  return fileURLToPath(new URL('../../../../data/cache/builtin-embedder.bin', import.meta.url));
}

let builtinCache: { path: string; model: BuiltinModel } | undefined;

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

export function builtinEmbedder(path?: string): Embedder & { embedSync(text: string): Float32Array } {
  const model = loadBuiltin(path);
  const embedSync = (t: string): Float32Array => {
    if (t.length > BUILTIN_MAX_CHARS) throw new Error(`text of ${t.length} characters is over the built-in embedder's ${BUILTIN_MAX_CHARS}`);
    return model.embed(t);
  };
  return {
    id: `builtin:v${model.header.version}:${model.header.buckets}x${model.header.dim}`,
    embedSync,
    embed: async (texts) => texts.map(embedSync),
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
      return builtinEmbedder(cfg.file);
    case 'openai-compatible':
      return openAICompatibleEmbedder(cfg.model, embed);
    case 'onnx':
      return onnxEmbedder(cfg.dir, cfg.pooling);
  }
}
