// A LoRA model whose frozen base is held in BF16 gives exactly the logits of an F32 model whose
// block weights were rounded to BF16 (torch's rounding, model/safetensors.ts), its adapter still
// passes a gradient check, checkpoints hold the BF16 values, and memory counts 2 B per such weight.
import { describe, expect, it } from 'vitest';
import { createEngine, gradcheck } from '../tensor/index.js';
import { LlamaModel, resolveLlamaConfig } from '../model/llama.js';
import { roundToDtype } from '../model/safetensors.js';
import { trainingMemory } from '../train/estimate.js';
import { applyTrainingScope } from '../train/training-scope.js';
import { Rng } from '../util/rng.js';

const engine = createEngine({ backend: 'js' });
const config = resolveLlamaConfig({ vocab_size: 24, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 32 });
const ids = Int32Array.from({ length: 12 }, (_, i) => (i * 5 + 1) % 24);
const targets = Int32Array.from({ length: 12 }, (_, i) => (i * 7 + 3) % 24);
const lora = { rank: 2, alpha: 4, targetModules: ['q_proj', 'down_proj'] as const, baseDtype: 'BF16' as const };

function packedModel(): LlamaModel {
  const model = new LlamaModel(engine, config, { seed: 4 });
  applyTrainingScope(model, { lora: { ...lora, targetModules: [...lora.targetModules] } }, 1);
  const rng = new Rng(2);
  for (const [name, p] of model.lora!.parameters()) if (name.endsWith('lora_B.weight')) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal() * 0.1;
  return model;
}

describe('frozen base in BF16', () => {
  it('computes exactly what an F32 model with BF16-rounded block weights computes', () => {
    const packed = packedModel();
    expect(packed.packedParameterCount()).toBe(2 * (16 * 16 + 8 * 16 * 2 + 16 * 16 + 3 * 16 * 32));
    const reference = new LlamaModel(engine, config, { seed: 4 });
    for (const [name, p] of reference.parameters()) if (name.startsWith('model.layers.') && p.shape.length === 2) p.data.set(roundToDtype(p.data, 'BF16'));
    reference.attachLora({ rank: 2, alpha: 4, targetModules: ['q_proj', 'down_proj'] }, 1);
    for (const [name, p] of reference.lora!.parameters()) p.data.set(packed.lora!.parameters().get(name)!.data);
    expect([...packed.forward(ids, 2, 6).logits.data]).toEqual([...reference.forward(ids, 2, 6).logits.data]);
    // What a checkpoint stores is those BF16 values, and loading them back changes nothing.
    const dict = packed.stateDict();
    expect(dict.get('model.layers.0.mlp.up_proj.weight')).toEqual(reference.parameters().get('model.layers.0.mlp.up_proj.weight')!.data);
    packed.loadStateDict(new Map([...packed.parameters()].map(([name, p]) => [name, { shape: [...p.shape], data: dict.get(name)! }])));
    expect([...packed.forward(ids, 2, 6).logits.data]).toEqual([...reference.forward(ids, 2, 6).logits.data]);
  });

  it('passes a gradient check for the adapter over the BF16 base, and counts 2 B per packed weight', () => {
    const model = packedModel();
    const result = gradcheck(() => model.loss(ids, targets, null, 2, 6), [...model.lora!.parameters().values()], { maxPerInput: 12, eps: 1e-2, rtol: 5e-2, atol: 1e-4 });
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
    const f32 = new LlamaModel(engine, config, { seed: 4 });
    applyTrainingScope(f32, { lora: { ...lora, targetModules: [...lora.targetModules], baseDtype: 'F32' } }, 1);
    expect(trainingMemory(f32, 2, 6).weightBytes - trainingMemory(model, 2, 6).weightBytes).toBe(2 * model.packedParameterCount());
  });
});
