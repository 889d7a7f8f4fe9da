// Guards that veto a semantic hit whose texts are close in embedding space but ask different
// things: a negation on one side only, an antonym swap (enable/disable, above/below, cheap/
// expensive, install/uninstall), a different number or date, or a different named entity, quoted
// string or code identifier. Cheap, deterministic, and biased towards vetoing: a vetoed paraphrase
// costs one upstream call, a false hit a wrong answer.
//
// Antonyms come from WordNet 3.1 (every direct antonym pair of single words, precomputed offline
// into data/cache/wordnet-antonyms.json by src/lab/cache/build-antonyms.ts and loaded once, on
// first use) and are matched on lemmas (wink-lemmatizer), so "disabling" meets "enable". WordNet
// covers open-class words only; the closed-class opposites (with/without, to/from...) and the
// negating prefixes that make computing words (uninstall, decrypt, unsubscribe) are rules below.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import lemmatizer from 'wink-lemmatizer';
import type { GuardsConfig } from './config.js';

const NEGATIONS = new Set([
  'not', 'no', 'never', 'none', 'nothing', 'nobody', 'nowhere', 'neither', 'nor', 'without', 'cannot',
  'dont', 'doesnt', 'didnt', 'isnt', 'arent', 'wasnt', 'werent', 'cant', 'couldnt', 'wont', 'wouldnt',
  'shouldnt', 'havent', 'hasnt', 'hadnt', 'mustnt', 'neednt', 'aint',
]);

/**
 * Opposite prepositions and particles, which WordNet does not list (or lists as adverbs). They are
 * so common ("how to", "in India") that one on each side says little; they veto only in the same
 * place: the same word before ("turn on"/"turn off") or after ("to London"/"from London").
 */
const PARTICLE_OPPOSITES: [string, string][] = [
  ['to', 'from'], ['into', 'from'], ['onto', 'from'], ['into', 'out'], ['onto', 'off'], ['in', 'out'], ['up', 'down'],
  ['on', 'off'], ['over', 'under'], ['above', 'below'], ['above', 'beneath'], ['before', 'after'], ['inside', 'outside'],
  ['for', 'against'], ['with', 'without'], ['since', 'until'], ['ahead', 'behind'], ['in', 'off'],
];

/** Other closed-class opposites WordNet does not list: these veto anywhere in the text. */
const CLOSED_CLASS_OPPOSITES: [string, string][] = [
  ['always', 'never'], ['all', 'none'], ['everyone', 'nobody'], ['min', 'max'], ['pros', 'cons'], ['forward', 'backward'],
  ['forwards', 'backwards'], ['login', 'logout'], ['signin', 'signout'], ['ascending', 'descending'], ['asc', 'desc'],
  ['earlier', 'later'], ['earliest', 'latest'], ['higher', 'lower'], ['highest', 'lowest'], ['top', 'bottom'],
];

/** Opposites of software and everyday questions that WordNet does not pair (it has add/subtract, create/destroy). */
const UNPAIRED_IN_WORDNET: [string, string][] = [
  ['add', 'remove'], ['add', 'delete'], ['create', 'delete'], ['create', 'remove'], ['allow', 'block'], ['send', 'receive'],
  ['gain', 'lose'], ['benefit', 'drawback'], ['happy', 'sad'], ['expand', 'collapse'], ['upvote', 'downvote'], ['like', 'unlike'],
  ['show', 'hide'], ['merge', 'split'], ['easy', 'hard'], ['dark', 'bright'], ['common', 'rare'], ['approve', 'deny'],
];

/** word = prefix + stem (stem of 3+ letters): un-install, dis-connect, de-activate, non-profit... */
const NEGATING_PREFIXES = ['un', 'dis', 'de', 'non', 'anti', 'in', 'im', 'ir', 'il', 'mis'];
/** stems shared across an opposite pair of prefixes: en-crypt/de-crypt, up-load/down-load, im-port/ex-port */
const PREFIX_SWAPS: [string, string][] = [['en', 'de'], ['up', 'down'], ['im', 'ex'], ['in', 'ex'], ['in', 'out'], ['over', 'under'], ['pre', 'post'], ['inc', 'dec']];

/** Words that make an order swap harmless: "X or Y", "between X and Y", "X vs Y". */
const SYMMETRIC = new Set(['or', 'and', 'vs', 'versus', 'between', 'compared', 'compare', 'comparison', 'difference', 'both', 'v']);

const PARTICLES = new Map<string, string[]>();
for (const [a, b] of PARTICLE_OPPOSITES) {
  PARTICLES.set(a, [...(PARTICLES.get(a) ?? []), b]);
  PARTICLES.set(b, [...(PARTICLES.get(b) ?? []), a]);
}

let antonymMap: Map<string, string[]> | undefined;

/** The antonym map, built on first use from the shipped WordNet file and the rules above. */
export function antonyms(): Map<string, string[]> {
  if (antonymMap) return antonymMap;
  const file = fileURLToPath(new URL('../../../data/cache/wordnet-antonyms.json', import.meta.url));
  const { pairs } = JSON.parse(readFileSync(file, 'utf8')) as { pairs: [string, string][] };
  const m = new Map<string, string[]>();
  const add = (a: string, b: string): void => {
    const l = m.get(a);
    if (!l) m.set(a, [b]);
    else if (!l.includes(b)) l.push(b);
  };
  for (const [a, b] of [...pairs, ...CLOSED_CLASS_OPPOSITES, ...UNPAIRED_IN_WORDNET]) {
    if (PARTICLES.has(a) || PARTICLES.has(b)) continue; // WordNet's on/off, up/down...: only in context

    add(a, b);
    add(b, a);
  }
  return (antonymMap = m);
}

/** Opposites a word's form implies by prefix (uninstall -> install, decrypt -> encrypt). */
function prefixOpposites(w: string): string[] {
  const out: string[] = [];
  for (const p of NEGATING_PREFIXES) if (w.length >= p.length + 3 && w.startsWith(p)) out.push(w.slice(p.length));
  for (const [x, y] of PREFIX_SWAPS) {
    if (w.length >= x.length + 3 && w.startsWith(x)) out.push(y + w.slice(x.length));
    if (w.length >= y.length + 3 && w.startsWith(y)) out.push(x + w.slice(y.length));
  }
  return out;
}

/** The word and its noun, verb and adjective lemmas ("disabling" -> disable, "worst" -> bad). */
function lemmasOf(w: string, into: Set<string>): void {
  into.add(w);
  if (w.length < 3 || /\d/.test(w)) return;
  into.add(lemmatizer.noun(w));
  into.add(lemmatizer.verb(w));
  into.add(lemmatizer.adjective(w));
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'today', 'tomorrow', 'yesterday', 'tonight'];
const NUMBER_WORDS: Record<string, string> = {
  // not 'one': in questions it is mostly a pronoun ('why should one ...', 'which one is better')
  zero: '0', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9', ten: '10',
  eleven: '11', twelve: '12', twenty: '20', thirty: '30', forty: '40', fifty: '50', hundred: '100', thousand: '1000',
  million: '1000000', billion: '1000000000', first: '#1', second: '#2', third: '#3', fourth: '#4', fifth: '#5',
  single: '1', double: '2', twice: '2', half: '0.5', once: '1',
};

/** Sentence-initial and question words that are capitalised without being names. */
const COMMON_CAPS = new Set([
  'i', 'what', 'why', 'how', 'when', 'where', 'which', 'who', 'whom', 'whose', 'is', 'are', 'was', 'were', 'do', 'does',
  'did', 'can', 'could', 'should', 'would', 'will', 'may', 'might', 'the', 'a', 'an', 'if', 'in', 'on', 'my', 'it', 'its',
  'please', 'tell', 'give', 'explain', 'write', 'list', 'describe', 'show', 'find', 'has', 'have', 'there', 'this', 'that',
  'and', 'or', 'but', 'for', 'to', 'of', 'at', 'by', 'with', 'from', 'as', 'be', 'am', 'so', 'we', 'you', 'your', 'our',
  'hi', 'hello', 'hey', 'thanks', 'ok', 'okay', 'also', 'any', 'some', 'all', 'best', 'good', 'new', 'help', 'need',
]);

export interface Signature {
  words: Set<string>;
  /** the words and their lemmas: what the antonym guard compares */
  lemmas: Set<string>;
  /** [lemma, an opposite of it] for every lemma that has one, found once here so a veto is a few set probes */
  opposites: [string, string][];
  /** particles in context: "turn<on", "on>location" */
  particles: Set<string>;
  /** [own context, the same context with the opposite particle] */
  particleOpposites: [string, string][];
  negated: boolean;
  numbers: string[];
  dates: string[];
  entities: string[];
  /** names and opposite words (girl/boy) in order of appearance: "India nukes Pakistan" vs "Pakistan nukes India" */
  roles: string[];
  /** joined by a symmetric word (or, and, vs, between...): an order swap keeps the meaning */
  symmetric: boolean;
  /** NFKC lower-case text, where a quoted string or code identifier of the other side is looked for */
  lower: string;
}

const wordsOf = (t: string): string[] =>
  t.normalize('NFKC').toLowerCase().replace(/['’]/g, '').split(/[^\p{L}\p{N}.]+/u).map((w) => w.replace(/^\.+|\.+$/g, '')).filter(Boolean);

/** Everything the guards compare, computed once per text (stored with the entry). */
export function signature(text: string): Signature {
  const words = wordsOf(text);
  const set = new Set(words);
  const numbers: string[] = [];
  const dates: string[] = [];
  for (const w of words) {
    if (/\d/.test(w)) numbers.push(w.replace(/,/g, ''));
    else if (NUMBER_WORDS[w]) numbers.push(NUMBER_WORDS[w]!);
    if (DAYS.includes(w)) dates.push(w);
    else if (w.length >= 3 && MONTHS.includes(w.slice(0, 3)) && /^(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*$/.test(w) && isMonthWord(w)) dates.push(w.slice(0, 3));
  }
  const entities: string[] = [];
  // quoted strings and code-ish identifiers (snake_case, camelCase, dotted.names, calls())
  for (const m of text.matchAll(/["'`“‘]([^"'`”’]{1,80})["'`”’]/g)) entities.push('q:' + m[1]!.toLowerCase().trim());
  for (const m of text.matchAll(/\b[A-Za-z_][A-Za-z0-9_]*(?:[._][A-Za-z0-9_]+)+\b|\b[a-z]+[A-Z][A-Za-z0-9]*\b|\b\w+\(\)/g)) entities.push('c:' + m[0].toLowerCase());
  // capitalised words that are not sentence-initial filler: names, products, places, acronyms
  for (const m of text.matchAll(/(?:^|[^\p{L}\p{N}'’])(\p{Lu}[\p{L}\p{N}+#]*)/gu)) {
    const w = m[1]!.toLowerCase();
    if (!COMMON_CAPS.has(w) && !DAYS.includes(w) && !isMonthWord(w)) entities.push('e:' + w);
  }
  const lemmas = new Set<string>();
  for (const w of set) lemmasOf(w, lemmas);
  const map = antonyms();
  const opposites: [string, string][] = [];
  for (const x of lemmas) {
    for (const y of map.get(x) ?? []) opposites.push([x, y]);
    for (const y of prefixOpposites(x)) opposites.push([x, y]);
  }
  const roles: string[] = [];
  for (const w of words) {
    if (roles.includes(w)) continue;
    if (entities.includes('e:' + w) || (map.get(w) ?? []).some((y) => set.has(y))) roles.push(w);
  }
  const particles = new Set<string>();
  const particleOpposites: [string, string][] = [];
  for (let i = 0; i < words.length; i++) {
    const ys = PARTICLES.get(words[i]!);
    if (!ys) continue;
    const x = words[i]!, prev = words[i - 1] ?? '^', next = words[i + 1] ?? '$';
    particles.add(prev + '<' + x).add(x + '>' + next);
    for (const y of ys) particleOpposites.push([prev + '<' + x, prev + '<' + y], [x + '>' + next, y + '>' + next]);
  }
  return { words: set, lemmas, opposites, particles, particleOpposites, roles, symmetric: words.some((w) => SYMMETRIC.has(w)), negated: words.some((w) => NEGATIONS.has(w)), numbers, dates, entities, lower: text.normalize('NFKC').toLowerCase() };
}

function isMonthWord(w: string): boolean {
  return /^(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)$/.test(w);
}

/**
 * An entity of `a` the other side does not mention: a name counts as mentioned when the other side
 * has the word in any case (Quora paraphrases capitalise inconsistently), a quoted string or code
 * identifier when the other side's text contains it.
 */
function missingEntity(a: Signature, b: Signature): string | undefined {
  for (const e of a.entities) {
    const v = e.slice(2);
    if (e.startsWith('e:') ? !b.words.has(v) : !b.lower.includes(v)) return e;
  }
  return undefined;
}
const sameSet = (a: string[], b: string[]): boolean => {
  const x = new Set(a), y = new Set(b);
  if (x.size !== y.size) return false;
  for (const v of x) if (!y.has(v)) return false;
  return true;
};

/** The same names or opposites in swapped roles: who does what to whom changed. */
function swappedRoles(q: Signature, c: Signature): string | undefined {
  if (q.symmetric || c.symmetric || q.roles.length < 2 || q.roles.length !== c.roles.length) return undefined;
  if (!q.roles.every((r) => c.roles.includes(r))) return undefined;
  return q.roles.some((r, i) => c.roles[i] !== r) ? `order: ${q.roles.join(',')} vs ${c.roles.join(',')}` : undefined;
}

/** A lemma of `q` whose opposite is in `c`, where neither side has both: "enable" vs "disable". */
function antonymSwap(q: Signature, c: Signature): string | undefined {
  for (const [x, y] of q.opposites) if (!c.lemmas.has(x) && c.lemmas.has(y) && !q.lemmas.has(y)) return `${x}/${y}`;
  for (const [x, y] of q.particleOpposites) if (!c.particles.has(x) && c.particles.has(y) && !q.particles.has(y)) return `${x}/${y}`;
  return undefined;
}

export type VetoReason = 'negation' | 'antonym' | 'number' | 'date' | 'entity';

/** The first guard that vetoes serving `candidate`'s answer to `query`, or undefined. */
export function veto(query: Signature, candidate: Signature, cfg: GuardsConfig): { reason: VetoReason; detail?: string } | undefined {
  if (cfg.negation && query.negated !== candidate.negated) return { reason: 'negation' };
  if (cfg.antonyms) {
    // both directions: a prefix rule only fires from the prefixed word
    const swap = antonymSwap(query, candidate) ?? antonymSwap(candidate, query);
    if (swap) return { reason: 'antonym', detail: swap };
  }
  if (cfg.numbers) {
    if (!sameSet(query.numbers, candidate.numbers)) return { reason: 'number', detail: `${query.numbers.join(',')} vs ${candidate.numbers.join(',')}` };
    if (!sameSet(query.dates, candidate.dates)) return { reason: 'date', detail: `${query.dates.join(',')} vs ${candidate.dates.join(',')}` };
  }
  if (cfg.entities) {
    const e = missingEntity(query, candidate) ?? missingEntity(candidate, query) ?? swappedRoles(query, candidate);
    if (e) return { reason: 'entity', detail: e };
  }
  return undefined;
}

export const ALL_GUARDS: GuardsConfig = { negation: true, antonyms: true, numbers: true, entities: true };
