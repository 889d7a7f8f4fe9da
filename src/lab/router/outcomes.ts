// A user's own outcome file for `tollgate router eval --outcomes`: a CSV with a `prompt` column and
// one correctness (or score) column per model. Correctness columns are those whose every value is a
// number or true/false (an unnamed column or one named id, index, row or *_id is not one); the weak
// and strong ones are named, or detected when there are exactly two (the one with the higher mean
// is the strong model).

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { countTextTokens } from '../../core/tokens.js';
import { parseCsv, type OutcomeItem, type OutcomeSet } from './datasets.js';

export interface OutcomeFileOptions {
  weak?: string;
  strong?: string;
  /** column fed to the classifier as the task tag, when the weights use one */
  taskColumn?: string;
  prices: OutcomeSet['prices'];
  outputTokens: number;
}

function parseValue(v: string): number | undefined {
  const t = v.trim().toLowerCase();
  if (t === 'true') return 1;
  if (t === 'false') return 0;
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

export function loadOutcomeCsv(path: string, o: OutcomeFileOptions): OutcomeSet {
  const name = basename(path);
  const rows = parseCsv(readFileSync(path, 'utf8')).filter((r) => !(r.length === 1 && r[0] === ''));
  if (rows.length < 2) throw new Error(`${name} has no data rows (a header line and at least one row are needed)`);
  const head = rows[0]!.map((h) => h.trim());
  const iPrompt = head.indexOf('prompt');
  if (iPrompt < 0) throw new Error(`${name} has no "prompt" column (columns: ${head.join(', ')})`);
  for (let r = 1; r < rows.length; r++) if (rows[r]!.length !== head.length) throw new Error(`${name} row ${r + 1} has ${rows[r]!.length} fields, the header has ${head.length}`);
  // a row number or id is numeric too, but never a model's outcome
  const notOutcome = (h: string): boolean => h === '' || /^(id|index|row|unnamed.*|.*_id)$/i.test(h);
  const numeric = head.filter((h, i) => i !== iPrompt && h !== o.taskColumn && !notOutcome(h) && rows.slice(1).every((r) => parseValue(r[i]!) !== undefined));
  const column = (h: string): number => {
    const i = head.indexOf(h);
    if (i < 0) throw new Error(`${name} has no column "${h}" (columns: ${head.join(', ')})`);
    for (let r = 1; r < rows.length; r++)
      if (parseValue(rows[r]![i]!) === undefined) throw new Error(`${name} row ${r + 1}: "${rows[r]![i]!.slice(0, 40)}" in column "${h}" is not a number or true/false`);
    return i;
  };
  const mean = (i: number): number => rows.slice(1).reduce((s, r) => s + parseValue(r[i]!)!, 0) / (rows.length - 1);
  for (const h of [o.weak, o.strong]) if (h !== undefined && !head.includes(h)) throw new Error(`${name} has no column "${h}" (columns: ${head.join(', ')})`);
  let weak = o.weak;
  let strong = o.strong;
  if (weak === undefined || strong === undefined) {
    const given = weak ?? strong;
    const others = numeric.filter((h) => h !== given);
    const expected = given === undefined ? 2 : 1;
    if (others.length !== expected)
      throw new Error(`${name} has ${numeric.length} correctness columns (${numeric.join(', ') || 'none'}); name the models' columns with --weak and --strong`);
    if (given === undefined) {
      const [a, b] = others as [string, string];
      [weak, strong] = mean(head.indexOf(a)) <= mean(head.indexOf(b)) ? [a, b] : [b, a];
    } else if (weak === undefined) weak = others[0];
    else strong = others[0];
  }
  if (weak === strong) throw new Error(`--weak and --strong name the same column "${weak}"`);
  const iW = column(weak!);
  const iS = column(strong!);
  const iTask = o.taskColumn !== undefined ? head.indexOf(o.taskColumn) : -1;
  if (o.taskColumn !== undefined && iTask < 0) throw new Error(`${name} has no column "${o.taskColumn}" (columns: ${head.join(', ')})`);
  const items: OutcomeItem[] = [];
  let scale = 1;
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    const text = row[iPrompt]!;
    const weakQ = parseValue(row[iW]!)!;
    const strongQ = parseValue(row[iS]!)!;
    scale = Math.max(scale, weakQ, strongQ);
    items.push({ group: `row${r}`, text, task: iTask >= 0 ? row[iTask]! : '', weakQ, strongQ, inputTokens: countTextTokens(text) });
  }
  return { name, weakModel: weak!, strongModel: strong!, prices: o.prices, outputTokens: o.outputTokens, scale, items, notes: [] };
}
