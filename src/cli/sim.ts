// `tollgate sim`: the provider simulator on its own, for clients, gateways and benchmarks.

import { InvalidArgumentError, type Command } from 'commander';

function num(name: string, min: number, integer: boolean) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} >= ${min} (got '${v}')`);
    }
    return n;
  };
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run the simulated OpenAI and Anthropic APIs (gpt-4o, gpt-4o-mini, gemini-2.0-flash, claude-sonnet-4, claude-3-5-haiku, text-embedding-3-small)')
    .option('--port <n>', 'port to listen on (0 = any free port)', num('--port', 0, true), 8788)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--seed <n>', 'seed for output text, lengths, latency jitter and fault draws', num('--seed', 0, true), 42)
    .option('--latency-scale <x>', 'multiplier on every simulated delay (1 = realistic, 0 = instant)', num('--latency-scale', 0, false), 1)
    .option('--enforce-rate-limits', "answer 429 when a model's per-minute request/token limits are exceeded", false)
    .addHelpText(
      'after',
      `
Endpoints:
  POST /v1/chat/completions, /v1beta/openai/chat/completions   OpenAI format (gpt-*, gemini-*)
  POST /v1/embeddings                                          text-embedding-3-small
  POST /v1/messages, /v1/messages/count_tokens                 Anthropic format (claude-*)
  GET  /v1/models
Admin (change latency and faults while it runs):
  GET/PUT /_sim/models/:model   e.g. {"ttftBaseMs":2000,"tokensPerSec":20,"faults":"429;p=0.3"}
  GET/PUT /_sim/config          {"latencyScale":0,"enforceRateLimits":true}
  GET /_sim/stats, POST /_sim/reset
Per-request faults: header x-sim-fault: 429 | quota | 500 | 503 | 529 | timeout | reset | cut | error-event
  with optional ;p=<prob> ;retry-after=<s> ;at=<fraction>, several separated by commas.

Example:
  tollgate sim --port 8788 &
  curl -s localhost:8788/v1/chat/completions -H 'authorization: Bearer x' \\
    -H 'content-type: application/json' -d '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'`,
    )
    .action(async (opts: { port: number; host: string; seed: number; latencyScale: number; enforceRateLimits: boolean }) => {
      // loaded here, not at the top: `tollgate --help` must not pay for the simulator
      const { startSimulator } = await import('../sim/index.js');
      const sim = await startSimulator({ port: opts.port, host: opts.host, seed: opts.seed, latencyScale: opts.latencyScale, enforceRateLimits: opts.enforceRateLimits });
      console.log(`tollgate sim: simulated providers on ${sim.url} (seed ${opts.seed}, latency scale ${opts.latencyScale})`);
      console.log(`  OpenAI:    baseURL ${sim.url}/v1`);
      console.log(`  Anthropic: baseURL ${sim.url}`);
      let closing = false;
      const stop = () => {
        if (closing) return;
        closing = true;
        sim.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
