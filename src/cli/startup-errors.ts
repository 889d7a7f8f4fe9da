// How `tollgate serve` / `demo` stop when they cannot start: one line naming the field, exit 2
// for anything the operator can fix in the config or the machine (the documented contract), never
// a stack trace for those. Anything else is a bug: exit 1, with the stack.

export interface StartupContext {
  host: string;
  port: number;
  dataDir: string;
  /** how to pick another port, for the command at hand */
  portHint?: string;
}

/** the message for an operator's mistake, or undefined when the error is not one */
export function startupMistake(err: unknown, at?: StartupContext): string | undefined {
  if (!(err instanceof Error)) return undefined;
  if (err.name === 'ConfigError') return err.message;
  const e = err as NodeJS.ErrnoException & { syscall?: string; address?: string; path?: string };
  if (at && (e.syscall === 'listen' || e.syscall === 'bind' || e.syscall === 'getaddrinfo')) {
    const where = `${at.host}:${at.port}`;
    switch (e.code) {
      case 'EADDRINUSE':
        return `server.port: ${where} is already in use (another gateway or program listens there); ${at.portHint ?? 'pick another server.port or --port'}`;
      case 'EACCES':
        return `server.port: not allowed to listen on ${where} (ports below 1024 need privileges)`;
      case 'EADDRNOTAVAIL':
        return `server.host: cannot listen on ${at.host}: not an address of this machine`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `server.host: cannot resolve ${at.host}`;
    }
  }
  if (at && e.path !== undefined && ['ENOTDIR', 'EEXIST', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC'].includes(e.code ?? '')) {
    return `dataDir: cannot use ${at.dataDir}: ${e.code} on ${e.path}`;
  }
  // the ledger's single-writer lock (src/ledger/journal.ts): two gateways on one data dir
  if (at && /another Tollgate process .* is writing the ledger/.test(e.message)) return `dataDir: ${e.message}`;
  return undefined;
}

/** an optional native dependency that did not install (it builds from source): what to tell the user */
export function missingNative(err: unknown): string | undefined {
  const m = /Cannot find (?:package|module) '(better-sqlite3|hnswlib-node)'/.exec(String((err as Error)?.message));
  return m ? `this command needs the optional native package ${m[1]}, which is not installed (it builds from source: python3, make and a C++ compiler); install it with \`npm install ${m[1]}\`` : undefined;
}

export function failStartup(err: unknown, at?: StartupContext): never {
  const mistake = missingNative(err) ?? startupMistake(err, at);
  if (mistake !== undefined) {
    console.error(`tollgate: ${mistake}`);
    process.exit(2);
  }
  console.error('tollgate: start-up failed (a bug, please report it):', err);
  process.exit(1);
}
