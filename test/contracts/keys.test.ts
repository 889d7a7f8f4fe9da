// Runs the key store contract for every implementation.
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryKeyStore } from '../../src/stores/memory/key-store.js';
import { SqliteKeyStore } from '../../src/stores/sqlite/key-store.js';
import { tempDataDir } from '../ledger/fixtures.js';
import { keyContract } from './keys.contract.js';
import { hashSecret } from '../../src/stores/keys.js';
import { StoreInputError } from '../../src/stores/types.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

keyContract('memory', (now) => ({ store: new MemoryKeyStore({ now }) }));
keyContract('sqlite', (now) => {
  const dir = tempDataDir('tollgate-keys-');
  dirs.push(dir);
  return {
    store: SqliteKeyStore.inDataDir(dir, { now }),
    reopen: () => SqliteKeyStore.inDataDir(dir, { now }),
    files: () => readdirSync(dir).map((f) => readFileSync(join(dir, f))),
  };
});

describe('MemoryKeyStore.fromConfig (what the authenticator builds at start)', () => {
  it('verifies the YAML keys with their role, team and user, and refuses duplicates', () => {
    const s = MemoryKeyStore.fromConfig([
      { id: 'ops', sha256: hashSecret('ops-secret'), role: 'admin' },
      { id: 'app', sha256: hashSecret('app-secret'), team: 'search', user: 'svc' },
    ]);
    expect(s.verify('ops-secret')).toMatchObject({ id: 'ops', role: 'admin' });
    expect(s.verify('app-secret')).toMatchObject({ id: 'app', role: 'client', team: 'search', user: 'svc' });
    expect(s.verify('nope')).toBeUndefined();
    expect(() => MemoryKeyStore.fromConfig([{ id: 'a', sha256: hashSecret('x') }, { id: 'a', sha256: hashSecret('y') }])).toThrow(StoreInputError);
    expect(() => MemoryKeyStore.fromConfig([{ id: 'a', sha256: hashSecret('x') }, { id: 'b', sha256: hashSecret('x') }])).toThrow(StoreInputError);
  });
});
