// Whether SSE bytes hold a given line: at a line start and followed by a line end (or the end of
// the bytes). A JSON data line can quote the same text inside a string, but never at a line start,
// since JSON escapes newlines, so this tells a real `data: [DONE]` from a model that wrote one.

const LF = 0x0a;
const CR = 0x0d;

export function hasSseLine(raw: Buffer, line: string): boolean {
  let at = raw.indexOf(line);
  while (at !== -1) {
    const before = at === 0 ? LF : raw[at - 1];
    const end = at + Buffer.byteLength(line);
    const after = end >= raw.length ? LF : raw[end];
    if ((before === LF || before === CR) && (after === LF || after === CR)) return true;
    at = raw.indexOf(line, at + 1);
  }
  return false;
}

/** the same, with or without the one optional space SSE allows after the field's colon */
export function hasSseField(raw: Buffer, field: string, value: string): boolean {
  return hasSseLine(raw, `${field}: ${value}`) || hasSseLine(raw, `${field}:${value}`);
}
