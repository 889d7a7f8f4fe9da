// Reads tollgate.yaml, validates it, resolves provider keys from the environment, and freezes it.
// Errors name the offending field (and the environment variable, for keys) and stop start-up.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type TollgateConfig } from './schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig extends TollgateConfig {
  /** provider keys resolved from the environment, by provider name; never logged */
  readonly providerKeys: Readonly<Record<string, string | undefined>>;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') || '(root)';
}

export function formatZodError(err: z.ZodError, source: string): string {
  const lines = err.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const at = issue.path.length ? `${formatPath(issue.path)}.` : '';
      return `  - unknown field ${issue.keys.map((k) => `${at}${k}`).join(', ')}`;
    }
    return `  - ${formatPath(issue.path)}: ${issue.message}`;
  });
  return `invalid config ${source}:\n${lines.join('\n')}`;
}

/** Validates a config object (already parsed from YAML or built in code). */
export function resolveConfig(raw: unknown, source = '(inline)', env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error, source));
  const cfg = parsed.data;

  const providerNames = new Set<string>();
  cfg.providers.forEach((p, i) => {
    if (providerNames.has(p.name)) throw new ConfigError(`invalid config ${source}:\n  - providers[${i}].name: duplicate provider name "${p.name}"`);
    providerNames.add(p.name);
  });
  const modelNames = new Set<string>();
  cfg.models.forEach((m, i) => {
    if (!providerNames.has(m.provider)) {
      throw new ConfigError(`invalid config ${source}:\n  - models[${i}].provider: unknown provider "${m.provider}" (known: ${[...providerNames].join(', ')})`);
    }
    if (modelNames.has(m.name)) throw new ConfigError(`invalid config ${source}:\n  - models[${i}].name: duplicate model name "${m.name}"`);
    modelNames.add(m.name);
  });

  const providerKeys: Record<string, string | undefined> = {};
  cfg.providers.forEach((p, i) => {
    if (!p.apiKeyEnv) return;
    const value = env[p.apiKeyEnv];
    if (!value) {
      throw new ConfigError(`invalid config ${source}:\n  - providers[${i}].apiKeyEnv: environment variable ${p.apiKeyEnv} is not set (provider "${p.name}")`);
    }
    providerKeys[p.name] = value;
  });

  if (env.TOLLGATE_DATA_DIR) cfg.dataDir = env.TOLLGATE_DATA_DIR;
  return deepFreeze({ ...cfg, providerKeys });
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  return resolveConfig(raw, path, env);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}
