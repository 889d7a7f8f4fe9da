// Every test's temporary files (data dirs, journals, caches) go under one directory per run, which
// is removed at the end, so no test can leave anything behind in the machine's tmp.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-tests-'));
  // os.tmpdir() reads TMPDIR; the test workers and their child processes inherit it
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
