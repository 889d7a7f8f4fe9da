// The payload store's redaction rule, applied to every request before it is stored (there is no
// switch to turn it off). It replaces, in every text the request carries (system prompt, message
// text, tool results, tool-call arguments, tool descriptions):
//   - secrets: every key-shaped token and every secret the gateway holds (providers/shared/redact.ts:
//     sk-..., sk-ant-..., AIza..., tg_..., "Bearer ...", configured provider keys) -> [redacted]
//   - e-mail addresses -> [email]
//   - card-like numbers: 13-19 digits, optionally in groups split by spaces or dashes -> [card]
//   - IBANs: two letters, two digits, 11-30 letters or digits -> [iban]
//   - phone-like numbers: 9-15 digits with optional +, spaces, dots, dashes, parentheses -> [phone]
//   - IPv4 addresses -> [ip]
// and drops what identifies a person or carries a file: `user`, `metadata`, image data and URLs.
// Token counts of a redacted prompt differ slightly from the original's; replay prices an unchanged
// request from its recorded usage, not from the stored text (see src/forecast/replay/price-only-upstream.ts).

import type { ChatRequest, ContentPart, Message, TextPart } from '../core/canonical.js';
import { redactSecrets } from '../providers/shared/redact.js';

const PII: [RegExp, string][] = [
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '[email]'],
  [/\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g, '[iban]'],
  [/\b(?:\d[ -]?){12,18}\d\b/g, '[card]'],
  [/(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d(?:[ .-]?\d){8,14}\b/g, '[phone]'],
  [/\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g, '[ip]'],
];

export function redactText(text: string): string {
  let out = redactSecrets(text);
  for (const [re, label] of PII) out = out.replace(re, label);
  return out;
}

function redactPart(p: ContentPart): ContentPart | undefined {
  switch (p.type) {
    case 'text':
      return { ...p, text: redactText(p.text) };
    case 'thinking':
      return { ...p, text: redactText(p.text), signature: undefined };
    case 'tool_call':
      return { ...p, arguments: redactText(p.arguments) };
    case 'tool_result':
      return { ...p, content: typeof p.content === 'string' ? redactText(p.content) : p.content.map((t) => ({ ...t, text: redactText(t.text) })) };
    case 'image':
      return undefined;
  }
}

export function redactRequest(req: ChatRequest): ChatRequest {
  const messages: Message[] = req.messages.map((m) => ({ ...m, content: m.content.map(redactPart).filter((p): p is ContentPart => p !== undefined) }));
  const system: TextPart[] = req.system.map((p) => ({ ...p, text: redactText(p.text) }));
  const out: ChatRequest = { ...req, system, messages, extra: {}, extraFormat: undefined };
  delete out.user;
  delete out.metadata;
  if (req.tools) out.tools = req.tools.map((t) => ({ ...t, description: t.description === undefined ? undefined : redactText(t.description) }));
  return out;
}
