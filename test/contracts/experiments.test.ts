// The experiment store contract (src/stores/experiments.ts), run for every implementation.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { MemoryExperimentStore } from '../../src/stores/memory/experiment-store.js';
import { SqliteExperimentStore } from '../../src/stores/sqlite/experiment-store.js';
import { experimentSchema, type Experiment } from '../../src/experiments/model.js';
import type { ExperimentStore } from '../../src/stores/experiments.js';
import { tempDataDir } from '../ledger/fixtures.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const exp = (name: string, state: Experiment['state'] = 'running'): Experiment => ({
  def: experimentSchema.parse({ name, target: 'auto', variant: { maxTier: 'cheap' } }),
  state,
  startedAt: 1,
  step: 0,
  stepStartedAt: 1,
  startedBy: 'key:ops',
});

function contract(name: string, make: () => { store: ExperimentStore; reopen?: () => ExperimentStore }): void {
  describe(`ExperimentStore contract: ${name}`, () => {
    it('keeps experiments by name, replaced whole, and returns copies', async () => {
      const s = make().store;
      await s.put(exp('a'));
      await s.put(exp('b'));
      await s.put({ ...exp('a', 'rolled_back'), reason: 'errors' });
      const list = await s.list();
      expect(list.map((e) => [e.def.name, e.state])).toEqual([['a', 'rolled_back'], ['b', 'running']]);
      list[0]!.state = 'running';
      expect((await s.list())[0]!.state).toBe('rolled_back');
      await s.close();
    });
    it('keeps them across a reopen (when the backend persists)', async () => {
      const f = make();
      if (!f.reopen) return;
      await f.store.put(exp('kept'));
      await f.store.close();
      const again = f.reopen();
      expect((await again.list()).map((e) => e.def)).toEqual([exp('kept').def]);
      await again.close();
    });
  });
}

contract('memory', () => ({ store: new MemoryExperimentStore() }));
contract('sqlite', () => {
  const dir = tempDataDir('tollgate-experiments-');
  dirs.push(dir);
  return { store: SqliteExperimentStore.open(dir), reopen: () => SqliteExperimentStore.open(dir) };
});
