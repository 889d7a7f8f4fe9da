// `tollgate prompt lint`: where one request's input tokens go and what they cost a month at a
// stated request rate, repeated content, cache-unfriendly ordering, and what each trim setting
// would remove from it. Also the same per route from the ledger's records (which keep token
// components, never prompts). Pure: the CLI reads the files and prints.

import type { ChatRequest } from '../../core/canonical.js';
import { PROMPT_COMPONENTS, promptAnatomy, type PromptComponent } from '../../core/prompt-anatomy.js';
import { estimateInputTokens, countTextTokens, TokenBudget } from '../../core/tokens.js';
import type { RequestRecord } from '../../ledger/record.js';
import { variableBeforeStatic } from '../../levers/cache/prompt-cache.js';
import { trimContext } from '../../levers/trim/context.js';
import { cutForLastTurns, droppable, dropUnits, unitsOf } from '../../levers/trim/history.js';

const DAYS_PER_MONTH = 30;
/** shortest paragraph counted as repeated content (shorter ones repeat by nature: "Thanks!") */
const MIN_REPEAT_CHARS = 80;
const MAX_PARAGRAPHS = 20_000;

export interface LintPrices {
  model: string;
  /** USD per million input tokens */
  inputPerMTok: number;
  cachedInputPerMTok?: number;
}

export interface SectionLine {
  section: PromptComponent;
  tokens: number;
  share: number;
  usdPerRequest: number;
  usdPerMonth: number;
}

export interface Finding {
  kind: 'repeated' | 'ordering';
  message: string;
  tokens?: number;
  usdPerMonth?: number;
}

export interface TrimOption {
  setting: string;
  tokensRemoved: number;
  share: number;
  usdPerMonth: number;
  note?: string;
}

export interface RequestLint {
  model: string;
  requestsPerDay: number;
  totalTokens: number;
  usdPerRequest: number;
  usdPerMonth: number;
  sections: SectionLine[];
  chunks: number;
  turns: number;
  findings: Finding[];
  trimOptions: TrimOption[];
}

const usd = (tokens: number, p: LintPrices) => (tokens * p.inputPerMTok) / 1e6;

export function lintRequest(req: ChatRequest, prices: LintPrices, requestsPerDay: number, opts: { contextMessages?: ReadonlySet<number> } = {}): RequestLint {
  const anatomy = promptAnatomy(req, { contextMessages: opts.contextMessages });
  const total = anatomy.total;
  const monthly = (tokens: number) => usd(tokens, prices) * requestsPerDay * DAYS_PER_MONTH;
  const sections: SectionLine[] = PROMPT_COMPONENTS.filter((c) => anatomy.tokens[c] !== undefined).map((c) => ({
    section: c,
    tokens: anatomy.tokens[c]!,
    share: total ? anatomy.tokens[c]! / total : 0,
    usdPerRequest: usd(anatomy.tokens[c]!, prices),
    usdPerMonth: monthly(anatomy.tokens[c]!),
  }));
  const findings: Finding[] = [...repeatedContent(req, monthly), ...ordering(req, anatomy.chunks)];
  const units = unitsOf(req.messages, { pinFirstTurns: 0, pinNames: ['pinned'], pinnedIndices: new Set() });
  const trimOptions = trimSettings(req, units, total, monthly, opts.contextMessages, anatomy.chunks.length);
  return { model: prices.model, requestsPerDay, totalTokens: total, usdPerRequest: usd(total, prices), usdPerMonth: monthly(total), sections, chunks: anatomy.chunks.length, turns: units.length, findings, trimOptions };
}

/** paragraphs (and long lines) sent more than once in the same request */
function repeatedContent(req: ChatRequest, monthly: (t: number) => number): Finding[] {
  const seen = new Map<string, { count: number; where: string[]; text: string }>();
  let n = 0;
  const visit = (text: string, where: string) => {
    for (const para of text.split(/\n\s*\n/)) {
      if (++n > MAX_PARAGRAPHS) return;
      const norm = para.replace(/\s+/g, ' ').trim();
      if (norm.length < MIN_REPEAT_CHARS) continue;
      const e = seen.get(norm);
      if (e) {
        e.count++;
        e.where.push(where);
      } else seen.set(norm, { count: 1, where: [where], text: norm });
    }
  };
  req.system.forEach((p) => visit(p.text, 'system'));
  // named as the client sent them (OpenAI system messages are hoisted out of `messages`)
  req.messages.forEach((m, i) => {
    const where = `messages[${req.wireIndex?.messages[i] ?? i}]`;
    m.content.forEach((p) => {
      if (p.type === 'text') visit(p.text, where);
      else if (p.type === 'tool_result') visit(typeof p.content === 'string' ? p.content : p.content.map((x) => x.text).join('\n\n'), where);
    });
  });
  const b = new TokenBudget();
  const out: Finding[] = [];
  for (const e of seen.values()) {
    if (e.count < 2) continue;
    const extra = countTextTokens(e.text, b) * (e.count - 1);
    out.push({ kind: 'repeated', message: `${e.count}× the same ${e.text.length}-character paragraph (${[...new Set(e.where)].join(', ')}): "${e.text.slice(0, 60)}…"`, tokens: extra, usdPerMonth: monthly(extra) });
  }
  return out.sort((a, b2) => (b2.tokens ?? 0) - (a.tokens ?? 0)).slice(0, 20);
}

/** variable content ahead of static content: every prefix match after it breaks */
function ordering(req: ChatRequest, chunks: ReturnType<typeof promptAnatomy>['chunks']): Finding[] {
  const out: Finding[] = [];
  const v = variableBeforeStatic(req, 200);
  if (v) out.push({ kind: 'ordering', message: `variable content (${v.kind}) in ${v.segment} precedes ${v.staticCharsAfter} characters of static prompt: move it after the static part so the provider can cache the prefix` });
  const systemText = req.system.map((p) => p.text).join('');
  const inSystem = chunks.filter((c) => c.message === -1);
  if (inSystem.length > 0 && systemText.length > 0) {
    const lastPart = req.system.length - 1;
    const last = inSystem[inSystem.length - 1]!;
    const after = last.part < lastPart || (last.end !== undefined && last.end < req.system[last.part]!.text.length - 20);
    if (after) out.push({ kind: 'ordering', message: `retrieved context (it changes per request) sits inside the system prompt before static instructions: put the instructions first and the context after them, or in the user turn` });
  }
  return out;
}

function trimSettings(req: ChatRequest, units: ReturnType<typeof unitsOf>, total: number, monthly: (t: number) => number, contextMessages: ReadonlySet<number> | undefined, chunkCount: number): TrimOption[] {
  const out: TrimOption[] = [];
  const option = (setting: string, trimmed: ChatRequest | undefined, note?: string) => {
    const removed = trimmed ? total - promptAnatomy(trimmed, { contextMessages: undefined }).total : 0;
    out.push({ setting, tokensRemoved: Math.max(0, removed), share: total ? Math.max(0, removed) / total : 0, usdPerMonth: monthly(Math.max(0, removed)), ...(note ? { note } : {}) });
  };
  const turns = units.length;
  for (const n of [1, 2, 3, 5, 10]) {
    if (n >= turns) continue;
    const cut = cutForLastTurns(units, n);
    option(`history.keepLastTurns: ${n}`, cut > 0 ? dropUnits(req, units, cut).request : undefined);
  }
  const d = droppable(units);
  // the usual budgets under this request's size, and three quarters and half of it
  const budgets = new Set([2000, 4000, 8000, 16000, 32000].filter((b) => b < total));
  for (const f of [0.75, 0.5]) if (total * f >= 100) budgets.add(Math.round((total * f) / 100) * 100);
  for (const budget of [...budgets].sort((a, b) => b - a)) {
    let cut = 0;
    let trimmed: ChatRequest | undefined;
    for (cut = 1; cut <= d.length; cut++) {
      trimmed = dropUnits(req, units, cut).request;
      if (estimateInputTokens(trimmed) <= budget) break;
    }
    option(`history.maxInputTokens: ${budget}`, trimmed, cut > d.length ? 'the system prompt, tools and current turn alone are over it' : undefined);
  }
  if (chunkCount > 0) {
    for (const k of [1, 3, 5]) {
      if (k >= chunkCount) continue;
      option(`context.topK: ${k}`, trimContext(req, { topK: k, contextMessages })?.request);
    }
  }
  return out;
}

export function formatRequestLint(l: RequestLint): string {
  const money = (x: number) => `$${x < 1 ? x.toFixed(4) : x.toFixed(2)}`;
  const lines: string[] = [];
  lines.push(`${l.totalTokens} input tokens on ${l.model}: ${money(l.usdPerRequest)} a request, ${money(l.usdPerMonth)} a month at ${l.requestsPerDay} requests a day (input only)`);
  lines.push('');
  lines.push('section     tokens   share   $/request    $/month');
  for (const s of l.sections) lines.push(`${s.section.padEnd(10)} ${String(s.tokens).padStart(7)}  ${(100 * s.share).toFixed(1).padStart(5)}%  ${money(s.usdPerRequest).padStart(10)}  ${money(s.usdPerMonth).padStart(9)}`);
  lines.push(`(${l.turns} turn(s), ${l.chunks} retrieved chunk(s))`);
  lines.push('');
  if (l.findings.length === 0) lines.push('no repeated content, no cache-unfriendly ordering found');
  for (const f of l.findings) lines.push(`${f.kind === 'repeated' ? 'repeated' : 'ordering'}: ${f.message}${f.tokens ? ` (${f.tokens} extra tokens, ${money(f.usdPerMonth ?? 0)}/month)` : ''}`);
  lines.push('');
  lines.push('what each trim setting would remove from this request (list prices, no provider cache):');
  if (l.trimOptions.length === 0) lines.push('  nothing: one turn, no retrieved chunks, under every budget tried');
  for (const o of l.trimOptions) lines.push(`  ${o.setting.padEnd(32)} -${String(o.tokensRemoved).padStart(6)} tokens (${(100 * o.share).toFixed(1)}%)  ${money(o.usdPerMonth)}/month${o.note ? `  (${o.note})` : ''}`);
  return lines.join('\n');
}

export interface RouteLint {
  route: string;
  records: number;
  /** records with token components (the prompt anatomy in the ledger) */
  withComponents: number;
  requestsPerDay: number;
  /** measured from the records' span unless stated */
  rateMeasured: boolean;
  avgInputTokens: number;
  avgCostUsd: number;
  usdPerMonth: number;
  sections: Array<{ section: string; avgTokens: number; avgUsd?: number; usdPerMonth?: number }>;
  trimmed: { requests: number; tokensRemoved: number; netUsd: number };
  needsPayload: string[];
}

export function lintRoute(route: string, records: readonly RequestRecord[], requestsPerDay: number | undefined): RouteLint {
  const n = records.length;
  const times = records.map((r) => r.receivedAt);
  const spanDays = n > 1 ? (Math.max(...times) - Math.min(...times)) / 86_400_000 : 0;
  const rate = requestsPerDay ?? (spanDays > 0 ? n / spanDays : n);
  let input = 0;
  let cost = 0;
  let withComponents = 0;
  const tok: Record<string, number> = {};
  const dollars: Record<string, number> = {};
  const trimmed = { requests: 0, tokensRemoved: 0, netUsd: 0 };
  for (const r of records) {
    input += r.usage.input + r.usage.cacheRead + r.usage.cacheWrite5m + r.usage.cacheWrite1h;
    cost += r.costUsd;
    if (r.tokensByComponent) {
      withComponents++;
      for (const [k, v] of Object.entries(r.tokensByComponent)) tok[k] = (tok[k] ?? 0) + v;
      for (const [k, v] of Object.entries(r.costByComponent ?? {})) dollars[k] = (dollars[k] ?? 0) + v;
    }
    const trims = r.trail.filter((e) => e.stage === 'trim' && (e.decision === 'history' || e.decision === 'context'));
    if (trims.length) trimmed.requests++;
    for (const e of trims) {
      trimmed.tokensRemoved += Number(e.data?.tokensRemoved ?? 0);
      trimmed.netUsd += Number(e.data?.netUsd ?? 0);
    }
  }
  const perMonth = (perRequest: number) => perRequest * rate * DAYS_PER_MONTH;
  const sections = PROMPT_COMPONENTS.filter((c) => tok[c] !== undefined).map((c) => {
    const avgUsd = dollars[c] !== undefined ? dollars[c]! / withComponents : undefined;
    return { section: c, avgTokens: tok[c]! / withComponents, ...(avgUsd !== undefined ? { avgUsd, usdPerMonth: perMonth(avgUsd) } : {}) };
  });
  return {
    route,
    records: n,
    withComponents,
    requestsPerDay: rate,
    rateMeasured: requestsPerDay === undefined,
    avgInputTokens: n ? input / n : 0,
    avgCostUsd: n ? cost / n : 0,
    usdPerMonth: n ? perMonth(cost / n) : 0,
    sections,
    trimmed,
    needsPayload: [
      'repeated content and cache-unfriendly ordering (the ledger keeps no prompt text)',
      'what each trim setting would remove (it needs the turns and the chunks)',
      ...(withComponents < n ? [`the sections of ${n - withComponents} record(s) written before the ledger kept token components`] : []),
    ],
  };
}

export function formatRouteLint(l: RouteLint): string {
  const money = (x: number) => `$${x < 1 ? x.toFixed(4) : x.toFixed(2)}`;
  const lines = [
    `route ${l.route}: ${l.records} recent request(s), ${l.avgInputTokens.toFixed(0)} input tokens and ${money(l.avgCostUsd)} each; ${money(l.usdPerMonth)} a month at ${l.requestsPerDay.toFixed(0)} requests a day (${l.rateMeasured ? 'the rate of these records' : 'the stated rate'})`,
    '',
  ];
  if (l.sections.length) {
    lines.push('section     avg tokens   avg $     $/month');
    for (const s of l.sections) lines.push(`${s.section.padEnd(10)} ${s.avgTokens.toFixed(0).padStart(10)}  ${s.avgUsd !== undefined ? money(s.avgUsd).padStart(8) : '       -'}  ${s.usdPerMonth !== undefined ? money(s.usdPerMonth).padStart(9) : '        -'}`);
    lines.push(`(from ${l.withComponents} record(s) with token components)`);
  } else lines.push('no record has token components yet: the sections need records from a gateway that measures the prompt anatomy');
  lines.push('');
  lines.push(`trimmed: ${l.trimmed.requests} request(s), ${l.trimmed.tokensRemoved} tokens removed, ${money(l.trimmed.netUsd)} saved net`);
  lines.push('');
  lines.push('needs a request payload (run `tollgate prompt lint FILE` on one):');
  for (const p of l.needsPayload) lines.push(`  - ${p}`);
  return lines.join('\n');
}
