import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { cacheConfigSchema } from '../../src/levers/cache/config.js';

describe('cache config', () => {
  it('parses the README example and fills defaults', () => {
    const md = readFileSync(new URL('../../src/levers/cache/README.md', import.meta.url), 'utf8');
    const yaml = md.slice(md.indexOf('```yaml') + 7, md.lastIndexOf('```'));
    const cfg = cacheConfigSchema.parse((parse(yaml) as { cache: unknown }).cache);
    expect(cfg.routes['support-faq']).toMatchObject({ ttlSeconds: 86400, policyVersion: '2025-03-01' });
    expect(cfg.semantic.hnsw.efSearch).toBe(128);
    expect(cfg.maxEntries).toBe(100_000);
    expect(cacheConfigSchema.parse(undefined).enabled).toBe(true);
  });

  it('rejects unknown keys with their path', () => {
    const r = cacheConfigSchema.safeParse({ semantic: { treshold: 0.9 } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues)).toContain('treshold');
    expect(cacheConfigSchema.safeParse({ semantic: { embedder: { kind: 'magic' } } }).success).toBe(false);
  });
});
