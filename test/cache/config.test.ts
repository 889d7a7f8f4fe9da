import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { cacheConfigSchema } from '../../src/levers/cache/config.js';

describe('cache config', () => {
  it('parses the README example and fills defaults', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    // the Caching section's example (the README is the one source for it)
    const section = readme.slice(readme.indexOf('\n## Caching'), readme.indexOf('\n## Routing'));
    const start = section.indexOf('```yaml\ncache:') + 7;
    const yaml = section.slice(start, section.indexOf('```', start));
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
