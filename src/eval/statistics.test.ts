// Percentile-bootstrap rates: interval width against the binomial spread, edge cases, determinism.
import { describe, expect, it } from 'vitest';
import { bootstrapRate, proportion, wilsonRate } from './statistics.js';

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
