// Percentile-bootstrap rates: interval width against the binomial spread, edge cases, determinism;
// AUROC, its DeLong interval and the FPR at a detection rate against hand-computed cases with ties.
import { describe, expect, it } from 'vitest';
import { auroc, aurocWithInterval, bootstrapRate, fprAtDetectionRate, normalQuantile, proportion, wilsonRate } from './statistics.js';

describe('bootstrapRate', () => {
  it('brackets the observed rate and matches the binomial spread', () => {
    const outcomes = Array.from({ length: 200 }, (_, i) => i % 4 === 0); // 25%
    const r = bootstrapRate(outcomes, 2000, 1);
    expect(r.rate).toBe(0.25);
    expect(r.n).toBe(200);
    expect(r.low).toBeLessThan(0.25);
    expect(r.high).toBeGreaterThan(0.25);
    // Normal approximation: 1.96 * sqrt(p(1-p)/n) = 0.06
    expect(r.high - r.low).toBeGreaterThan(0.09);
    expect(r.high - r.low).toBeLessThan(0.15);
  });

  it('is degenerate at 0% and 100%, deterministic by seed, and handles n=0', () => {
    expect(bootstrapRate(Array(50).fill(true), 500, 0)).toEqual({ rate: 1, low: 1, high: 1, n: 50 });
    expect(bootstrapRate(Array(50).fill(false), 500, 0)).toEqual({ rate: 0, low: 0, high: 0, n: 50 });
    const outcomes = Array.from({ length: 60 }, (_, i) => i % 3 === 0);
    expect(bootstrapRate(outcomes, 500, 7)).toEqual(bootstrapRate(outcomes, 500, 7));
    expect(bootstrapRate([], 500, 0).n).toBe(0);
  });
});

describe('auroc', () => {
  // Hand count over the 4 x 3 pairs (tie = 1/2): 0.9 beats all 3; 0.8 beats 0.5 and 0.3, ties 0.8 (2.5);
  // each 0.5 ties 0.5 and beats 0.3 (1.5 each): 8.5 / 12.
  const positives = [0.9, 0.8, 0.5, 0.5];
  const negatives = [0.5, 0.3, 0.8];

  it('counts ties as one half', () => {
    expect(auroc(positives, negatives)).toBeCloseTo(8.5 / 12, 12);
    expect(auroc([1, 1], [1, 1, 1])).toBe(0.5);
    expect(auroc([3, 4], [1, 2])).toBe(1);
    expect(auroc([1, 2], [3, 4])).toBe(0);
    expect(auroc([], [1])).toBeNaN();
  });

  it('gives the DeLong interval computed by hand', () => {
    // Placement values: positives [1, 5/6, 1/2, 1/2], negatives [3/4, 1, 3/8]; S10 = 0.0625,
    // S01 = 0.098958...; var = S10/4 + S01/3 = 0.0486111; sd = 0.220479.
    const r = aurocWithInterval(positives, negatives);
    const sd = Math.sqrt(0.0625 / 4 + (0.19791666666666666 / 2) / 3);
    expect(sd).toBeCloseTo(0.220479, 5);
    expect(r.auroc).toBeCloseTo(0.708333, 5);
    expect(r.low).toBeCloseTo(0.708333 - 1.959964 * sd, 5);
    expect(r.high).toBe(1); // 1.14 clipped
    expect([r.positives, r.negatives]).toEqual([4, 3]);
  });

  it('reports the FPR at the threshold that reaches the detection rate', () => {
    // 75% of 4 positives = 3 flagged: threshold 0.5 flags negatives 0.5 and 0.8 -> 2/3.
    expect(fprAtDetectionRate(positives, negatives, 0.75)).toEqual({ fpr: 2 / 3, threshold: 0.5 });
    // 50% = 2 flagged: threshold 0.8 flags the 0.8 negative (a tie counts as flagged).
    expect(fprAtDetectionRate(positives, negatives, 0.5)).toEqual({ fpr: 1 / 3, threshold: 0.8 });
    expect(fprAtDetectionRate(positives, negatives, 0.25).fpr).toBe(0);
  });

  it('has a normal quantile accurate to 1e-8', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326347874, 8);
  });
});

describe('wilsonRate', () => {
  it('matches published Wilson intervals', () => {
    // 81/263: 95% Wilson [0.2553, 0.3662] (Newcombe 1998, Table I style check by direct formula).
    const r = wilsonRate(81, 263);
    expect(r.rate).toBeCloseTo(81 / 263, 12);
    expect(r.low).toBeCloseTo(0.2553, 3);
    expect(r.high).toBeCloseTo(0.3662, 3);
    // 15/148: [0.0624, 0.1605] (Newcombe 1998, example b).
    const s = wilsonRate(15, 148);
    expect(s.low).toBeCloseTo(0.0624, 3);
    expect(s.high).toBeCloseTo(0.1605, 3);
  });

  it('is not zero-width at 0% and 100%', () => {
    const none = wilsonRate(0, 200);
    expect(none.low).toBe(0);
    expect(none.high).toBeCloseTo(0.0188, 3);
    const all = wilsonRate(200, 200);
    expect(all.high).toBe(1);
    expect(all.low).toBeCloseTo(1 - 0.0188, 3);
    expect(wilsonRate(0, 0)).toEqual({ rate: 0, low: 0, high: 1, n: 0 });
  });

  it('proportion counts boolean outcomes', () => {
    expect(proportion([true, false, false, true])).toEqual(wilsonRate(2, 4));
  });
});
