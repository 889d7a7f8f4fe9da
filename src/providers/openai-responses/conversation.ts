// The stateful side of the Responses API: what a turn refers to (previous_response_id,
// item_reference), the stored form of an answer (its conversation's items, ids given, and the
// response object), and the list/delete answers. The server keeps the stored forms in a
// ResponseStore; this module says what they mean.

import type { StatefulCodec, StoredConversation } from '../codec.js';
import { isObject, type Json } from '../shared/json.js';
import { itemId, newResponseId } from './ids.js';
import { bad, parseResponsesTurn, turnStateOf } from './parse-request.js';

const ID_PREFIX: Record<string, 'msg' | 'fc' | 'rs' | 'fco'> = { message: 'msg', function_call: 'fc', reasoning: 'rs', function_call_output: 'fco' };

/** The conversation's items with an id on each (OpenAI lists input items with ids). */
function withIds(items: readonly unknown[], responseId: string): Json[] {
  return items.map((it, n) => {
    const item = isObject(it) ? it : {};
    if (typeof item.id === 'string' && item.id !== '') return item;
    return { id: itemId(ID_PREFIX[String(item.type)] ?? 'msg', responseId, 'i', n), ...item, ...(item.type === 'message' ? { status: 'completed' } : {}) };
  });
}

function outputOf(stored: StoredConversation): Json[] {
  const out = stored.response.output;
  return Array.isArray(out) ? out.filter(isObject) : [];
}

export const responsesState: StatefulCodec = {
  turnState: turnStateOf,
  newResponseId,
  parseTurn(body, previous, refs) {
    const prev = previous ? { inputItems: previous.inputItems.filter(isObject), output: outputOf(previous) } : undefined;
    const refMap = new Map<string, Json>();
    for (const [k, v] of refs) if (isObject(v)) refMap.set(k, v);
    return parseResponsesTurn(body, prev, refMap);
  },
  storedForm(items, response, responseId) {
    return { inputItems: withIds(items, responseId), response };
  },
  itemsOf(stored) {
    const byId = new Map<string, unknown>();
    for (const it of [...stored.inputItems, ...outputOf(stored)]) if (isObject(it) && typeof it.id === 'string') byId.set(it.id, it);
    return byId;
  },
  renderInputItems(items, query) {
    const limitText = query.get('limit');
    const limit = limitText === null ? 20 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw bad(`Invalid 'limit': expected an integer from 1 to 100.`, 'limit');
    const order = query.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw bad(`Invalid 'order': expected 'asc' or 'desc'.`, 'order');
    let list = items.filter(isObject);
    if (order === 'desc') list = [...list].reverse();
    const after = query.get('after');
    if (after !== null) {
      const at = list.findIndex((it) => it.id === after);
      list = at === -1 ? [] : list.slice(at + 1);
    }
    const page = list.slice(0, limit);
    return { object: 'list', data: page, first_id: page[0]?.id ?? null, last_id: page[page.length - 1]?.id ?? null, has_more: list.length > page.length };
  },
  renderDeleted(id) {
    return { id, object: 'response.deleted', deleted: true };
  },
};
