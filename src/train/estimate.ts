// What a training stage will cost, worked out before it runs: memory per parameter (weights,
// gradients and AdamW moments for what trains, weights only for what is frozen, activations for
// one batch) and, on request, the measured time of one real training step on the run's model shape.
// Not here: the training loop (sft.ts) or deciding to refuse a run (callers print or check).
import type { LlamaModel } from '../model/llama.js';
import { AdamW, clipGradNorm } from '../nn/index.js';
import { applyTrainingScope, type TrainingScope } from './training-scope.js';

export interface MemoryEstimate {
  parameters: number;
  trainable: number;
  /** weights 4 B/param (F32; 2 B for a BF16-held frozen base) + gradient 4 + AdamW m and v 8 = 16 B per trainable parameter */
  weightBytes: number;
  optimizerBytes: number;
  /** activations kept for backward, one batch (an estimate from the layer shapes) */
  activationBytes: number;
  totalBytes: number;
}

const F32 = 4;

/** Memory of one training step of `model` as scoped (LoRA / frozen layers) on batch x time tokens. */
export function trainingMemory(model: LlamaModel, batch: number, time: number): MemoryEstimate {
  const parameters = model.parameterCount() + [...(model.lora?.parameters().values() ?? [])].reduce((n, p) => n + p.size, 0);
  const trainable = [...model.trainableParameters().values()].reduce((n, p) => n + p.size, 0);
  const c = model.config;
  const tokens = batch * time;
  const D = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  // Per layer and token: ~8 hidden-sized tensors (norms, residuals, projections), q/k/v, 3 MLP-sized
  // tensors, and the attention probabilities (heads x time); plus the logits and their gradient.
  const perLayer = 8 * c.hidden_size + (c.num_attention_heads + 2 * c.num_key_value_heads) * D + 3 * c.intermediate_size + c.num_attention_heads * time;
  const activationBytes = F32 * tokens * (c.num_hidden_layers * perLayer + 2 * c.vocab_size);
  const weightBytes = F32 * parameters - 2 * model.packedParameterCount(); // BF16-held weights: 2 B
  const optimizerBytes = 3 * F32 * trainable; // gradient + m + v
  return { parameters, trainable, weightBytes, optimizerBytes, activationBytes, totalBytes: weightBytes + optimizerBytes + activationBytes };
}

function megabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export function describeMemory(estimate: MemoryEstimate): string {
  const frozen = estimate.parameters - estimate.trainable;
  return `${estimate.parameters.toLocaleString('en-US')} parameters (${estimate.trainable.toLocaleString('en-US')} trainable at 16 B each: weight, gradient, AdamW m and v; `
    + `${frozen.toLocaleString('en-US')} frozen, weights only, 4 B or 2 B in BF16): weights ${megabytes(estimate.weightBytes)} + gradients/optimizer ${megabytes(estimate.optimizerBytes)} `
    + `+ activations ~${megabytes(estimate.activationBytes)} = ~${megabytes(estimate.totalBytes)}`;
}

/**
 * Seconds per training step, measured: `steps` real forward/backward/AdamW steps (after one warm-up)
 * of a model of the same shape and training scope on random token ids. The model passed in is
 * used as is (its weights change); give it a throwaway copy.
 */
export function measureStepSeconds(model: LlamaModel, scope: TrainingScope, batch: number, time: number, steps = 1): number {
  applyTrainingScope(model, scope, 0);
  const parameters = model.trainableParameters();
  const optimizer = new AdamW(parameters, { lr: 1e-5 });
  const V = model.config.vocab_size;
  const ids = Int32Array.from({ length: batch * time }, (_, i) => (i * 7919) % V);
  const targets = Int32Array.from({ length: batch * time }, (_, i) => (i * 104729 + 1) % V);
  const step = () => {
    optimizer.zeroGrad();
    model.loss(ids, targets, null, batch, time).backward();
    clipGradNorm(parameters, 1);
    optimizer.step();
  };
  step(); // warm-up: buffer pools, native kernels
  const started = performance.now();
  for (let i = 0; i < steps; i++) step();
  return (performance.now() - started) / 1000 / steps;
}
