// LoRA on a tiny real Llama: starts exactly at the base model, gradients of A and B pass a
// finite-difference check, the merged weights reproduce the adapted forward, only the adapter (or
// the unfrozen layers) train, a resumed LoRA run ends bit-identical, and the PEFT files carry
// PEFT's names and shapes.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, gradcheck } from '../tensor/index.js';
import { LlamaModel, resolveLlamaConfig } from './llama.js';
import { readPeftTensors } from './peft.js';
import { readSafetensorsFile } from './safetensors.js';
import { StageCheckpointer } from '../train/checkpointing.js';
import { trainSft, type TrainingSettings } from '../train/sft.js';
import type { TokenizedExample } from '../train/batching.js';
import { Rng } from '../util/rng.js';
import type { LoraSettings } from '../nn/lora.js';

const engine = createEngine({ backend: 'js' });
const config = resolveLlamaConfig({ vocab_size: 24, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 32 });
const ALL: LoraSettings = { rank: 4, alpha: 8, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };
const ids = Int32Array.from({ length: 2 * 6 }, (_, i) => (i * 5 + 1) % 24);
const targets = Int32Array.from({ length: 2 * 6 }, (_, i) => (i * 7 + 3) % 24);

function randomizeB(model: LlamaModel, seed: number): void {
  const rng = new Rng(seed);
  for (const [name, p] of model.lora!.parameters()) if (name.endsWith('lora_B.weight')) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * 0.1;
}

describe('LoRA', () => {
  it('starts at the base model exactly (B = 0) and freezes every base weight', () => {
    const model = new LlamaModel(engine, config, { seed: 1 });
    const base = model.forward(ids, 2, 6).logits.data.slice();
    model.attachLora(ALL, 7);
    expect([...model.forward(ids, 2, 6).logits.data]).toEqual([...base]);
    const trainable = [...model.trainableParameters().keys()];
    expect(trainable).toHaveLength(2 * 7 * 2);
    expect(trainable[0]).toBe('model.layers.0.self_attn.q_proj.lora_A.weight');
    expect([...model.parameters().values()].every((p) => !p.requiresGrad)).toBe(true);
  });

  it('passes a gradient check for A and B', () => {
    const model = new LlamaModel(engine, config, { seed: 2 });
    model.attachLora({ rank: 2, alpha: 4, targetModules: ['q_proj', 'v_proj', 'down_proj'] }, 3);
    randomizeB(model, 4);
    const adapter = [...model.lora!.parameters().values()];
    const result = gradcheck(() => model.loss(ids, targets, null, 2, 6), adapter, { maxPerInput: 12, eps: 1e-2, rtol: 5e-2, atol: 1e-4 });
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });

  it('merged weights give the adapted model\'s forward', () => {
    const model = new LlamaModel(engine, config, { seed: 5 });
    model.attachLora(ALL, 6);
    randomizeB(model, 7);
    const adapted = model.forward(ids, 2, 6).logits.data;
    const merged = new LlamaModel(engine, config, { seed: 99 });
    const dict = model.mergedStateDict();
    merged.loadStateDict(new Map([...merged.parameters()].map(([name, p]) => [name, { shape: [...p.shape], data: dict.get(name)! }])));
    const plain = new LlamaModel(engine, config, { seed: 5 }).forward(ids, 2, 6).logits.data;
    const mergedLogits = merged.forward(ids, 2, 6).logits.data;
    let worst = 0, moved = 0;
    for (let i = 0; i < adapted.length; i++) {
      worst = Math.max(worst, Math.abs(mergedLogits[i] - adapted[i]));
      moved = Math.max(moved, Math.abs(plain[i] - adapted[i]));
    }
    expect(worst).toBeLessThan(1e-5);
    expect(moved).toBeGreaterThan(1e-3); // the adapter really changes the model
  });

  it('setTrainable trains only the chosen layers', () => {
    const model = new LlamaModel(engine, config, { seed: 1 });
    model.setTrainable((name) => name.startsWith('model.layers.1.'));
    expect([...model.trainableParameters().keys()].every((name) => name.startsWith('model.layers.1.'))).toBe(true);
    model.loss(ids, targets, null, 2, 6).backward();
    expect(model.parameters().get('model.layers.0.self_attn.q_proj.weight')!.grad).toBeNull();
    expect(model.parameters().get('model.layers.1.self_attn.q_proj.weight')!.grad).not.toBeNull();
  });
});

const training: TrainingSettings = { steps: 20, batchSize: 8, lr: 5e-2, minLrRatio: 0.1, warmupSteps: 2, weightDecay: 0, gradClip: 1, checkpointEvery: 5 };
const examples: TokenizedExample[] = Array.from({ length: 64 }, (_, i) => {
  const first = 1 + (i % 9);
  return { ids: [first, 1 + ((i * 7) % 9), 10 + (first % 5), 20], lossMask: [0, 0, 1, 1] };
});

/** A random base whose frozen output head is large enough (std 0.5, not 0.02) for an adapter to move the logits. */
function baseModel(): LlamaModel {
  const model = new LlamaModel(createEngine({ backend: 'js' }), config, { seed: 3 });
  for (const name of ['model.embed_tokens.weight', 'lm_head.weight']) model.parameters().get(name)!.data.forEach((x, i, data) => { data[i] = x * 25; });
  return model;
}

function loraRun(dir: string, shouldStop?: () => boolean) {
  const model = baseModel();
  model.attachLora({ rank: 4, alpha: 8, targetModules: ['q_proj', 'v_proj', 'up_proj'] }, 11);
  const losses: number[] = [];
  const checkpointer = new StageCheckpointer(dir, undefined, {});
  const promise = trainSft({ stage: 'lora', model, examples, padId: 0, maxTokens: 8, training, seed: 1, checkpointer, onEvent: (e) => { if (e.type === 'step') losses.push(e.loss); }, shouldStop });
  return { model, promise, losses, checkpointer };
}

describe('LoRA fine-tuning with trainSft', () => {
  it('trains the adapter only, saves the merged model and a PEFT adapter, and resumes bit-identically', async () => {
    const straightDir = mkdtempSync(join(tmpdir(), 'lora-'));
    const straight = loraRun(straightDir);
    await straight.promise;
    expect(straight.losses.slice(-3).reduce((a, b) => a + b) / 3).toBeLessThan(straight.losses.slice(0, 3).reduce((a, b) => a + b) / 3 - 0.5);
    const base = baseModel().stateDict();
    for (const [name, values] of straight.model.stateDict()) expect(values, name).toEqual(base.get(name)); // base frozen

    // final/ holds W + alpha/r B A; adapter/ is PEFT's layout.
    const final = readSafetensorsFile(join(straight.checkpointer.finalDir, 'model.safetensors')).tensors;
    const merged = straight.model.mergedStateDict();
    expect(final.get('model.layers.0.self_attn.q_proj.weight')!.data).toEqual(merged.get('model.layers.0.self_attn.q_proj.weight'));
    expect(final.get('model.layers.0.self_attn.q_proj.weight')!.data).not.toEqual(base.get('model.layers.0.self_attn.q_proj.weight'));
    const peftConfig = JSON.parse(readFileSync(join(straight.checkpointer.adapterDir, 'adapter_config.json'), 'utf8'));
    expect(peftConfig).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj', 'up_proj'], bias: 'none' });
    const peftRaw = readSafetensorsFile(join(straight.checkpointer.adapterDir, 'adapter_model.safetensors')).tensors;
    expect(peftRaw.get('base_model.model.model.layers.1.mlp.up_proj.lora_A.weight')!.shape).toEqual([4, 16]);
    expect(peftRaw.get('base_model.model.model.layers.1.mlp.up_proj.lora_B.weight')!.shape).toEqual([32, 4]);
    expect(readPeftTensors(straight.checkpointer.adapterDir).size).toBe(2 * 3 * 2);

    const dir = mkdtempSync(join(tmpdir(), 'lora-'));
    let steps = 0;
    const first = loraRun(dir, () => ++steps === 7);
    await expect(first.promise).rejects.toMatchObject({ code: 'INTERRUPTED' });
    const second = loraRun(dir);
    expect((await second.promise).resumedFrom).toBe(7);
    expect(second.model.mergedStateDict()).toEqual(straight.model.mergedStateDict());
    expect(readFileSync(join(second.checkpointer.finalDir, 'model.safetensors'))).toEqual(readFileSync(join(straight.checkpointer.finalDir, 'model.safetensors')));
  });
});
