// `tollgate router train` and `tollgate router eval`: fit the learned router from labeled outcomes and
// measure it within and across data sets, or measure given weights on a user's own outcomes. The
// training and evaluation code lives in src/lab/router and is imported only when a command runs.

import type { Command } from 'commander';

/** Bad input (unknown data set, missing file, bad column) is a one-line message and exit code 1, not a stack trace. */
function reportingErrors<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const msg = e.code === 'ENOENT' ? `${e.message} (is --data pointing at the shared data directory?)` : e.message.split('\n')[0];
      console.error(`tollgate router: ${msg}`);
      process.exitCode = 1;
    }
  };
}

const lab = () => import('../lab/router/commands.js');

export function registerRouterCommand(program: Command): void {
  const router = program.command('router').description('the learned router: train a weight file, evaluate routers on public or your own outcome data');

  router
    .command('train')
    .description('fit the learned router (logistic regression over hashed n-grams) and write a weight file routes load')
    .option('--dataset <names>', 'labeled outcomes to learn from: mmlu, mt-bench, llmrouter, or several joined by commas (trains on their union)', 'mmlu')
    .option('--data <dir>', 'shared data directory', '../shared/data')
    .option('--out <file>', 'weight file to write (default data/router/<dataset>[-task].json)')
    .option('--task', 'also use the x-tollgate-task header as a feature (the data set task/subject at training time)')
    .option('--seed <n>', 'split and shuffle seed', '7')
    .option('--json', 'print the result as JSON')
    .action(reportingErrors(async (o) => (await lab()).train(o)));

  router
    .command('eval')
    .description('without --weights: train and evaluate within and across the public data sets vs random and a task-tag lookup; with --weights and --outcomes: evaluate given weights on your own outcomes')
    .option('--weights <file>', 'weight file to evaluate on --outcomes')
    .option('--outcomes <file.csv>', 'CSV with a prompt column and one correctness column per model')
    .option('--weak <column>', 'the weak model\'s column (detected when there are exactly two)')
    .option('--strong <column>', 'the strong model\'s column (detected when there are exactly two: the one with the higher mean)')
    .option('--task-column <column>', 'column fed as the task tag to weights trained with --task (default: task)')
    .option('--prices <usd>', 'weakIn,weakOut,strongIn,strongOut in USD per 1M tokens (default: the prices recorded in the weight file)')
    .option('--output-tokens <n>', 'output tokens assumed per answer (default: recorded in the weight file)')
    .option('--dataset <name>', 'public data sets to evaluate: mmlu, mt-bench, llmrouter, several joined by commas, or all', 'all')
    .option('--data <dir>', 'shared data directory', '../shared/data')
    .option('--seed <n>', 'split and shuffle seed', '7')
    .option('--out <file>', 'where to write the JSON report (data-set mode)', 'bench/results/router-eval.json')
    .option('--json', 'print the report as JSON')
    .action(reportingErrors(async (o) => (await lab()).evalCommand(o)));
}
