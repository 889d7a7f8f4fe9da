// The README's code snippets, read from README.md and run as written: a test of a snippet is a test
// of the exact text a user copies. A snippet is a ```ts block right after `<!-- snippet: NAME -->`.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
/** the demo's address as the README writes it; a test swaps in its own gateway's */
const DEMO_URL = 'http://127.0.0.1:8787';

export function readmeSnippet(name: string): string {
  const text = readFileSync(README, 'utf8');
  const marker = `<!-- snippet: ${name} -->`;
  const at = text.indexOf(marker);
  if (at === -1) throw new Error(`README.md has no snippet '${name}'`);
  const m = /^```(?:ts|js|typescript)\n([\s\S]*?)^```/m.exec(text.slice(at + marker.length));
  if (!m) throw new Error(`snippet '${name}' is not followed by a code block`);
  return m[1]!;
}

/** names the snippet declares at top level (`const x =`, `const { a, b } =`) */
function declaredNames(code: string): string[] {
  const names: string[] = [];
  for (const m of code.matchAll(/^(?:const|let) (?:(\w+)|\{([^}]*)\})\s*=/gm)) {
    if (m[1]) names.push(m[1]);
    else for (const part of m[2]!.split(',')) names.push(part.split(':').at(-1)!.trim());
  }
  return names.filter((n) => n !== '');
}

/** `import X from 'p'` and `import { a as b } from 'p'` as awaited dynamic imports */
function rewriteImports(code: string): string {
  return code
    .replace(/^import (\w+) from '([^']+)';?$/gm, "const $1 = (await __import('$2')).default;")
    .replace(/^import \* as (\w+) from '([^']+)';?$/gm, "const $1 = await __import('$2');")
    .replace(/^import \{([^}]*)\} from '([^']+)';?$/gm, (_m, names: string, spec: string) => `const {${names.replace(/\s+as\s+/g, ': ')}} = await __import('${spec}');`);
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<unknown>;

/**
 * Runs a snippet against `baseUrl` (in place of the demo's address) and returns what it declared.
 * `scope` provides names the snippet uses without importing (the first screen's OpenAI, Anthropic);
 * `importer` resolves its imports (pass `(s) => import(s)` from the test file).
 */
export async function runSnippet(
  code: string,
  baseUrl: string,
  importer: (spec: string) => Promise<unknown>,
  scope: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const body = rewriteImports(code.split(DEMO_URL).join(baseUrl));
  const names = declaredNames(body).filter((n) => !(n in scope));
  const fn = new AsyncFunction('__import', ...Object.keys(scope), `${body}\nreturn { ${names.join(', ')} };`);
  return (await fn(importer, ...Object.values(scope))) as Record<string, unknown>;
}
