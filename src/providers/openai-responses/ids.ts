// Response and item ids in OpenAI's style. An item id the gateway makes shares its response's core
// (msg_<core>_o0 is an output item of resp_<core>), so ids stay traceable in logs.

import { createHash, randomBytes } from 'node:crypto';

const CORE = /^[0-9a-f]{48}$/;

export function newResponseId(): string {
  return `resp_${randomBytes(24).toString('hex')}`;
}

function coreOf(responseId: string): string {
  const core = responseId.startsWith('resp_') ? responseId.slice(5) : '';
  // a response id from elsewhere (an upstream's): a core derived from it, the same for all its items
  return CORE.test(core) ? core : createHash('sha256').update(responseId).digest('hex').slice(0, 48);
}

/** the id of the `n`th output item ('o') or input item ('i') of a response */
export function itemId(prefix: 'msg' | 'fc' | 'rs' | 'fco', responseId: string, side: 'o' | 'i', n: number): string {
  return `${prefix}_${coreOf(responseId)}_${side}${n}`;
}

