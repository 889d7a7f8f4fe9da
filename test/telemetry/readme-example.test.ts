// The README's telemetry example is a valid config section with the defaults it states.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveConfig } from '../../src/config/load.js';
import { telemetryConfigSchema } from '../../src/telemetry/otel-config.js';

describe("the README's telemetry example", () => {
  it('is valid, and states the defaults', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Telemetry: OpenTelemetry and Prometheus'));
    const example = parse(section.split('```yaml\n')[1]!.split('```')[0]!) as { telemetry: Record<string, unknown> };
    const cfg = resolveConfig({ auth: { mode: 'demo' }, providers: [{ name: 'p', kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' }], ...example }, 'README telemetry', {});
    expect(cfg.telemetry.endpoint).toBe('http://localhost:4318');
    const defaults = telemetryConfigSchema.parse({});
    for (const k of ['samplingRatio', 'traces', 'metrics', 'exportIntervalMs', 'exportTimeoutMs', 'maxQueueSize', 'maxExportBatchSize', 'scheduledDelayMs'] as const) {
      expect(example.telemetry[k], k).toEqual(defaults[k]);
    }
  });
});
