// The trim section: defaults, route overrides, and every mistake named with its path (exit 2 at start-up).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { demoConfig } from '../../src/config/demo.js';
import { ConfigError, resolveConfig } from '../../src/config/load.js';
import { settingsFor, trimConfigSchema, trims } from '../../src/levers/trim/config.js';

const base = () => demoConfig({ simUrl: 'http://127.0.0.1:9', levers: false }) as Record<string, unknown>;
const load = (extra: Record<string, unknown>) => resolveConfig({ ...base(), ...extra }, '(test)', {});
const problem = (extra: Record<string, unknown>): string => {
  try {
    load(extra);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('the config loaded');
};

describe('trim config', () => {
  it('is off by default, and trim is in the default pipeline', () => {
    const c = load({});
    expect(c.pipeline).toEqual(['cache', 'router', 'trim', 'prompt-cache', 'execute']);
    expect(trims(settingsFor(c.trim, 'gpt-4o'))).toBe(false);
  });

  it('a route section overrides the top level field by field', () => {
    const cfg = trimConfigSchema.parse({ history: { keepLastTurns: 4, pinFirstTurns: 1 }, routes: { support: { enabled: true, history: { keepLastTurns: 2 } } } });
    expect(settingsFor(cfg, 'support')).toMatchObject({ enabled: true, keepLastTurns: 2, pinFirstTurns: 1, pinNames: ['pinned'] });
    expect(settingsFor(cfg, 'other').enabled).toBe(false);
  });

  it('names each mistake by its path', () => {
    expect(problem({ trim: { routes: { nowhere: { enabled: true } } } })).toMatch(/trim\.routes\.nowhere: names no route or model/);
    expect(problem({ trim: { summary: { enabled: true, model: 'gpt-9' } } })).toMatch(/trim\.summary\.model: unknown model 'gpt-9'/);
    expect(problem({ trim: { routes: { 'gpt-4o': { summary: { enabled: true } } } } })).toMatch(/trim\.routes\.gpt-4o\.summary\.model: a summary needs a model/);
    expect(problem({ trim: { history: { keepLastTurns: 0 } } })).toMatch(/trim\.history\.keepLastTurns/);
    expect(problem({ trim: { history: { keepLastTurn: 3 } } })).toMatch(/unknown field trim\.history\.keepLastTurn/);
    expect(problem({ trim: { enabled: true, history: { keepLastTurns: 3 } }, pipeline: ['cache', 'router', 'execute'] })).toMatch(/'trim' is not in pipeline/);
    expect(problem({ pipeline: ['cache', 'router', 'prompt-cache', 'trim', 'execute'] })).toMatch(/'trim' must come before 'prompt-cache'/);
  });

  it("the README's trim example is a valid section", () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Prompt trimming'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const parsed = trimConfigSchema.parse((parseYaml(yaml) as { trim: unknown }).trim);
    expect(settingsFor(parsed, 'support')).toMatchObject({ enabled: true, keepLastTurns: 8, maxInputTokens: 16000, summary: { model: 'gpt-4o-mini', maxTokens: 256 }, contextTopK: 3 });
  });
});
