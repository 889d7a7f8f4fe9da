// `tollgate replay`: recorded traffic (the ledger, or a public trace) through another policy with
// the same engine, in price-only mode (no upstream calls) or against the simulator; the recorded
// and predicted cost, latency and quality side by side.

import { InvalidArgumentError, type Command } from 'commander';
import { dataDirFrom, parseSince, type CliIo } from './ledger.js';

const processIo: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export interface ReplayFlags {
  dataDir?: string;
  config?: string;
  json?: boolean;
  since?: number;
  until?: number;
  trace?: 'azure' | 'mooncake' | 'vidur';
  traceFile?: string;
  traceModel?: string;
  recordedConfig?: string;
  mode?: 'price-only' | 'simulator';
  simUrl?: string;
  limit?: number;
  loops?: number;
  progress?: boolean;
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1 (got '${v}')`);
    return n;
  };
}

export async function runReplayCommand(f: ReplayFlags, io: CliIo = processIo): Promise<number> {
  const { replayLedger, replayTrace, loadPolicyFile, ReplayInputError } = await import('../forecast/replay/index.js');
  const { formatReplay } = await import('../forecast/replay/format.js');
  if (!f.config) {
    io.err('tollgate replay: --config FILE (the policy to replay the traffic under) is required\n');
    return 2;
  }
  if (f.mode === 'simulator' && !f.simUrl) {
    io.err('tollgate replay: --mode simulator needs --sim-url URL (start one with `tollgate sim`)\n');
    return 2;
  }
  const bar = f.progress !== false && !f.json && process.stderr.isTTY ? await progressBar() : undefined;
  try {
    const policy = loadPolicyFile(f.config);
    let report;
    if (f.trace) {
      if (!f.traceFile) {
        io.err('tollgate replay: --trace needs --trace-file FILE (e.g. ../shared/data/mooncake-traces/conversation_trace.jsonl)\n');
        return 2;
      }
      const model = f.traceModel ?? firstModel(policy.policy);
      if (!model) {
        io.err('tollgate replay: --trace-model NAME is needed (the config names no model)\n');
        return 2;
      }
      report = await replayTrace({
        trace: f.trace,
        file: f.traceFile,
        model,
        policy,
        recordedPolicy: f.recordedConfig ? loadPolicyFile(f.recordedConfig) : undefined,
        limit: f.limit,
        loops: f.loops,
        mode: f.mode,
        simUrl: f.simUrl,
        onProgress: bar?.update,
      });
    } else {
      report = await replayLedger({ dataDir: dataDirFrom(f.dataDir), policy, since: f.since, until: f.until, mode: f.mode, simUrl: f.simUrl, onProgress: bar?.update });
    }
    bar?.stop();
    io.out(f.json ? JSON.stringify(report, null, 2) + '\n' : formatReplay(report) + '\n');
    return 0;
  } catch (err) {
    bar?.stop();
    if (err instanceof ReplayInputError || (err as Error).name === 'ConfigError') {
      io.err(`tollgate replay: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}

function firstModel(policy: Record<string, unknown>): string | undefined {
  const routes = Object.keys((policy.routes as Record<string, unknown>) ?? {});
  const models = ((policy.models as { name?: string }[]) ?? []).map((m) => m.name).filter((n): n is string => !!n);
  return routes[0] ?? models[0];
}

async function progressBar(): Promise<{ update: (done: number, total: number, costUsd: number) => void; stop: () => void }> {
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  const bar = new SingleBar({ format: 'replay |{bar}| {value}/{total} requests | ${cost}', hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
  let started = false;
  return {
    update(done, total, costUsd) {
      if (!started) {
        bar.start(Math.max(total, done), 0, { cost: '0.00' });
        started = true;
      }
      if (total > 0) bar.setTotal(Math.max(total, done));
      bar.update(done, { cost: costUsd.toFixed(2) });
    },
    stop: () => started && bar.stop(),
  };
}

export function registerReplayCommand(program: Command, io: CliIo = processIo): void {
  program
    .command('replay')
    .description('run recorded traffic (the ledger or a public trace) through another policy: predicted cost, latency and quality beside the recorded ones')
    .option('--data-dir <DIR>', 'the ledger to replay (default: $TOLLGATE_DATA_DIR or ./.tollgate)')
    .option('--config <FILE>', 'the policy to replay under (a tollgate.yaml; an optional `replay: { batch: background }` section)')
    .option('--json', 'print the report as JSON (recorded.costUsd, predicted.costUsd, latency percentiles, quality)')
    .option('--since <WHEN>', 'ledger window start: a duration ago (7d, 12h) or an ISO date', (v) => parseSince(v))
    .option('--until <WHEN>', 'ledger window end: a duration ago or an ISO date', (v) => parseSince(v))
    .option('--trace <KIND>', 'replay a public trace instead of the ledger: azure, mooncake or vidur', (v) => {
      if (v !== 'azure' && v !== 'mooncake' && v !== 'vidur') throw new InvalidArgumentError("--trace is 'azure', 'mooncake' or 'vidur'");
      return v;
    })
    .option('--trace-file <FILE>', 'the trace file (../shared/data/azure-llm-trace-2023/, mooncake-traces/, vidur-length-traces/)')
    .option('--trace-model <NAME>', "the model or route the trace's requests ask for (default: the config's first route, else its first model)")
    .option('--recorded-config <FILE>', "a trace's recorded policy (default: the same config without levers)")
    .option('--mode <MODE>', 'price-only (no upstream calls, the default) or simulator', (v) => {
      if (v !== 'price-only' && v !== 'simulator') throw new InvalidArgumentError("--mode is 'price-only' or 'simulator'");
      return v;
    })
    .option('--sim-url <URL>', 'the simulator to call in simulator mode')
    .option('--limit <N>', 'replay at most N trace requests', positiveInt('--limit'))
    .option('--loops <N>', 'play the trace N times back to back', positiveInt('--loops'))
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      `
The ledger's prompts are replayed only where the opt-in payload store kept them (payloadStore:
{ enabled: true } in tollgate.yaml, redacted); other records and every trace get prompts
synthesised to their recorded token counts, and the report says how many.

Examples:
  tollgate replay --data-dir .tollgate --config tiered.yaml
  tollgate replay --data-dir .tollgate --config tiered.yaml --since 7d --json | jq '.predicted.costUsd, .recorded.costUsd'
  tollgate replay --config tollgate.yaml --trace mooncake --trace-file ../shared/data/mooncake-traces/conversation_trace.jsonl --trace-model gpt-4o`,
    )
    .action(async (opts: ReplayFlags) => {
      const code = await runReplayCommand(opts, io);
      if (code !== 0) process.exitCode = code;
    });
}
