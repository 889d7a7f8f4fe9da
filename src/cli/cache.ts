// `tollgate cache ...` commands. Today: `tollgate cache eval`, the semantic cache's hit rate vs
// false-hit rate on pairs unseen on both sides (the QQP test components, or any --pairs JSONL), per
// embedder, with and without guards, vs TF-IDF. The evaluation lives in src/lab (offline tooling)
// and is imported only when the command runs, so the gateway never loads it.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Embedder } from '../levers/cache/embedders/index.js';

async function openAIEmbedder(url: string, model: string, key: string | undefined): Promise<Embedder> {
  return {
    id: `openai-compatible:${model}`,
    embed: async (texts) => {
      const res = await fetch(url.replace(/\/$/, '') + '/embeddings', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ model, input: texts }),
      });
      if (!res.ok) throw new Error(`embeddings ${res.status}: ${(await res.text()).slice(0, 200)}`);
      const j = (await res.json()) as { data: { embedding: number[]; index: number }[] };
      return j.data.sort((a, b) => a.index - b.index).map((d) => {
        const v = Float32Array.from(d.embedding);
        let n = 0;
        for (const x of v) n += x * x;
        n = Math.sqrt(n) || 1;
        return v.map((x) => x / n);
      });
    },
  };
}

/** Bad input (a missing or malformed pairs file, an unknown embedder) is a message and exit code 1, not a stack trace. */
function reportingErrors<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      console.error(`tollgate cache: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  };
}

export function registerCacheCommand(program: Command): void {
  const cache = program.command('cache').description('response cache tools');
  cache
    .command('eval')
    .description('semantic cache quality on pairs unseen on both sides: paraphrase hit rate at 1% and 5% false hits, per embedder, with and without guards, vs a TF-IDF baseline')
    .option('--pairs <file>', 'any JSONL of {"text_a", "text_b", "label"} (label 1 = same question); default: the QQP test components')
    .option('--data <dir>', 'directory with qqp_pairs_labeled.jsonl (the built-in embedder\'s training data: pairs seen in it are left out)', '../shared/data/gptcache-qqp')
    .option('--embedder <kinds>', 'comma-separated: builtin, openai-compatible, onnx (those configured below are added)', 'builtin')
    .option('--onnx-dir <dir>', 'local ONNX sentence-embedding model directory (needs @huggingface/transformers)')
    .option('--embeddings-url <url>', 'OpenAI-compatible base URL, e.g. http://127.0.0.1:8787/v1')
    .option('--embeddings-model <model>', 'embeddings model name', 'text-embedding-3-small')
    .option('--json', 'print JSON')
    .action(reportingErrors(async (o: { pairs?: string; data: string; embedder: string; onnxDir?: string; embeddingsUrl?: string; embeddingsModel: string; json?: boolean }) => {
      const { builtinEmbedder, onnxEmbedder } = await import('../levers/cache/embedders/index.js');
      const { formatEval, runCacheEval } = await import('../lab/cache/run.js');
      const kinds = new Set(o.embedder.split(',').map((s) => s.trim()));
      const embedders: { name: string; embedder: Embedder }[] = [];
      for (const k of kinds) {
        // builtin: what the cache thresholds (the pair scorer's score); builtin-cosine: the embedding alone
        if (k === 'builtin') embedders.push({ name: 'builtin', embedder: builtinEmbedder() }, { name: 'builtin-cosine', embedder: builtinEmbedder(undefined, false) });
        else if (k === 'onnx') {
          if (!o.onnxDir) throw new Error('--embedder onnx needs --onnx-dir');
          embedders.push({ name: 'onnx', embedder: await onnxEmbedder(resolve(o.onnxDir), 'mean') });
        } else if (k === 'openai-compatible') {
          if (!o.embeddingsUrl) throw new Error('--embedder openai-compatible needs --embeddings-url');
          embedders.push({ name: `openai:${o.embeddingsModel}`, embedder: await openAIEmbedder(o.embeddingsUrl, o.embeddingsModel, process.env.TOLLGATE_EVAL_API_KEY) });
        } else throw new Error(`unknown embedder ${k} (builtin, openai-compatible, onnx)`);
      }
      const report = await runCacheEval({ dataDir: resolve(o.data), pairsFile: o.pairs ? resolve(o.pairs) : undefined, embedders });
      console.log(o.json ? JSON.stringify(report, null, 2) : formatEval(report));
    }));
}
