// `tollgate prompt lint`: the hidden costs of one request (a JSON file in the OpenAI or Anthropic
// format) or of a route's recent traffic (the ledger), in tokens and monthly dollars. The analysis
// is in src/lab/trim/lint.ts, imported only when the command runs.

import { existsSync, readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { WireFormat } from '../core/canonical.js';
import { dataDirFrom } from './ledger.js';

export interface PromptLintOptions {
  format?: string;
  model?: string;
  requestsPerDay?: number;
  route?: string;
  dataDir?: string;
  last: number;
  contextMessages?: string;
  json?: boolean;
}

export interface PromptIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: PromptIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

const DEFAULT_REQUESTS_PER_DAY = 10_000;
const DEFAULT_LAST = 1000;

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** An Anthropic Messages body has a top-level system, or content blocks only that format has. */
function detectFormat(body: Record<string, unknown>): WireFormat {
  if (body.system !== undefined) return 'anthropic';
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const m of messages as Array<{ role?: string; content?: unknown }>) {
    if (m?.role === 'system' || m?.role === 'developer' || m?.role === 'tool') return 'openai';
    if (Array.isArray(m?.content) && m.content.some((p: { type?: string }) => p?.type === 'tool_use' || p?.type === 'tool_result' || p?.type === 'document')) return 'anthropic';
  }
  return 'openai';
}

export async function runPromptLint(file: string | undefined, o: PromptLintOptions, io: PromptIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { lintRequest, formatRequestLint, lintRoute, formatRouteLint } = await import('../lab/trim/lint.js');
  if (file === undefined && o.route === undefined) {
    io.err('tollgate prompt lint: give a request file (OpenAI or Anthropic JSON), or --route R to read its recent traffic from the ledger\n');
    return 2;
  }
  if (file !== undefined) {
    let body: unknown;
    try {
      body = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      io.err(`tollgate prompt lint: cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}\n`);
      return 1;
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      io.err(`tollgate prompt lint: ${file} is not a JSON object (a chat request body)\n`);
      return 1;
    }
    const format = (o.format ?? detectFormat(body as Record<string, unknown>)) as WireFormat;
    if (format !== 'openai' && format !== 'anthropic') {
      io.err(`tollgate prompt lint: --format must be openai or anthropic\n`);
      return 2;
    }
    const [{ codecFor }, { PriceCatalog }, { contextMessagesFrom }] = await Promise.all([import('../providers/index.js').then(() => import('../providers/registry.js')), import('../core/prices/catalog.js'), import('../core/prompt-anatomy.js')]);
    let req;
    try {
      req = codecFor(format).parseChatRequest(body);
    } catch (err) {
      io.err(`tollgate prompt lint: ${file} is not a valid ${format} chat request: ${(err as Error).message}\n`);
      return 1;
    }
    const model = o.model ?? req.model;
    const price = PriceCatalog.load().lookupModel(model);
    if (!price) {
      io.err(`tollgate prompt lint: no price for model '${model}' in the catalog: pass --model with a priced model (e.g. gpt-4o)\n`);
      return 1;
    }
    const marked = contextMessagesFrom(o.contextMessages, req);
    if (marked && !(marked instanceof Set)) {
      io.err(`tollgate prompt lint: --context-messages: ${marked.error.replace(/^x-tollgate-context: /, '')}\n`);
      return 2;
    }
    const lint = lintRequest(req, { model, inputPerMTok: price.input, cachedInputPerMTok: price.cacheRead }, o.requestsPerDay ?? DEFAULT_REQUESTS_PER_DAY, { contextMessages: marked });
    io.out(o.json ? JSON.stringify({ file, format, ...lint }, null, 2) + '\n' : `${file} (${format})\n${formatRequestLint(lint)}\n`);
    return 0;
  }
  const dataDir = dataDirFrom(o.dataDir, env);
  if (!existsSync(dataDir)) {
    io.err(`tollgate prompt lint: no data directory at ${dataDir} (pass --data-dir, or set TOLLGATE_DATA_DIR)\n`);
    return 1;
  }
  const { readLedger } = await import('../ledger/read.js');
  const records = readLedger(dataDir, { route: o.route!, last: o.last });
  if (records.length === 0) {
    io.err(`tollgate prompt lint: no records for route '${o.route}' in ${dataDir}\n`);
    return 1;
  }
  const lint = lintRoute(o.route!, records, o.requestsPerDay);
  io.out(o.json ? JSON.stringify(lint, null, 2) + '\n' : formatRouteLint(lint) + '\n');
  return 0;
}

export function registerPromptCommand(program: Command): void {
  const prompt = program.command('prompt').description('prompt cost tools');
  prompt
    .command('lint [file]')
    .description("tokens and monthly dollars of each prompt section (system, tools, context, history, user), repeated content, cache-unfriendly ordering, and what each trim setting would save; for one request file, or a route's recent traffic from the ledger")
    .option('--format <format>', 'the file\'s wire format: openai or anthropic (default: detected)')
    .option('--model <model>', 'price the input on this model (default: the request\'s model)')
    .option('--requests-per-day <n>', `the request rate the monthly dollars assume (default for a file: ${DEFAULT_REQUESTS_PER_DAY}; for a route: the records' own rate)`, positive)
    .option('--context-messages <indices>', 'message indices that are retrieved context, as the x-tollgate-context header gives them (e.g. 1,3-5)')
    .option('--route <route>', "read the route's recent records from the ledger instead of a file")
    .option('--data-dir <dir>', 'the data directory with the ledger (default: TOLLGATE_DATA_DIR or ./.tollgate)')
    .option('--last <n>', 'how many recent records of the route', (v) => Math.min(10_000, Math.max(1, Math.floor(positive(v)))), DEFAULT_LAST)
    .option('--json', 'print JSON')
    .action(async (file: string | undefined, o: PromptLintOptions) => {
      process.exitCode = await runPromptLint(file, o);
    });
}
