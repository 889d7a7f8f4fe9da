// `tollgate` command line: one sub-command per capability, each registered by its own module.
// Registration only declares names, options and help; each action imports what it runs, so
// `tollgate --help` and every `--help` answer without loading the gateway.

import { Command } from 'commander';
import { registerServeCommand, registerDemoCommand, registerKeysCommand } from './serve.js';
import { registerSimCommand } from './sim.js';
import { registerLedgerCommand } from './ledger.js';
import { registerCacheCommand } from './cache.js';
import { registerPromptCommand } from './prompt.js';
import { registerRouterCommand } from './router.js';
import { registerConfigCommand } from './config.js';
import { registerFlagsCommand } from './flags.js';
import { registerExperimentCommand } from './experiment.js';
import { registerBudgetsCommand } from './budgets.js';
import { registerReportCommand } from './report.js';
import { registerCalcCommand } from './calc.js';
import { registerReplayCommand } from './replay.js';
import { registerGridCommand } from './grid.js';

export function buildProgram(): Command {
  const program = new Command('tollgate')
    .description('LLM cost & latency control plane: an OpenAI/Anthropic-compatible gateway that measures every request and cuts spend')
    .showHelpAfterError();
  registerServeCommand(program);
  registerDemoCommand(program);
  registerSimCommand(program);
  registerLedgerCommand(program);
  registerCacheCommand(program);
  registerPromptCommand(program);
  registerRouterCommand(program);
  registerKeysCommand(program);
  registerConfigCommand(program);
  registerFlagsCommand(program);
  registerExperimentCommand(program);
  registerBudgetsCommand(program);
  registerReportCommand(program);
  registerCalcCommand(program);
  registerReplayCommand(program);
  registerGridCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv, { from: 'user' });
}
