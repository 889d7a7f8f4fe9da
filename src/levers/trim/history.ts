// The conversation as units that can be dropped whole (pure). A turn starts at a user message that
// answers no tool call, and runs until the next one: the user's message, the assistant's replies,
// its tool calls and their results. A unit is one turn, or several when a tool call in one has its
// result in another (so a call never loses its result, nor a result its call). Messages before the
// first user turn are a unit of their own. The last unit (the current turn) is never dropped.

import type { ChatRequest, Message } from '../../core/canonical.js';

export interface Unit {
  /** message indices [start, end) */
  start: number;
  end: number;
  pinned: boolean;
}

const isTurnStart = (m: Message): boolean => m.role === 'user' && !m.content.some((p) => p.type === 'tool_result');

export interface PinRules {
  pinFirstTurns: number;
  pinNames: readonly string[];
  /** message indices pinned by the caller (header x-tollgate-pin) */
  pinnedIndices: ReadonlySet<number>;
}

export function unitsOf(messages: readonly Message[], pins: PinRules): Unit[] {
  const starts: number[] = [];
  messages.forEach((m, i) => {
    if (i === 0 || isTurnStart(m)) starts.push(i);
  });
  const initial = starts.map((s, k) => ({ start: s, end: starts[k + 1] ?? messages.length }));
  // tool calls and their results: the turns from a call to its result become one unit (one linear
  // sweep: reach[k] is the furthest turn a call in turn k, or before it, has its result in)
  const turnOf = new Array<number>(messages.length);
  initial.forEach((u, k) => {
    for (let i = u.start; i < u.end; i++) turnOf[i] = k;
  });
  const reach = initial.map((_, k) => k);
  const callTurn = new Map<string, number>();
  messages.forEach((m, i) => {
    for (const p of m.content) {
      if (p.type === 'tool_call') callTurn.set(p.id, turnOf[i]!);
      else if (p.type === 'tool_result') {
        const c = callTurn.get(p.toolCallId);
        if (c !== undefined && turnOf[i]! > reach[c]!) reach[c] = turnOf[i]!;
      }
    }
  });
  const units: Unit[] = [];
  for (let k = 0; k < initial.length; ) {
    let last = reach[k]!;
    let j = k;
    while (j < last) {
      j++;
      if (reach[j]! > last) last = reach[j]!;
    }
    units.push({ start: initial[k]!.start, end: initial[last]!.end, pinned: false });
    k = last + 1;
  }
  let turns = 0;
  for (const u of units) {
    const first = messages[u.start]!;
    const isTurn = isTurnStart(first);
    if (isTurn && turns < pins.pinFirstTurns) u.pinned = true;
    if (isTurn) turns++;
    for (let i = u.start; i < u.end; i++) {
      const m = messages[i]!;
      if (pins.pinnedIndices.has(i) || (m.name !== undefined && pins.pinNames.includes(m.name))) u.pinned = true;
    }
  }
  return units;
}

/** `x-tollgate-pin: 0,3` → {0, 3}; anything that is not a list of indices is ignored */
export function parsePinHeader(v: string | undefined): Set<number> {
  const out = new Set<number>();
  if (!v) return out;
  for (const s of v.split(',').slice(0, 1024)) {
    const n = Number(s.trim());
    if (Number.isInteger(n) && n >= 0) out.add(n);
  }
  return out;
}

/**
 * The droppable units before the cut: dropping `cut` of them removes the first `cut` unpinned
 * units that are not the last. `droppable` lists their indices in `units`, oldest first.
 */
export function droppable(units: readonly Unit[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < units.length - 1; i++) if (!units[i]!.pinned) out.push(i);
  return out;
}

/**
 * The request with the first `cut` droppable units removed: pinned units stay in place, and the
 * summary (when given) goes in front of the first kept message after the dropped ones, as a text
 * part of its own (a turn start is a user message).
 */
export function dropUnits(req: ChatRequest, units: readonly Unit[], cut: number, summary?: string): { request: ChatRequest; dropped: Message[]; droppedTurns: number } {
  const drop = new Set(droppable(units).slice(0, cut));
  const messages: Message[] = [];
  const dropped: Message[] = [];
  const keptIndices: number[] = [];
  let lastDroppedUnit = -1;
  units.forEach((u, k) => {
    if (drop.has(k)) lastDroppedUnit = k;
    for (let i = u.start; i < u.end; i++) {
      if (drop.has(k)) dropped.push(req.messages[i]!);
      else {
        messages.push(req.messages[i]!);
        keptIndices.push(i);
      }
    }
  });
  if (summary !== undefined && lastDroppedUnit >= 0) {
    // the first message of the unit right after the last dropped one
    const next = units[lastDroppedUnit + 1]!;
    const at = messages.indexOf(req.messages[next.start]!);
    const m = messages[at]!;
    messages[at] = { ...m, content: [{ type: 'text', text: summary }, ...m.content] };
  }
  return { request: withMessages(req, messages, keptIndices), dropped, droppedTurns: drop.size };
}

/**
 * The request with `messages` (those of `req` at `keptIndices`, some possibly rewritten): the
 * wire indices follow, so the x-tollgate-context header still names the client's messages.
 */
export function withMessages(req: ChatRequest, messages: Message[], keptIndices: readonly number[]): ChatRequest {
  const wire = req.wireIndex;
  return { ...req, messages, wireIndex: { system: wire?.system ?? [], messages: keptIndices.map((i) => wire?.messages[i] ?? i) } };
}

/** the smallest cut that keeps at most `n` turns besides the pinned ones */
export function cutForLastTurns(units: readonly Unit[], n: number): number {
  const d = droppable(units);
  // units after the droppable ones counted from the end: the last unit is always kept
  const keptUnpinned = d.length + 1;
  return Math.max(0, Math.min(d.length, keptUnpinned - n));
}
