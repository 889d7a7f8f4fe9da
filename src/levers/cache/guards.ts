// Guards that veto a semantic hit whose texts are close in embedding space but ask different
// things: a negation on one side only, an antonym swap (enable/disable), a different number or
// date, or a different named entity, quoted string or code identifier. Cheap, deterministic, and
// biased towards vetoing: a vetoed paraphrase costs one upstream call, a false hit a wrong answer.

import type { GuardsConfig } from './config.js';

const NEGATIONS = new Set([
  'not', 'no', 'never', 'none', 'nothing', 'nobody', 'nowhere', 'neither', 'nor', 'without', 'cannot',
  'dont', 'doesnt', 'didnt', 'isnt', 'arent', 'wasnt', 'werent', 'cant', 'couldnt', 'wont', 'wouldnt',
  'shouldnt', 'havent', 'hasnt', 'hadnt', 'mustnt', 'neednt', 'aint',
]);

/** Word pairs whose swap flips the question. Stems match by prefix (disabl -> disable, disabling). */
const ANTONYMS: [string, string][] = [
  ['enabl', 'disabl'], ['increas', 'decreas'], ['add', 'remov'], ['install', 'uninstall'], ['start', 'stop'],
  ['open', 'clos'], ['allow', 'block'], ['allow', 'deny'], ['accept', 'reject'], ['encrypt', 'decrypt'],
  ['compress', 'decompress'], ['upload', 'download'], ['import', 'export'], ['lock', 'unlock'], ['show', 'hid'],
  ['min', 'max'], ['minimum', 'maximum'], ['best', 'worst'], ['better', 'worse'], ['most', 'least'], ['more', 'less'],
  ['before', 'after'], ['first', 'last'], ['high', 'low'], ['up', 'down'], ['in', 'out'], ['on', 'off'],
  ['buy', 'sell'], ['win', 'los'], ['gain', 'los'], ['true', 'false'], ['yes', 'no'], ['pros', 'cons'],
  ['advantag', 'disadvantag'], ['benefit', 'drawback'], ['good', 'bad'], ['love', 'hat'], ['like', 'dislik'],
  ['fast', 'slow'], ['cheap', 'expensiv'], ['big', 'small'], ['larg', 'small'], ['long', 'short'], ['old', 'new'],
  ['young', 'old'], ['rich', 'poor'], ['hot', 'cold'], ['legal', 'illegal'], ['possibl', 'impossibl'],
  ['subscrib', 'unsubscrib'], ['connect', 'disconnect'], ['mount', 'unmount'], ['follow', 'unfollow'],
  ['activat', 'deactivat'], ['login', 'logout'], ['sign in', 'sign out'], ['import', 'export'], ['male', 'female'],
  ['men', 'women'], ['boy', 'girl'], ['north', 'south'], ['east', 'west'], ['left', 'right'], ['above', 'below'],
  ['inside', 'outside'], ['positive', 'negative'], ['success', 'fail'], ['safe', 'unsafe'], ['happy', 'sad'],
  ['send', 'receiv'], ['push', 'pull'], ['encod', 'decod'], ['serializ', 'deserializ'], ['creat', 'delet'],
  ['includ', 'exclud'], ['ascend', 'descend'], ['raise', 'lower'], ['expand', 'collaps'], ['attach', 'detach'],
];

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'today', 'tomorrow', 'yesterday', 'tonight'];
const NUMBER_WORDS: Record<string, string> = {
  zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9', ten: '10',
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
  negated: boolean;
  numbers: string[];
  dates: string[];
  entities: string[];
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
  return { words: set, negated: words.some((w) => NEGATIONS.has(w) || w.endsWith('nt') && NEGATIONS.has(w)), numbers, dates, entities };
}

function isMonthWord(w: string): boolean {
  return /^(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)$/.test(w);
}

const sameMultiset = (a: string[], b: string[]): boolean => {
  if (a.length !== b.length) return false;
  const x = [...a].sort(), y = [...b].sort();
  return x.every((v, i) => v === y[i]);
};
const sameSet = (a: string[], b: string[]): boolean => {
  const x = new Set(a), y = new Set(b);
  if (x.size !== y.size) return false;
  for (const v of x) if (!y.has(v)) return false;
  return true;
};

function hasStem(words: Set<string>, stem: string): boolean {
  if (stem.includes(' ')) return [...words].join(' ').includes(stem);
  if (stem.length <= 3) return words.has(stem);
  for (const w of words) if (w.startsWith(stem)) return true;
  return false;
}

export type VetoReason = 'negation' | 'antonym' | 'number' | 'date' | 'entity';

/** The first guard that vetoes serving `candidate`'s answer to `query`, or undefined. */
export function veto(query: Signature, candidate: Signature, cfg: GuardsConfig): { reason: VetoReason; detail?: string } | undefined {
  if (cfg.negation && query.negated !== candidate.negated) return { reason: 'negation' };
  if (cfg.antonyms) {
    for (const [x, y] of ANTONYMS) {
      const qx = hasStem(query.words, x), qy = hasStem(query.words, y), cx = hasStem(candidate.words, x), cy = hasStem(candidate.words, y);
      // one side says x where the other says y (and not both words on either side)
      if ((qx && !qy && cy && !cx) || (qy && !qx && cx && !cy)) {
        return { reason: 'antonym', detail: `${x}/${y}` };
      }
    }
  }
  if (cfg.numbers) {
    if (!sameMultiset(query.numbers, candidate.numbers)) return { reason: 'number', detail: `${query.numbers.join(',')} vs ${candidate.numbers.join(',')}` };
    if (!sameSet(query.dates, candidate.dates)) return { reason: 'date', detail: `${query.dates.join(',')} vs ${candidate.dates.join(',')}` };
  }
  if (cfg.entities && !sameSet(query.entities, candidate.entities)) {
    return { reason: 'entity', detail: `${query.entities.join(',')} vs ${candidate.entities.join(',')}` };
  }
  return undefined;
}

export const ALL_GUARDS: GuardsConfig = { negation: true, antonyms: true, numbers: true, entities: true };
