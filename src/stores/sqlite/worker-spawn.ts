// Starting a worker thread from a module next to the caller: the compiled .js (dist/), or, run from
// sources (vitest, tsx), the .ts file booted through tsx's loader API (a Worker cannot load .ts by
// itself). The same approach as the ledger's ingest worker (src/ledger/ledger.ts).

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export function spawnModuleWorker(base: string, name: string, workerData: unknown): Worker {
  // no flags of the process: some refuse to start a worker when inherited (--input-type of `node -e`)
  const execArgv: string[] = [];
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData, execArgv });
  const ts = new URL(`./${name}.ts`, base);
  const tsxCjs = createRequire(base).resolve('tsx/esm/api');
  const tsxApi = pathToFileURL(tsxCjs.replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => m.tsImport(${JSON.stringify(ts.href)}, ${JSON.stringify(base)}))`;
  return new Worker(boot, { eval: true, workerData, execArgv });
}
