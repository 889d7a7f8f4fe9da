// Issue 13 finding 6: an OpenAI-compatible upstream that answers 401 "Incorrect API key provided:
// <the key>" had the gateway relay its own provider key to every client and store it in the journal,
// ledger.db and `tollgate ledger` output. A real upstream on 127.0.0.1 echoes whatever key it gets;
// neither the official clients, nor any file in the data directory, nor the CLI may show it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { Command } from 'commander';
import { resolveConfig } from '../../src/config/load.js';
import { demoConfig } from '../../src/config/demo.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';
import { registerLedgerCommand } from '../../src/cli/ledger.js';
import { redactSecrets, registerSecrets } from '../../src/providers/shared/redact.js';

/** key-shaped (OpenAI project key) */
const KEY_SHAPED = 'sk-proj-Zq8vN3xT5bL0mR7kW2pY4cJ6hF9dS1aG';
/** not key-shaped: only the gateway knowing it as its own can redact it */
const KEY_PLAIN = 'acme-internal-7f3e9b2c4d1a';
/** an Anthropic key in a configured header */
const KEY_HEADER = 'sk-ant-api03-Hh4kT9wQ2zX7mN5bV8cL1pR6';
const SECRETS = [KEY_SHAPED, KEY_PLAIN, KEY_HEADER];

let upstream: Server;
let gw: RunningGateway;
let dataDir: string;

beforeAll(async () => {
  // answers every call 401, echoing the key it was sent, as OpenAI and many compatible servers do
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const auth = String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      const other = String(req.headers['x-upstream-key'] ?? '');
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: `Incorrect API key provided: ${auth}${other ? ` (and ${other})` : ''}. You can find your API key at https://platform.openai.com/account/api-keys.`, type: 'invalid_request_error', param: auth, code: 'invalid_api_key' },
        }),
      );
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-secrets-'));
  const base = demoConfig({ simUrl: 'http://127.0.0.1:9', port: 0, dataDir, levers: false }) as { providers: unknown[]; models: unknown[] };
  const config = resolveConfig(
    {
      ...base,
      cache: { enabled: false },
      providers: [
        ...base.providers,
        { name: 'echo-shaped', kind: 'openai-compatible', baseUrl: url, apiKeyEnv: 'ECHO_KEY_SHAPED' },
        { name: 'echo-plain', kind: 'openai-compatible', baseUrl: url, apiKeyEnv: 'ECHO_KEY_PLAIN', headers: { 'x-upstream-key': KEY_HEADER } },
      ],
      models: [
        ...base.models,
        { name: 'echo-shaped', provider: 'echo-shaped', price: { provider: 'openai', model: 'gpt-4o' } },
        { name: 'echo-plain', provider: 'echo-plain', price: { provider: 'openai', model: 'gpt-4o' } },
      ],
    },
    '(test)',
    { ECHO_KEY_SHAPED: KEY_SHAPED, ECHO_KEY_PLAIN: KEY_PLAIN },
  );
  gw = await startGateway({ config, port: 0 });
});

afterAll(async () => {
  await gw?.close();
  await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const expectClean = (text: string, where: string): void => {
  for (const s of SECRETS) expect(text.includes(s), `${where} contains ${s.slice(0, 8)}…`).toBe(false);
};

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

describe('the gateway never relays or stores its own provider keys', () => {
  it('OpenAI client: the 401 arrives, without the key', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
    for (const model of ['echo-shaped', 'echo-plain']) {
      for (const stream of [false, true]) {
        const err = (await client.chat.completions
          .create({ model, messages: [{ role: 'user', content: 'hi' }], stream })
          .then(async (r) => {
            if (stream) for await (const _ of r as AsyncIterable<unknown>) void _;
            return r;
          })
          .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
        expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
        expect(err.message).toContain('Incorrect API key provided');
        expectClean(`${err.message} ${JSON.stringify(err.error)}`, `the ${model} client error`);
      }
    }
  });

  it('Anthropic client: the error arrives in its format, without the key', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'client-key', maxRetries: 0 });
    const err = (await client.messages.create({ model: 'echo-plain', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expectClean(`${err.message} ${JSON.stringify(err.error)}`, 'the Anthropic client error');
  });

  it('the journal, ledger.db (and its WAL) and `tollgate ledger` hold no key', async () => {
    // the journal before ingest, then everything once ingested
    for (const f of filesUnder(dataDir)) expectClean(readFileSync(f, 'latin1'), f);
    await gw.ledger.flush();
    const files = filesUnder(dataDir);
    expect(files.some((f) => f.endsWith('ledger.db'))).toBe(true);
    for (const f of files) expectClean(readFileSync(f, 'latin1'), f);

    for (const args of [['ledger', '--data-dir', dataDir], ['ledger', '--json', '--data-dir', dataDir]]) {
      let out = '';
      const program = new Command('tollgate').exitOverride();
      registerLedgerCommand(program, { out: (s) => (out += s), err: (s) => (out += s) });
      await program.parseAsync(args, { from: 'user' });
      expect(out).toContain(args.includes('--json') ? 'Incorrect API key provided' : 'auth');
      expectClean(out, `tollgate ${args.join(' ')}`);
    }
  });
});

describe('redactSecrets', () => {
  it('removes registered secrets and key-shaped tokens, and leaves ordinary text alone', () => {
    registerSecrets(['a-registered-secret-123', 'short']);
    expect(redactSecrets('x a-registered-secret-123 y')).toBe('x [redacted] y');
    expect(redactSecrets('short and sweet')).toBe('short and sweet');
    expect(redactSecrets('key sk-ant-api03-abcdefgh and sk-proj-****wxyz, Bearer tg_abcdefghijklmnop')).toBe('key [redacted] and [redacted], [redacted]');
    expect(redactSecrets('AIzaSyA1234567890abcdefghijklmnop')).toBe('[redacted]');
    expect(redactSecrets('The model was asked to skim the sk- prefix; task-based routing.')).toBe('The model was asked to skim the sk- prefix; task-based routing.');
  });
});
