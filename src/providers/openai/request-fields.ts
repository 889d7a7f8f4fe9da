// Checking a field of an OpenAI request body, with OpenAI's own error wording (a 400 naming the
// field): shared by the Chat Completions and the Responses parsers.

import { GatewayError } from '../../core/errors.js';

export function bad(message: string, param: string, code: 'invalid_request' | 'unsupported' = 'invalid_request'): GatewayError {
  return new GatewayError(code, message, { param });
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

export function expectString(v: unknown, param: string): string {
  if (typeof v !== 'string') throw bad(`Invalid type for '${param}': expected a string, but got ${typeName(v)} instead.`, param);
  return v;
}

export function optNumber(v: unknown, param: string, min: number, max: number, integer = false): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw bad(`Invalid type for '${param}': expected a number, but got ${typeName(v)} instead.`, param);
  // JSON.parse turns a literal beyond ±1.8e308 (e.g. 1e400) into ±Infinity
  if (!Number.isFinite(v)) throw bad(`Invalid '${param}': the number is too large to represent; expected a finite number.`, param);
  if (integer && !Number.isInteger(v)) throw bad(`Invalid '${param}': expected an integer, but got ${v} instead.`, param);
  if (v < min) throw bad(`Invalid '${param}': ${v} is less than the minimum of ${min}.`, param);
  if (v > max) throw bad(`Invalid '${param}': ${v} is greater than the maximum of ${max}.`, param);
  return v;
}
