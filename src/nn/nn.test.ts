// Tests for nn/: RNG determinism and distribution, AdamW against the written-out update rule
// (decay only on 2-D params), state export/import resume, gradient clipping, the LR schedule.
import { describe, expect, it } from 'vitest';
import { createEngine, matmul, sum } from '../tensor/index.js';
import { AdamW, clipGradNorm, cosineLr, initNormal, Rng } from './index.js';

const engine = createEngine({ backend: 'js' });

describe('Rng', () => {
  it('is deterministic per seed and distinct across seeds (including large ones)', () => {
    const draw = (seed: number) => { const r = new Rng(seed); return [r.next(), r.next(), r.next()]; };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(7 * 1_000_003 + 1)).not.toEqual(draw(7 * 1_000_003 + 2));
    expect(draw(2 ** 40)).not.toEqual(draw(2 ** 40 + 2 ** 32));
    expect(() => new Rng(NaN)).toThrow();
  });

  it('draws uniforms in [0,1), standard normals, integers and permutations', () => {
    const rng = new Rng(1);
    let sum = 0, sumSq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) { const x = rng.normal(); sum += x; sumSq += x * x; }
    // standard errors: mean 1/sqrt(n) ~ 0.007, variance ~ 0.01
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.05);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[rng.int(3)]++;
    for (const c of counts) expect(c).toBeGreaterThan(900);
    const shuffled = rng.shuffle([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...shuffled].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(shuffled).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('AdamW', () => {
  function setup() {
    const w = engine.tensor(initNormal(new Float32Array(6), new Rng(3), 0.5), [2, 3], true);
    const n = engine.tensor([1, 1, 1], [3], true);
    return new Map([['w', w], ['norm.weight', n]]);
  }
  const grads = (step: number) => ({ w: Float32Array.from([1, -2, 3, 0.5, -0.1, 0.2], (g) => g * step), n: Float32Array.of(0.3, -0.3, step) });

  it('matches the reference update rule, decaying only 2-D params', () => {
    const params = setup();
    const opt = new AdamW(params, { lr: 0.1 });
    const ref = [...params].map(([name, p]) => ({ name, p: Float64Array.from(p.data), m: new Float64Array(p.size), v: new Float64Array(p.size) }));
    for (let step = 1; step <= 3; step++) {
      const g = grads(step);
      params.get('w')!.grad = g.w.slice();
      params.get('norm.weight')!.grad = g.n.slice();
      opt.step(0.1 / step);
      for (const r of ref) {
        const gr = r.name === 'w' ? g.w : g.n;
        const wd = r.name === 'w' ? 0.1 : 0;
        for (let i = 0; i < r.p.length; i++) {
          r.m[i] = 0.9 * r.m[i] + 0.1 * gr[i];
          r.v[i] = 0.95 * r.v[i] + 0.05 * gr[i] * gr[i];
          const mhat = r.m[i] / (1 - 0.9 ** step), vhat = r.v[i] / (1 - 0.95 ** step);
          r.p[i] -= (0.1 / step) * (mhat / (Math.sqrt(vhat) + 1e-8) + wd * r.p[i]);
        }
      }
    }
    expect(opt.stepCount).toBe(3);
    for (const r of ref) {
      const actual = params.get(r.name)!.data;
      for (let i = 0; i < actual.length; i++) expect(actual[i]).toBeCloseTo(r.p[i], 5);
    }
    opt.zeroGrad();
    expect(params.get('w')!.grad).toBeNull();
  });

  it('zeroGrad hands pooled gradient buffers back, so the next backward reuses them', () => {
    const e = createEngine({ backend: 'js' });
    const w = e.tensor(new Float32Array(64 * 64).fill(0.01), [64, 64], true);
    const opt = new AdamW(new Map([['w', w]]), { lr: 0.1 });
    const x = e.tensor(new Float32Array(8 * 64).fill(1), [8, 64]);
    const step = () => { sum(matmul(x, w)).backward(); opt.step(); };
    step();
    const first = w.grad!;
    e.clearPool();
    opt.zeroGrad();
    expect(w.grad).toBeNull();
    expect(e.pooledMemory).toBeGreaterThanOrEqual(first.byteLength); // parked, not left to the GC
    step();
    expect(w.grad!.buffer).toBe(first.buffer); // the same memory, recycled
  });

  it('resumes bit-identically from exported state', () => {
    const a = setup(), b = setup();
    const optA = new AdamW(a, { lr: 0.05 });
    const run = (params: Map<string, ReturnType<typeof engine.tensor>>, opt: AdamW, step: number) => {
      const g = grads(step);
      params.get('w')!.grad = g.w.slice();
      params.get('norm.weight')!.grad = g.n.slice();
      opt.step();
    };
    run(a, optA, 1); run(a, optA, 2);
    const state = optA.exportState();
    for (const [name, p] of a) b.get(name)!.data.set(p.data);
    const optB = new AdamW(b, { lr: 0.05 });
    optB.importState(state);
    run(a, optA, 3); run(b, optB, 3);
    for (const [name, p] of a) expect(Array.from(b.get(name)!.data)).toEqual(Array.from(p.data));
    state.m.delete('w');
    expect(() => optB.importState(state)).toThrow(/missing/);
  });
});

describe('clipGradNorm and cosineLr', () => {
  it('clips the global norm and returns the norm before clipping', () => {
    const a = engine.tensor([0, 0], [2], true), b = engine.tensor([0], [1], true);
    a.grad = Float32Array.of(3, 0); b.grad = Float32Array.of(4);
    expect(clipGradNorm([a, b], 1)).toBeCloseTo(5, 6);
    expect(a.grad[0]).toBeCloseTo(0.6, 5);
    expect(b.grad[0]).toBeCloseTo(0.8, 5);
    expect(clipGradNorm([a, b], 10)).toBeCloseTo(1, 5);
    expect(a.grad[0]).toBeCloseTo(0.6, 5);
  });

  it('warms up linearly then follows a cosine to minLr', () => {
    const o = { maxLr: 1, minLr: 0.1, warmupSteps: 10, totalSteps: 110 };
    expect(cosineLr(1, o)).toBeCloseTo(0.1, 12);
    expect(cosineLr(10, o)).toBe(1);
    expect(cosineLr(60, o)).toBeCloseTo(0.55, 12);
    expect(cosineLr(110, o)).toBeCloseTo(0.1, 12);
    expect(cosineLr(500, o)).toBeCloseTo(0.1, 12);
    expect(cosineLr(0, { maxLr: 2, warmupSteps: 0, totalSteps: 5 })).toBe(2);
    expect(cosineLr(5, { maxLr: 2, warmupSteps: 0, totalSteps: 5 })).toBeCloseTo(0.2, 12);
  });
});
