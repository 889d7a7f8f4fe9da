// The edge's config keys: roles on keys, the connection limits; mistakes name the field.

import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { hashKey } from '../../src/server/auth.js';

// keys mode needs a key: the limits tests do not care which
const base = { providers: [{ name: 'p', kind: 'openai', baseUrl: 'http://127.0.0.1:1/v1' }], auth: { mode: 'keys', keys: [{ id: 'k', sha256: hashKey('k-secret') }] } };
const key = (id: string, secret: string, extra: Record<string, unknown> = {}) => ({ id, sha256: hashKey(secret), ...extra });

describe('auth and server config', () => {
  it('a key is a client unless it says admin; other roles are refused by name', () => {
    const cfg = resolveConfig({ ...base, auth: { keys: [key('a', 'x'), key('b', 'y', { role: 'admin' })] } }, '(test)', {});
    expect(cfg.auth.keys.map((k) => k.role)).toEqual(['client', 'admin']);
    expect(() => resolveConfig({ ...base, auth: { keys: [key('a', 'x', { role: 'root' })] } }, '(test)', {})).toThrow(/auth\.keys\[0\]\.role/);
  });

  it('the same key twice, or the same id twice, is refused', () => {
    expect(() => resolveConfig({ ...base, auth: { keys: [key('a', 'x'), key('b', 'x', { role: 'admin' })] } }, '(test)', {})).toThrow(/auth\.keys\[1\]\.sha256: the same key as keys\[0\]/);
    expect(() => resolveConfig({ ...base, auth: { keys: [key('a', 'x'), key('a', 'y')] } }, '(test)', {})).toThrow(/auth\.keys\[1\]\.id: duplicate key id "a"/);
  });

  it('server limits have defaults, and inconsistent ones name the field', () => {
    const cfg = resolveConfig(base, '(test)', {});
    expect(cfg.server).toMatchObject({ headersTimeoutMs: 20_000, bodyTimeoutMs: 60_000, keepAliveTimeoutMs: 65_000, maxConnections: 2048, maxIdleConnections: 256, publicMetrics: false, adminBodyLimitBytes: 1024 * 1024 });
    expect(() => resolveConfig({ ...base, server: { headersTimeoutMs: 5000, bodyTimeoutMs: 1000 } }, '(test)', {})).toThrow(/server\.headersTimeoutMs: headersTimeoutMs must not exceed bodyTimeoutMs/);
    expect(() => resolveConfig({ ...base, server: { maxIdleConnections: 0 } }, '(test)', {})).toThrow(/server\.maxIdleConnections/);
    expect(() => resolveConfig({ ...base, server: { publicMetrics: 'yes' } }, '(test)', {})).toThrow(/server\.publicMetrics/);
  });
});
