// The nesting limit for request bodies (issue 13 finding 7): 3,000-5,000 levels in ~10 KB overflowed
// recursive serialisers (the cache key, JSON.stringify in the ledger) and answered 500, and a 10 MiB
// body of brackets kept JSON.parse busy for seconds. The raw bytes are scanned before parsing, in one
// pass with no allocation, so absurd nesting is refused before any work grows with it.

/** the deepest nesting of objects and arrays a request body may have (the body itself is level 1) */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * True when the JSON text in `bytes` nests objects/arrays deeper than `max`. Brackets inside strings
 * do not count; UTF-8 multi-byte sequences never contain these ASCII bytes. Malformed JSON is left
 * for JSON.parse to report.
 */
export function jsonDeeperThan(bytes: Uint8Array, max: number = MAX_JSON_DEPTH): boolean {
  // nesting cannot pass `max` with at most `max` opening brackets in all: counted with the native
  // indexOf, this settles nearly every real request without the byte-by-byte walk
  if (opensAtMost(bytes, max)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  return false;
}

function opensAtMost(bytes: Uint8Array, max: number): boolean {
  let n = 0;
  for (let i = bytes.indexOf(OPEN_BRACE); i !== -1; i = bytes.indexOf(OPEN_BRACE, i + 1)) if (++n > max) return false;
  for (let i = bytes.indexOf(OPEN_BRACKET); i !== -1; i = bytes.indexOf(OPEN_BRACKET, i + 1)) if (++n > max) return false;
  return true;
}
