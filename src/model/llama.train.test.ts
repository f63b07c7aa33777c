// Training smoke test: a 2-layer, hidden-32 Llama learns to copy a random 4-token sequence
// ([BOS] a b c d [SEP] a b c d, loss only on the copy) with AdamW + warmup/cosine + clipping.
// Copying needs attention to look back a fixed offset, so it exercises the whole stack, then
// greedy generation must reproduce unseen sequences. Also: bit-identical reruns per seed.
import { describe, expect, it } from 'vitest';
import { AdamW, clipGradNorm, cosineLr, Rng } from '../nn/index.js';
import { createEngine } from '../tensor/index.js';
import { generate } from './generate.js';
import { LlamaModel, resolveLlamaConfig } from './llama.js';

const SEP = 10, BOS = 11, K = 4, BATCH = 16, TIME = 2 * K + 1;
const config = resolveLlamaConfig({
  vocab_size: 12, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, max_position_embeddings: 16,
});

function copyBatch(rng: Rng): { ids: Int32Array; targets: Int32Array } {
  const ids = new Int32Array(BATCH * TIME);
  const targets = new Int32Array(BATCH * TIME).fill(-1);
  for (let b = 0; b < BATCH; b++) {
    const digits = Array.from({ length: K }, () => rng.int(10));
    const full = [BOS, ...digits, SEP, ...digits];
    for (let t = 0; t < TIME; t++) {
      ids[b * TIME + t] = full[t];
      if (t >= K + 1) targets[b * TIME + t] = full[t + 1]; // predict the copy only
    }
  }
  return { ids, targets };
}

function train(steps: number, seed: number) {
  const engine = createEngine({ backend: 'js' });
  const model = new LlamaModel(engine, config, { seed });
  const params = model.parameters();
  const optimizer = new AdamW(params, { lr: 3e-3, weightDecay: 0 });
  const rng = new Rng(seed + 100);
  const losses: number[] = [];
  for (let step = 1; step <= steps; step++) {
    const { ids, targets } = copyBatch(rng);
    optimizer.zeroGrad();
    const loss = model.loss(ids, targets, null, BATCH, TIME);
    loss.backward();
    clipGradNorm(params, 1);
    optimizer.step(cosineLr(step, { maxLr: 3e-3, warmupSteps: 10, totalSteps: steps }));
    losses.push(loss.item());
  }
  return { model, losses };
}

describe('training', () => {
  it('learns to copy: loss falls from ln(12) and greedy generation copies unseen sequences', () => {
    const initial = new LlamaModel(createEngine({ backend: 'js' }), config, { seed: 1 }).stateDict();
    const { model, losses } = train(130, 1);
    const start = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const end = losses.slice(-10).reduce((a, b) => a + b) / 10;
    expect(Math.abs(start - Math.log(12))).toBeLessThan(0.1);
    // Measured: the last-10-step mean is 0.09-0.14 over seeds 1-3. A model that has not learned
    // to attend back to the copied digit sits at ln(10) = 2.3, so 0.3 keeps a 2x margin over the
    // measurement while still requiring the copy to be learned.
    expect(end).toBeLessThan(0.3);
    for (const [name, before] of initial) {
      expect(model.parameters().get(name)!.data, `${name} unchanged`).not.toEqual(before);
    }
    const rng = new Rng(999);
    const prompts = Array.from({ length: 20 }, () => [BOS, ...Array.from({ length: K }, () => rng.int(10)), SEP]);
    const outputs = generate(model, prompts, { maxNewTokens: K });
    const correct = outputs.filter((out, i) => out.join() === prompts[i].slice(1, K + 1).join()).length;
    // chance is 1e-4 per sequence; measured 20/20 for seeds 1-3
    expect(correct).toBeGreaterThanOrEqual(16);
  });

  it('is bit-identical across runs with the same seed and backend', () => {
    const a = train(4, 7);
    const b = train(4, 7);
    expect(b.losses).toEqual(a.losses);
    expect(new Set(a.losses).size).toBe(4);
    const sa = a.model.stateDict(), sb = b.model.stateDict();
    for (const [name, data] of sa) expect(sb.get(name)).toEqual(data);
  });
});

describe('tokenLogProbs precision (the RL forwards)', () => {
  it('bf16: the no-grad (old/ref) and the graph (update) forwards agree bit for bit, differ from f32, and train', () => {
    const engine = createEngine({ backend: 'js' });
    const model = new LlamaModel(engine, config, { seed: 3 });
    model.trainPrecision = 'bf16';
    expect(model.trainingGemms()).toBe('bf16');
    const { ids, targets } = copyBatch(new Rng(4));
    const precision = model.trainingGemms();
    const old = engine.noGrad(() => model.tokenLogProbs(ids, BATCH, TIME, targets, { precision }).logp.data.slice());
    const forward = model.tokenLogProbs(ids, BATCH, TIME, targets, { precision, entropy: true });
    expect(Buffer.from(forward.logp.data.buffer).equals(Buffer.from(old.buffer))).toBe(true); // PPO ratios start at exactly 1
    const f32 = engine.noGrad(() => model.tokenLogProbs(ids, BATCH, TIME, targets).logp.data);
    let worst = 0;
    for (let i = 0; i < f32.length; i++) worst = Math.max(worst, Math.abs(f32[i] - old[i]));
    expect(worst).toBeGreaterThan(0); // really bf16
    expect(worst).toBeLessThan(0.05);
    expect(forward.entropy).toBeGreaterThan(0);
    let objective = 0;
    forward.logp.backward(Float32Array.from(targets, (t) => (t >= 0 ? 1 : 0)));
    for (const p of model.parameters().values()) if (p.grad) for (const g of p.grad) objective += Math.abs(g);
    expect(objective).toBeGreaterThan(0); // gradients reach the weights through the bf16 GEMMs
  });
});
