// Packed batches (several examples per row, positions restarting, attention kept inside each
// example) against the padded batch of the same examples: same targets, and the same loss and
// parameter gradients through the whole model on both backends. The attention kernels' packed
// path itself is gradchecked in tensor/ops.test.ts and compared native vs js in native.test.ts.
import { describe, expect, it } from 'vitest';
import { LlamaModel, resolveLlamaConfig } from '../model/llama.js';
import { nativeBackendStatus } from '../tensor/backends/native.js';
import { createEngine } from '../tensor/index.js';
import { mulberry32 } from '../util/rng.js';
import { makeBatch, packBatch, PACKED_ROW_TOKENS, type TokenizedExample } from './batching.js';

const config = resolveLlamaConfig({ vocab_size: 37, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 128 });

// Lengths 2..60 so rows hold several examples and the 32-query blocks of the native kernel straddle them.
function examples(count: number, seed: number): TokenizedExample[] {
  const next = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const length = 2 + Math.floor(next() * 59);
    const ids = Array.from({ length }, () => 1 + Math.floor(next() * 36));
    const answerFrom = Math.floor(length / 2);
    return { ids, lossMask: ids.map((_, t) => (t >= answerFrom ? 1 : 0)) };
  });
}

describe('packBatch', () => {
  it('puts several examples in a row with restarting positions, the padded batch\'s targets, and masked padding', () => {
    const rows = examples(12, 1);
    const packed = packBatch(rows, 0, 100);
    const padded = makeBatch(rows, 0, 100);
    expect(packed.batch).toBeLessThan(rows.length);
    expect(packed.time).toBeLessThanOrEqual(Math.max(PACKED_ROW_TOKENS, padded.time));
    expect(packed.realTokens).toBe(padded.realTokens);
    expect(packed.realTokens).toBe(rows.reduce((sum, e) => sum + e.ids.length - 1, 0));
    expect(packed.targetTokens).toBe(padded.targetTokens);
    const sorted = (t: Int32Array) => Array.from(t).filter((x) => x >= 0).sort((a, b) => a - b);
    expect(sorted(packed.targets)).toEqual(sorted(padded.targets));
    const { positions, segmentStart } = packed as Required<typeof packed>;
    for (let n = 0; n < packed.batch * packed.time; n++) {
      const t = n % packed.time;
      // a token's segment starts at or before it, and its position counts from that start
      if (segmentStart[n] <= t) expect(positions[n]).toBe(t - segmentStart[n]);
      else expect(packed.targets[n]).toBe(-1); // padding: no key visible, never a target
    }
    expect(packBatch(rows, 0, 100)).toEqual(packed); // deterministic
  });

  it('truncates to maxTokens like makeBatch', () => {
    const ids = Array.from({ length: 50 }, (_, i) => i + 1);
    const packed = packBatch([{ ids, lossMask: ids.map(() => 1) }], 0, 16);
    expect(packed.realTokens).toBe(16);
    expect(packed.targets[15]).toBe(17);
    expect(packed.time).toBe(16);
  });
});

const backends = nativeBackendStatus().available ? (['js', 'native'] as const) : (['js'] as const);

describe.each(backends)('packed vs padded training batch (%s backend)', (backend) => {
  it('gives the same loss and gradients', () => {
    const engine = createEngine({ backend });
    const model = new LlamaModel(engine, config, { seed: 5 });
    const rows = examples(10, 2);
    const lossAndGrads = (batch: ReturnType<typeof makeBatch>) => {
      for (const p of model.parameters().values()) p.grad = null;
      const loss = model.loss(batch.inputIds, batch.targets, batch.weights, batch.batch, batch.time,
        { positions: batch.positions, segmentStart: batch.segmentStart });
      loss.backward();
      return { loss: loss.item(), grads: new Map([...model.parameters()].map(([name, p]) => [name, (p.grad as Float32Array).slice()])) };
    };
    const padded = lossAndGrads(makeBatch(rows, 0, 100));
    const packed = lossAndGrads(packBatch(rows, 0, 100));
    expect(packed.loss).toBeCloseTo(padded.loss, 5);
    for (const [name, expected] of padded.grads) {
      const actual = packed.grads.get(name) as Float32Array;
      let peak = 0, worst = 0;
      for (let i = 0; i < expected.length; i++) {
        peak = Math.max(peak, Math.abs(expected[i]));
        worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
      }
      expect(peak, name).toBeGreaterThan(0);
      expect(worst, name).toBeLessThan(1e-4 * peak);
    }
  });
});
