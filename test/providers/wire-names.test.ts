// Wire formats stay at the edges (issue 7, item 2): outside src/providers/, no code compares a
// format or kind with a built-in name or looks for a vendor's stream marker or header; it asks the
// codec or the adapter instead (src/providers/codec.ts, ProviderAdapter.streamUsageOnlyWhenAsked).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * The layers that must not know a vendor. server/ joins the list once it uses the codec methods
 * (its remaining offenders are listed in the provider-contracts hand-over: chat.ts usageRewrite,
 * dropUsage, isTerminal; gateway.ts listModels).
 */
const SEALED = ['core', 'pipeline', 'levers', 'engine'];

const FORBIDDEN: [RegExp, string][] = [
  // (the cache's embedder kinds, e.g. 'openai-compatible', are the cache's own names, not a provider's)
  [/[=!]==?\s*'(openai|anthropic)'|'(openai|anthropic)'\s*[=!]==?|case\s+'(openai|anthropic)'\s*:/, 'a comparison with a built-in wire format name'],
  [/\[DONE\]|message_stop/, "a vendor's end-of-stream marker"],
  [/anthropic-version|anthropic-beta/, "an Anthropic protocol header"],
  [/from\s+'[./]*\/providers\/(openai|anthropic|openai-compatible|gemini)\//, "an import from a vendor folder (use the registry or the codec)"],
];

function files(dir: string): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out; // a layer that does not exist yet
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(files(p));
    else if (n.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** code lines only: comments may name vendors */
function codeLines(text: string): [number, string][] {
  return text
    .split('\n')
    .map((l, i) => [i + 1, l] as [number, string])
    .filter(([, l]) => !/^\s*(\/\/|\*|\/\*)/.test(l))
    .map(([i, l]) => [i, l.replace(/\/\/.*$/, '')] as [number, string]);
}

export function offenders(layers: readonly string[]): string[] {
  const found: string[] = [];
  for (const layer of layers) {
    for (const f of files(join(SRC, layer))) {
      for (const [n, line] of codeLines(readFileSync(f, 'utf8'))) {
        for (const [re, what] of FORBIDDEN) if (re.test(line)) found.push(`src/${f.slice(SRC.length)}:${n}: ${what}: ${line.trim()}`);
      }
    }
  }
  return found;
}

describe('wire formats stay in src/providers/', () => {
  it(`${SEALED.join(', ')}: no vendor names, markers or vendor-folder imports`, () => {
    expect(offenders(SEALED)).toEqual([]);
  });

  it('the check finds what it is meant to find', () => {
    // server/ still has them today; this proves the patterns match real code, not just nothing
    const inServer = offenders(['server']);
    const src = files(join(SRC, 'server')).map((f) => readFileSync(f, 'utf8')).join('\n');
    if (/=== 'openai'|\[DONE\]|anthropic-version/.test(src)) expect(inServer.length).toBeGreaterThan(0);
    for (const [re] of FORBIDDEN.slice(0, 3)) {
      expect(re.test("if (format === 'anthropic') x();") || re.test("case 'openai':") || re.test("buf.indexOf('data: [DONE]')") || re.test("h['anthropic-beta']")).toBe(true);
    }
    expect(FORBIDDEN[3]![0].test("import { x } from '../providers/openai/error.js';")).toBe(true);
    expect(FORBIDDEN[3]![0].test("import { codecFor } from '../providers/registry.js';")).toBe(false);
  });
});
