// Splits that keep every test question out of training: items whose prompts are the same after
// normalisation are one group and land in one split, and an evaluation on another data set leaves
// out the items whose prompt was trained on. The weight file carries hashes of its normalised
// training prompts, so `tollgate router eval` can do the same on a user's own outcomes.

import { createHash } from 'node:crypto';
import type { TrainingPrompts } from '../../levers/router/classifier/model.js';
import { seededRandom, shuffleInPlace } from './train.js';
import type { OutcomeItem } from './datasets.js';

export interface Split {
  train: OutcomeItem[];
  val: OutcomeItem[];
  test: OutcomeItem[];
}

/** Case, Unicode form, punctuation and spacing do not make a question new. */
export function normalisePrompt(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

const HASH_BYTES = 6;
export const PROMPT_HASH_SCHEME = `sha256 of the normalised prompt (NFKC, lower case, runs of other than letters and digits as one space), first ${HASH_BYTES} bytes`;

function promptKey(text: string): string {
  return createHash('sha256').update(normalisePrompt(text)).digest().subarray(0, HASH_BYTES).toString('hex');
}

export function trainingPrompts(items: readonly OutcomeItem[]): TrainingPrompts {
  const keys = [...new Set(items.map((it) => promptKey(it.text)))].sort();
  return { scheme: PROMPT_HASH_SCHEME, count: keys.length, values: Buffer.from(keys.join(''), 'hex').toString('base64') };
}

/** Membership test against a weight file's training prompts (null when the file has none or another scheme). */
export function seenInTraining(tp: TrainingPrompts | undefined): ((text: string) => boolean) | null {
  if (!tp || tp.scheme !== PROMPT_HASH_SCHEME) return null;
  const hex = Buffer.from(tp.values, 'base64').toString('hex');
  const keys = new Set<string>();
  for (let i = 0; i + HASH_BYTES * 2 <= hex.length; i += HASH_BYTES * 2) keys.add(hex.slice(i, i + HASH_BYTES * 2));
  return (text) => keys.has(promptKey(text));
}

/** Items of `items` whose normalised prompt does not occur in `seen`. */
export function unseenBy(items: readonly OutcomeItem[], seen: readonly OutcomeItem[]): { kept: OutcomeItem[]; excluded: number } {
  const keys = new Set(seen.map((it) => normalisePrompt(it.text)));
  const kept = items.filter((it) => !keys.has(normalisePrompt(it.text)));
  return { kept, excluded: items.length - kept.length };
}

/**
 * Groups that must not be split: the loader's groups (MT-Bench: both turns of a question), joined
 * when any of their prompts normalise to the same text.
 */
export function leakFreeGroups(items: readonly OutcomeItem[]): OutcomeItem[][] {
  const parent = new Map<string, string>();
  const find = (g: string): string => {
    let r = g;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(g, r);
    return r;
  };
  const byText = new Map<string, string>();
  for (const it of items) {
    if (!parent.has(it.group)) parent.set(it.group, it.group);
    const key = normalisePrompt(it.text);
    const other = byText.get(key);
    if (other === undefined) byText.set(key, it.group);
    else {
      const a = find(other);
      const b = find(it.group);
      if (a !== b) parent.set(b, a);
    }
  }
  const groups = new Map<string, OutcomeItem[]>();
  for (const it of items) {
    const r = find(it.group);
    const g = groups.get(r);
    if (g) g.push(it);
    else groups.set(r, [it]);
  }
  return [...groups.values()];
}

export function groupsShuffled(items: readonly OutcomeItem[], seed: number): OutcomeItem[][] {
  return shuffleInPlace(leakFreeGroups(items), seededRandom(seed));
}

export function splitByGroup(items: readonly OutcomeItem[], seed: number, trainShare = 0.6, valShare = 0.2): Split {
  const groups = groupsShuffled(items, seed);
  const nTrain = Math.round(groups.length * trainShare);
  const nVal = Math.round(groups.length * valShare);
  return { train: groups.slice(0, nTrain).flat(), val: groups.slice(nTrain, nTrain + nVal).flat(), test: groups.slice(nTrain + nVal).flat() };
}

/** k folds of whole groups: fold f is the test set of round f. */
export function foldsByGroup(items: readonly OutcomeItem[], seed: number, k: number): OutcomeItem[][] {
  const groups = groupsShuffled(items, seed);
  return Array.from({ length: k }, (_, f) => groups.filter((_, i) => i % k === f).flat());
}
