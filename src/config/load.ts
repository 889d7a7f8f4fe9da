// Reads tollgate.yaml, validates it, resolves provider keys from the environment, and freezes it.
// Validation is whole: the schema (field by field), then the references pass (names that must
// point somewhere, files that must exist, the pipeline's order); every mistake is reported at
// once with the path the file spells, and stops start-up (the CLI exits 2).

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type TollgateConfig } from './schema.js';
import { displayPath, toInternalKeys } from './case-style.js';
import { checkReferences, type ConfigIssue } from './references.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig extends TollgateConfig {
  /** provider keys resolved from the environment, by provider name; never logged */
  readonly providerKeys: Readonly<Record<string, string | undefined>>;
  /** deprecated key spellings found (`retry.max_retries → retry.maxRetries`); the CLI prints them in one line */
  readonly deprecatedKeys?: readonly string[];
}

function zodIssues(err: z.ZodError): ConfigIssue[] {
  return err.issues.map((issue) => {
    const path = displayPath(configSchema, issue.path);
    if (issue.code === 'unrecognized_keys') {
      const at = issue.path.length ? `${path}.` : '';
      return { path, message: `unknown field ${issue.keys.map((k) => `${at}${k}`).join(', ')}` };
    }
    return { path, message: issue.message };
  });
}

function formatIssues(issues: readonly ConfigIssue[], source: string): string {
  const lines = issues.map((i) => (i.message.startsWith('unknown field ') ? `  - ${i.message}` : `  - ${i.path}: ${i.message}`));
  return `invalid config ${source}:\n${lines.join('\n')}`;
}

/** kept for callers that validate with their own schema */
export function formatZodError(err: z.ZodError, source: string): string {
  return formatIssues(zodIssues(err), source);
}

/** Validates a config object (already parsed from YAML or built in code). */
export function resolveConfig(raw: unknown, source = '(inline)', env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const styled = toInternalKeys(configSchema, raw ?? {});
  if (styled.conflicts.length) throw new ConfigError(formatIssues(styled.conflicts, source));
  const parsed = configSchema.safeParse(styled.value);
  if (!parsed.success) throw new ConfigError(formatIssues(zodIssues(parsed.error), source));
  const cfg = parsed.data;
  if (env.TOLLGATE_DATA_DIR) cfg.dataDir = env.TOLLGATE_DATA_DIR;
  const otlpIssue = otlpEndpointFromEnv(cfg, env);

  const issues = checkReferences(cfg);
  if (otlpIssue) issues.push(otlpIssue);
  const providerKeys: Record<string, string | undefined> = {};
  cfg.providers.forEach((p, i) => {
    if (!p.apiKeyEnv) return;
    const value = env[p.apiKeyEnv];
    if (!value) issues.push({ path: `providers[${i}].apiKeyEnv`, message: `environment variable ${p.apiKeyEnv} is not set (provider '${p.name}')` });
    else providerKeys[p.name] = value;
  });
  if (issues.length) throw new ConfigError(formatIssues(issues, source));

  return deepFreeze({ ...cfg, providerKeys, deprecatedKeys: styled.deprecated });
}

/** the standard OTEL_EXPORTER_OTLP_ENDPOINT turns export on when the config names no endpoint */
function otlpEndpointFromEnv(cfg: { telemetry: { endpoint?: string } }, env: NodeJS.ProcessEnv): { path: string; message: string } | undefined {
  // only a variable that is really there (`config check --skip-env` reads every missing one as set)
  const v = Object.hasOwn(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ? env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() : undefined;
  if (cfg.telemetry.endpoint !== undefined || !v) return undefined;
  if (!/^https?:\/\/[^\s]+$/i.test(v) || !URL.canParse(v)) return { path: 'OTEL_EXPORTER_OTLP_ENDPOINT', message: `must be an http:// or https:// URL (OTLP/HTTP), got ${JSON.stringify(v.slice(0, 100))}` };
  cfg.telemetry.endpoint = v;
  return undefined;
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : e.message;
    throw new ConfigError(`cannot read config file ${path}: ${why}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  return resolveConfig(raw, path, env);
}

/** The one-line start-up warning for deprecated key spellings, or undefined when there are none. */
export function deprecationWarning(config: LoadedConfig): string | undefined {
  const d = config.deprecatedKeys ?? [];
  if (!d.length) return undefined;
  return `tollgate: warning: deprecated snake_case config keys (they still work; the file's style is camelCase): ${d.join(', ')}`;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}
