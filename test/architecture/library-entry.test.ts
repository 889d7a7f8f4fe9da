// `import { ... } from 'tollgate'` from the repository root after `npm install`: the built entry
// runs a request through the engine (no HTTP server) and its types check.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

it('runs a request through the engine from the package entry', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-lib-'));
  const script = `
    import { startSimulator, demoConfig, resolveConfig, createEngine, openLedger, GatewayMetrics } from 'tollgate';
    const sim = await startSimulator({ port: 0, latencyScale: 0, seed: 1 });
    const config = resolveConfig(demoConfig({ simUrl: sim.url, port: 0, dataDir: ${JSON.stringify(dataDir)}, levers: false }), '(lib)', {});
    const ledger = await openLedger({ dataDir: config.dataDir });
    const engine = await createEngine(config, { ledger, metrics: new GatewayMetrics() });
    const run = engine.start({ format: 'openai', endpoint: '/v1/chat/completions', headers: {} });
    run.admit({ keyId: 'sdk' });
    const result = await run.chat({ model: 'gpt-4o-mini', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }], stream: false, includeUsage: false, extra: {} });
    const record = run.finish({ httpStatus: 200, response: result.response, usage: result.response.usage, source: result.source });
    console.log(JSON.stringify({ kind: result.kind, cost: record.costUsd, model: record.model, status: record.status }));
    await engine.close(); await ledger.close(); await sim.close();
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  rmSync(dataDir, { recursive: true, force: true });
  const r = JSON.parse(out.trim().split('\n').at(-1)!);
  expect(r).toMatchObject({ kind: 'complete', model: 'gpt-4o-mini', status: 'ok' });
  expect(r.cost).toBeGreaterThan(0);
});

it('ships its types', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(ROOT, '.tollgate-typecheck-'));
  try {
    writeFileSync(join(dir, 'use.ts'), `import { createEngine, type RequestRecord, type Engine } from 'tollgate';\nconst f: typeof createEngine = createEngine;\nconst r: Pick<RequestRecord, 'costUsd'> = { costUsd: 1 };\nexport type E = Engine;\nexport { f, r };\n`);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, files: ['use.ts'] }));
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir, encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it("'tollgate/engine' runs requests, cache included, with no native module loaded", { timeout: 120_000 }, () => {
  const script = `
    import { createRequire } from 'node:module';
    import { resolveConfig, createEngine, createMemoryLedger, MemoryCachePersistence, GatewayMetrics } from 'tollgate/engine';
    const { startSimulator } = await import(${JSON.stringify(join(ROOT, 'dist/sim/index.js'))});
    const sim = await startSimulator({ port: 0, latencyScale: 0, seed: 1 });
    const config = resolveConfig({
      auth: { mode: 'demo' },
      providers: [{ name: 'sim', kind: 'openai', baseUrl: sim.url + '/v1', headers: { authorization: 'Bearer sim' } }],
      models: [{ name: 'gpt-4o-mini', provider: 'sim', price: { provider: 'openai', model: 'gpt-4o-mini' } }],
      routes: { auto: { tiers: [{ name: 'cheap', models: ['gpt-4o-mini'] }] } },
      cache: { eligible: { maxTemperature: null } },
      pipeline: ['cache', 'router', 'execute'],
    }, '(sdk)', {});
    const ledger = createMemoryLedger();
    const engine = await createEngine(config, { ledger, metrics: new GatewayMetrics(), stores: { cachePersistence: new MemoryCachePersistence() } });
    const ask = async () => {
      const run = engine.start({ format: 'openai', endpoint: '/v1/chat/completions', headers: {} });
      run.admit({ keyId: 'sdk' });
      const result = await run.chat({ model: 'auto', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }], stream: false, includeUsage: false, extra: {} });
      return run.finish({ httpStatus: 200, response: result.response, usage: result.response.usage, source: result.source });
    };
    await ask();
    const second = await ask();
    const [row] = ledger.store.aggregate({ cacheStatus: 'miss' }, ['model'], ['count', 'costUsd']);
    const cache = createRequire(import.meta.url).cache;
    const native = Object.keys(cache).filter((k) => /better-sqlite3|hnswlib-node/.test(k));
    console.log(JSON.stringify({ row, native, second: second.cacheStatus }));
    await engine.close(); await sim.close();
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').at(-1)!);
  expect(r.native).toEqual([]);
  expect(r.second).toBe('hit');
  expect(r.row).toMatchObject({ group: { model: 'gpt-4o-mini' }, values: { count: 1 } });
  expect(r.row.values.costUsd).toBeGreaterThan(0);
});
