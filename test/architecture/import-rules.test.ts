// The layout's rules, checked on the sources: wire formats stay at the edges (providers/), and the
// layers import downwards only. A new `=== 'openai'` in the middle fails here, not in review.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');
const MIDDLE = ['server', 'engine', 'pipeline', 'levers', 'core'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** code without comments, so a comment may still name a format */
function code(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');
}

function offenders(dirs: string[], pattern: RegExp): string[] {
  const out: string[] = [];
  for (const d of dirs)
    for (const f of files(join(SRC, d))) {
      const lines = code(f).split('\n');
      lines.forEach((l, i) => {
        if (pattern.test(l)) out.push(`${relative(SRC, f)}:${i + 1}: ${l.trim()}`);
      });
    }
  return out;
}

describe('wire formats stay at the edges', () => {
  it('no comparison with a wire format name outside providers/', () => {
    expect(offenders(MIDDLE, /[!=]==\s*'(openai|anthropic)'|'(openai|anthropic)'\s*[!=]==/)).toEqual([]);
  });

  it('no wire-format bytes or headers in server/, engine/ or pipeline/', () => {
    expect(offenders(['server', 'engine', 'pipeline'], /\[DONE\]|message_stop|anthropic-version|anthropic-beta/)).toEqual([]);
  });

  it('nothing outside providers/ imports a vendor folder (they go through the registry and contracts)', () => {
    expect(offenders(MIDDLE, /from '[./]*\/?providers\/(openai|anthropic|openai-compatible)\//)).toEqual([]);
  });
});

describe('layers import downwards', () => {
  const rules: [string, RegExp][] = [
    // the engine has no HTTP and knows no server
    ['engine', /from '(\.\.\/)+server\/|from 'node:http'/],
    // levers see the pipeline contract, never the server or the engine's internals
    ['levers', /from '(\.\.\/)+server\//],
    ['pipeline', /from '(\.\.\/)+(server|engine|levers)\//],
    // the core is pure: no I/O, no other layer
    ['core', /from '(\.\.\/)+(server|engine|pipeline|levers|providers|ledger)\/|from 'node:(fs|http|net)'/],
  ];
  for (const [dir, pattern] of rules) {
    it(`${dir}/ imports no layer above it`, () => {
      expect(offenders([dir], pattern)).toEqual([]);
    });
  }
});
