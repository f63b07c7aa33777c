// The RL losses: gradchecks (away from the clip boundary, where the loss is not differentiable)
// and a hand-computed case for the value, the gradient and the clip fraction.
import { describe, expect, it } from 'vitest';
import { createEngine } from './engine.js';
import { gradcheck } from './gradcheck.js';
import { clippedPolicyLoss, clippedValueLoss, logProbs } from './index.js';

const engine = createEngine({ backend: 'js' });
const f32 = (values: number[]) => Float32Array.from(values);

describe('clippedPolicyLoss', () => {
  it('matches a hand-computed case', () => {
    // ratios e^0.1 = 1.105 (A=+1: clipped at 1.05, no gradient), e^-0.3 = 0.741 (A=+2: unclipped,
    // min picks 0.741 < 0.95), e^0.02 = 1.0202 (A=-1: inside the range), row 4 has weight 0.
    const logp = engine.tensor(f32([0.1, -0.3, 0.02, 5]), [4], true);
    const old = f32([0, 0, 0, 0]);
    const advantages = f32([1, 2, -1, 7]);
    const weights = f32([1, 1, 1, 0]);
    const { loss, clipFraction } = clippedPolicyLoss(logp, old, advantages, weights, 0.05);
    const r2 = Math.exp(-0.3);
    const r3 = Math.exp(0.02);
    expect(loss.item()).toBeCloseTo((-1 * 1.05 - 2 * r2 + r3) / 3, 5);
    expect(clipFraction).toBeCloseTo(1 / 3, 6);
    loss.backward();
    const grad = Array.from(logp.grad!);
    expect(grad[0]).toBe(0);
    expect(grad[1]).toBeCloseTo((-2 * r2) / 3, 5);
    expect(grad[2]).toBeCloseTo(r3 / 3, 5);
    expect(grad[3]).toBe(0);
  });

  it('gradchecks through logProbs (the policy-gradient path)', () => {
    const logits = engine.tensor(Float32Array.from({ length: 4 * 6 }, (_, i) => Math.sin(i * 1.7)), [4, 6], true);
    const targets = Int32Array.from([1, 3, -1, 5]);
    const old = engine.noGrad(() => logProbs(logits, targets)).data.map((x, i) => x - 0.02 * (i - 1)); // ratios ~1 +- 0.04
    const result = gradcheck(([x]) => clippedPolicyLoss(logProbs(x, targets), old, f32([1.5, -0.7, 3, 0.4]), f32([1, 1, 0, 1]), 0.2).loss, [logits]);
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });
});

describe('clippedValueLoss', () => {
  it('matches a hand-computed case and gradchecks', () => {
    const values = engine.tensor(f32([0.5, 2, -1]), [3], true);
    const old = f32([0.4, 0, -1.05]);
    const returns = f32([1, 0.5, 0]);
    // row 1: v=2 is 2 from old; clipped v = 0.2 -> (0.2-0.5)^2 = 0.09 < (2-0.5)^2 = 2.25: plain term active
    const { loss, clipFraction } = clippedValueLoss(values, old, returns, f32([1, 1, 1]), 0.2);
    expect(loss.item()).toBeCloseTo((0.5 * 0.25 + 0.5 * 2.25 + 0.5 * 1) / 3, 5);
    expect(clipFraction).toBe(0);
    const result = gradcheck(([v]) => clippedValueLoss(v, old, returns, f32([1, 0.5, 1]), 0.2).loss, [engine.tensor(f32([0.5, 2, -1]), [3], true)]);
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });
});
