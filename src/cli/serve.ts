// `tollgate serve`, `tollgate demo` and `tollgate keys`.

// Registering a command costs nothing: everything an action needs is imported inside the action,
// so `tollgate --help` does not load the gateway, the simulator or zod.

import { InvalidArgumentError, Option, type Command } from 'commander';
import type { RunningGateway } from '../server/gateway.js';
import { failStartup } from './startup-errors.js';

function validPort(v: string): number | undefined {
  const n = Number(v);
  return v.trim() !== '' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

function parseCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10_000_000) throw new InvalidArgumentError(`expected a whole number from 1 to 10000000, got '${v}'`);
  return n;
}

/** for --port: commander prints the message (one line, the CLI's usage-error exit code 1) */
function parsePort(v: string): number {
  const n = validPort(v);
  if (n === undefined) throw new InvalidArgumentError(`expected a port number 0-65535, got '${v}'`);
  return n;
}

function onShutdown(fn: () => Promise<void>): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    fn().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the gateway against the providers in a config file')
    .requiredOption('-c, --config <file>', 'path to tollgate.yaml')
    .option('-p, --port <port>', 'listen port (overrides server.port)', parsePort)
    .option('--host <host>', 'listen address (overrides server.host)')
    .action(async (opts: { config: string; port?: number; host?: string }) => {
      const { loadConfigFile, deprecationWarning } = await import('../config/load.js');
      let config;
      try {
        config = loadConfigFile(opts.config);
      } catch (err) {
        failStartup(err);
      }
      const warning = deprecationWarning(config);
      if (warning) console.error(warning);
      let gw: RunningGateway;
      try {
        const { startGateway } = await import('../server/gateway.js');
        gw = await startGateway({ config, port: opts.port, host: opts.host });
      } catch (err) {
        failStartup(err, { host: opts.host ?? config.server.host, port: opts.port ?? config.server.port, dataDir: config.dataDir });
      }
      console.log(`tollgate: gateway listening on ${gw.url} (data: ${config.dataDir})`);
      onShutdown(() => gw.close());
    });
}

/** a new demo data directory gets a month of synthetic history (src/demo/history.ts), so the dashboard opens full */
async function seedHistory(dataDir: string, count: number): Promise<void> {
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { seedDemoHistory, DEMO_HISTORY_MARKER } = await import('../demo/history.js');
  if (existsSync(join(dataDir, DEMO_HISTORY_MARKER)) || existsSync(join(dataDir, 'ledger.db'))) return;
  const started = Date.now();
  process.stdout.write(`tollgate demo: seeding ${dataDir} with a month of synthetic history (${count.toLocaleString('en-US')} demo requests, once; --no-history to skip)...`);
  const r = await seedDemoHistory({ dataDir, count });
  process.stdout.write(` done in ${((Date.now() - started) / 1000).toFixed(1)} s (${r.records.toLocaleString('en-US')} records)\n`);
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run simulated providers, the gateway and a background traffic generator (no API key needed)')
    .option('-p, --port <port>', 'gateway port (default $PORT or 8787)', parsePort)
    .option('--rate <perSecond>', 'background traffic, requests per second (0 = none)', Number, 2)
    .option('--latency-scale <x>', 'simulated latency multiplier (1 = realistic, 0 = instant)', Number, 1)
    .option('--data-dir <dir>', 'where the ledger lives (default $TOLLGATE_DATA_DIR or ./.tollgate)')
    .option('--no-history', 'do not seed a new data directory with a month of synthetic demo history')
    .option('--history-records <n>', 'how many synthetic requests the month of history holds', parseCount, 30_000)
    .action(async (opts: { port?: number; rate: number; latencyScale: number; dataDir?: string; history: boolean; historyRecords: number }) => {
      const fromEnv = process.env.PORT ? validPort(process.env.PORT) : 8787;
      if (fromEnv === undefined) {
        console.error(`tollgate: PORT: expected a port number 0-65535, got '${process.env.PORT}'`);
        process.exit(2);
      }
      const port = opts.port ?? fromEnv;
      const [{ resolveConfig }, { demoConfig }, { startGateway }, { startSimulator }, { DEMO_MODELS, startTrafficGenerator }] = await Promise.all([
        import('../config/load.js'),
        import('../config/demo.js'),
        import('../server/gateway.js'),
        import('../sim/index.js'),
        import('../demo/traffic.js'),
      ]);
      const { randomBytes } = await import('node:crypto');
      const sim = await startSimulator({ port: 0, latencyScale: opts.latencyScale });
      const envAdminKey = process.env.TOLLGATE_ADMIN_KEY;
      const adminKey = envAdminKey || `tg_admin_${randomBytes(24).toString('base64url')}`;
      let gw: RunningGateway;
      try {
        const config = resolveConfig(demoConfig({ simUrl: sim.url, port, dataDir: opts.dataDir, adminKey }), '(demo defaults)');
        if (opts.history) await seedHistory(config.dataDir, opts.historyRecords);
        gw = await startGateway({ config });
      } catch (err) {
        await sim.close();
        failStartup(err, { host: '127.0.0.1', port, dataDir: opts.dataDir ?? process.env.TOLLGATE_DATA_DIR ?? './.tollgate', portHint: 'pick another with --port or PORT=' });
      }
      // a share of the traffic asks for the `auto` route, so the router's choices show in the ledger
      const traffic = opts.rate > 0 ? startTrafficGenerator({ gatewayUrl: gw.url, ratePerSec: opts.rate, models: [...DEMO_MODELS, 'auto', 'auto'] }) : undefined;
      console.log(
        [
          `tollgate demo: gateway on ${gw.url}, simulated providers on ${sim.url}`,
          `  OpenAI SDK:    new OpenAI({ baseURL: '${gw.url}/v1', apiKey: 'any' })`,
          `  Anthropic SDK: new Anthropic({ baseURL: '${gw.url}', apiKey: 'any' })`,
          `  models: gpt-4o, gpt-4o-mini, claude-sonnet-4, claude-3-5-haiku, gemini-2.0-flash, text-embedding-3-small; route: auto`,
          `  metrics: ${gw.url}/metrics   ledger: npx tollgate ledger --last 20   weekly report: npx tollgate report --since 7d --out report.html`,
          // a key taken from the environment is the operator's own: never echoed
          envAdminKey
            ? `  admin API (/admin/*): the key in TOLLGATE_ADMIN_KEY; any other key is a client`
            : `  admin API (/admin/*): Bearer ${adminKey}   (generated; set TOLLGATE_ADMIN_KEY to choose it; any other key is a client)`,
          `  dashboard: ${gw.url}/dashboard   (sign in with the admin key; scripts send Authorization: Bearer <admin key>)`,
          traffic ? `  background traffic: ${opts.rate} req/s (--rate 0 to turn off)` : '  background traffic: off',
        ].join('\n'),
      );
      onShutdown(async () => {
        await traffic?.stop();
        await gw.close();
        await sim.close();
      });
    });
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('virtual API keys for clients');
  keys
    .command('create')
    .description('make a new random key and print it with the config entry that admits it (only its hash goes in config)')
    .requiredOption('--id <id>', 'a stable id for the ledger')
    .option('--team <team>')
    .option('--user <user>')
    .addOption(new Option('--role <role>', 'admin keys may also call /admin/* and /metrics').choices(['admin', 'client']).default('client'))
    .action(async (opts: { id: string; team?: string; user?: string; role: string }) => {
      const [{ randomBytes }, { hashKey }] = await Promise.all([import('node:crypto'), import('../server/auth.js')]);
      const key = `tg_${randomBytes(24).toString('base64url')}`;
      console.log(
        `key (shown once): ${key}\n\nauth:\n  keys:\n    - id: ${opts.id}\n      sha256: ${hashKey(key)}${opts.team ? `\n      team: ${opts.team}` : ''}${opts.user ? `\n      user: ${opts.user}` : ''}${opts.role === 'admin' ? '\n      role: admin' : ''}`,
      );
    });
  keys
    .command('hash <key>')
    .description('print the SHA-256 of an existing key for the auth.keys config')
    .action(async (key: string) => {
      const { hashKey } = await import('../server/auth.js');
      console.log(hashKey(key));
    });
}
