// The key store contract (src/stores/keys.ts): every KeyStore runs it.
import { describe, expect, it } from 'vitest';
import { hashSecret, loadConfigKeys, type KeyStore } from '../../src/stores/keys.js';
import { StoreInputError } from '../../src/stores/types.js';

/** a store on the given clock; `reopen` (when the backend persists) gives a new handle on the same data */
export type KeyFactory = (now: () => number) => { store: KeyStore | Promise<KeyStore>; reopen?: () => KeyStore | Promise<KeyStore>; files?: () => Buffer[] };

const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);

export function keyContract(name: string, make: KeyFactory): void {
  describe(`KeyStore contract: ${name}`, () => {
    it('creates a key whose secret verifies, with its role, team and user; the secret is not kept', async () => {
      const f = make(() => T0);
      const s = await f.store;
      const { key, secret } = await s.create({ role: 'admin', team: 'search', user: 'ana' });
      expect(secret).toMatch(/^tg_[A-Za-z0-9_-]{32}$/);
      expect(key).toMatchObject({ role: 'admin', team: 'search', user: 'ana', source: 'store', createdAt: T0 });
      expect(await s.verify(secret)).toEqual(key);
      expect(await s.verify(secret + 'x')).toBeUndefined();
      expect(await s.verify('')).toBeUndefined();
      const client = await s.create({ id: 'ci-bot' });
      expect(client.key).toMatchObject({ id: 'ci-bot', role: 'client' }); // role defaults to client
      expect(client.secret).not.toBe(secret);
      expect(await s.get('ci-bot')).toEqual(client.key);
      for (const v of Object.values(await s.get(key.id) as object)) expect(String(v)).not.toContain(secret.slice(3));
      await s.close();
      if (f.files) for (const b of f.files()) expect(b.includes(secret.slice(3))).toBe(false); // nowhere on disk either
      if (f.reopen) {
        const again = await f.reopen();
        expect(await again.verify(secret)).toEqual(key);
        await again.close();
      }
    });

    it('revoked and expired keys no longer verify; revoking twice is false', async () => {
      let t = T0;
      const s = await make(() => t).store;
      const a = await s.create({ id: 'a' });
      const b = await s.create({ id: 'b', expiresAt: T0 + 1000 });
      expect(await s.revoke('a')).toBe(true);
      expect(await s.revoke('a')).toBe(false);
      expect(await s.revoke('nobody')).toBe(false);
      expect(await s.verify(a.secret)).toBeUndefined();
      expect(await s.get('a')).toMatchObject({ id: 'a', revokedAt: T0 });
      expect(await s.verify(b.secret)).toMatchObject({ id: 'b' });
      t = T0 + 1000;
      expect(await s.verify(b.secret)).toBeUndefined();
      await s.close();
    });

    it('lists by id, bounded, without revoked keys unless asked, by team', async () => {
      const s = await make(() => T0).store;
      for (const id of ['k3', 'k1', 'k2', 'k4']) await s.create({ id, team: id === 'k4' ? 'ml' : 'search' });
      await s.revoke('k2');
      expect((await s.list({ limit: 10 })).map((k) => k.id)).toEqual(['k1', 'k3', 'k4']);
      expect((await s.list({ limit: 10, includeRevoked: true })).map((k) => k.id)).toEqual(['k1', 'k2', 'k3', 'k4']);
      expect((await s.list({ limit: 2 })).map((k) => k.id)).toEqual(['k1', 'k3']);
      expect((await s.list({ limit: 10, team: 'ml' })).map((k) => k.id)).toEqual(['k4']);
      await expect(async () => s.list({ limit: 0 })).rejects.toBeInstanceOf(StoreInputError);
      await s.close();
    });

    it('refuses duplicate ids and hashes, and malformed specs', async () => {
      const s = await make(() => T0).store;
      await s.create({ id: 'dup' });
      await expect(async () => s.create({ id: 'dup' })).rejects.toBeInstanceOf(StoreInputError);
      await s.put({ id: 'yaml1', sha256: hashSecret('one'), source: 'config' });
      await expect(async () => s.put({ id: 'yaml2', sha256: hashSecret('one'), source: 'config' })).rejects.toBeInstanceOf(StoreInputError);
      const bad = [{ role: 'root' }, { id: '' }, { id: 'has space' }, { team: '' }, { expiresAt: 'tomorrow' }];
      for (const spec of bad) await expect(async () => s.create(spec as never)).rejects.toBeInstanceOf(StoreInputError);
      await expect(async () => s.put({ id: 'x', sha256: 'NOTHEX', source: 'config' })).rejects.toBeInstanceOf(StoreInputError);
      await s.close();
    });

    it('loads the YAML keys: new ones verify, edits apply, keys gone from the file are revoked, run-time keys stay', async () => {
      const s = await make(() => T0).store;
      const runtime = await s.create({ id: 'made-at-run-time' });
      await loadConfigKeys(s, [
        { id: 'ops', sha256: hashSecret('ops-secret'), role: 'admin' },
        { id: 'app', sha256: hashSecret('app-secret'), team: 'search' },
      ]);
      expect(await s.verify('ops-secret')).toMatchObject({ id: 'ops', role: 'admin', source: 'config' });
      expect(await s.verify('app-secret')).toMatchObject({ id: 'app', role: 'client', team: 'search' });
      // next start: app moved team and rotated its secret, ops is gone
      await loadConfigKeys(s, [{ id: 'app', sha256: hashSecret('app-secret-2'), team: 'ml' }]);
      expect(await s.verify('ops-secret')).toBeUndefined();
      expect(await s.verify('app-secret')).toBeUndefined();
      expect(await s.verify('app-secret-2')).toMatchObject({ id: 'app', team: 'ml' });
      expect(await s.verify(runtime.secret)).toMatchObject({ id: 'made-at-run-time' });
      await s.close();
    });
  });
}
