// Cascade checks: does a cheap tier's answer stand, or do we escalate? Each check returns the reason
// it failed (for the trail) or undefined. JSON schema checks use ajv with compiled validators kept
// in a small bounded cache (the same response_format schema recurs across requests).

import { Ajv, type ValidateFunction } from 'ajv';
import type { ChatRequest, ChatResponse } from '../../core/canonical.js';

export type CheckName = 'refusal' | 'empty' | 'truncated' | 'json_schema';

export function answerText(res: ChatResponse): string {
  let s = '';
  for (const p of res.content) if (p.type === 'text') s += p.text;
  return s;
}

const ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false });
const validators = new Map<string, ValidateFunction | Error>();
const MAX_VALIDATORS = 256;

function validatorFor(schema: Record<string, unknown>): ValidateFunction | Error {
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (v === undefined) {
    try {
      v = ajv.compile(schema);
    } catch (err) {
      v = err as Error;
    }
    if (validators.size >= MAX_VALIDATORS) validators.delete(validators.keys().next().value!);
    validators.set(key, v);
  }
  return v;
}

/** Reason the answer fails `check`, or undefined when it passes. */
export function runCheck(check: CheckName, req: ChatRequest, res: ChatResponse, refusal: readonly RegExp[]): string | undefined {
  switch (check) {
    case 'truncated':
      return res.finishReason === 'length' ? 'truncated (finish_reason length)' : undefined;
    case 'empty': {
      const hasTool = res.content.some((p) => p.type === 'tool_call');
      return !hasTool && answerText(res).trim() === '' ? 'empty answer' : undefined;
    }
    case 'refusal': {
      if (res.finishReason === 'content_filter') return 'refusal (content_filter)';
      const text = answerText(res);
      return refusal.some((re) => re.test(text)) ? 'refusal' : undefined;
    }
    case 'json_schema': {
      const rf = req.responseFormat;
      if (!rf || rf.type === 'text') return undefined;
      let value: unknown;
      try {
        value = JSON.parse(answerText(res));
      } catch {
        return 'invalid JSON';
      }
      if (rf.type === 'json_object') return value !== null && typeof value === 'object' && !Array.isArray(value) ? undefined : 'JSON is not an object';
      const v = validatorFor(rf.schema);
      if (v instanceof Error) return undefined; // an unusable schema is the client's problem, not a reason to pay for escalation
      if (v(value)) return undefined;
      const e = v.errors?.[0];
      return `JSON schema violation${e ? `: ${e.instancePath || '/'} ${e.message ?? ''}` : ''}`.trim();
    }
  }
}
