// `tollgate config schema` and `tollgate config check`: the config file's JSON Schema (for editors
// and CI) and a validation run that starts nothing. Both come from the one zod schema the gateway
// validates with, so they cannot drift from it.

import type { Command } from 'commander';
import { failStartup } from './startup-errors.js';

/** The JSON Schema of tollgate.yaml, in the file's key style (camelCase; old spellings marked deprecated). */
export async function configJsonSchema(): Promise<Record<string, unknown>> {
  const [{ z }, { configSchema }, { camelJsonSchema }] = await Promise.all([import('zod'), import('../config/schema.js'), import('../config/case-style.js')]);
  // io: 'input' describes what a file may contain (defaults make fields optional); a Date accepted
  // for configs built in code has no JSON form and becomes "any"
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...(camelJsonSchema(schema) as Record<string, unknown>),
    title: 'tollgate.yaml',
    description: 'Tollgate gateway config (`tollgate config schema` prints this; `tollgate config check --config FILE` validates a file)',
  };
}

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('the config file: its JSON Schema, and checking a file without starting anything');
  config
    .command('schema')
    .description('print the JSON Schema of the config file (for editors: yaml-language-server, VS Code)')
    .action(async () => {
      process.stdout.write(`${JSON.stringify(await configJsonSchema(), null, 2)}\n`);
    });
  config
    .command('check')
    .description('validate a config file as `serve` would (schema and references); exit 0 if it is valid, 2 if not')
    .requiredOption('-c, --config <file>', 'path to tollgate.yaml')
    .option('--skip-env', "do not require the providers' API key variables to be set (e.g. in CI)", false)
    .action(async (opts: { config: string; skipEnv: boolean }) => {
      const { loadConfigFile, deprecationWarning } = await import('../config/load.js');
      // with --skip-env every key variable reads as set (the values are never used); the standard
      // OTEL_* variables are configuration, read as they are
      const env = opts.skipEnv ? new Proxy({ ...process.env }, { get: (t, k) => (typeof k === 'string' ? (t[k] ?? (k.startsWith('OTEL_') ? undefined : 'set')) : undefined) }) : process.env;
      let cfg;
      try {
        cfg = loadConfigFile(opts.config, env);
      } catch (err) {
        failStartup(err);
      }
      const warning = deprecationWarning(cfg);
      if (warning) console.error(warning);
      const routes = Object.keys(cfg.routes).length;
      console.log(`tollgate: ${opts.config} is valid (${cfg.providers.length} providers, ${cfg.models.length} models, ${routes} routes, pipeline ${cfg.pipeline.join(' → ')})`);
    });
}
