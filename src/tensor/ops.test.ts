// Finite-difference gradient check of every op on the js backend (central differences,
// eps 1e-3, rtol 1e-2, small sizes; see gradcheck.ts for why those tolerances suit float32).
// Also checks each op's forward value on a hand-computable case.
import { afterAll, describe, expect, it } from 'vitest';
import { nativeBackendStatus } from './backends/native.js';
import { createEngine } from './engine.js';
import { gradcheck } from './gradcheck.js';
import {
  add, addScalar, attention, concat, crossEntropy, div, embedding, exp, linear, linearCrossEntropy, linearLogProbs, log, logProbs, logSigmoid, matmul,
  mean, mul, reshape, rmsnorm, rope, ropeInvFreq, scale, silu, slice, softmax, sub, sum, swiglu, transpose,
} from './index.js';
import type { Tensor } from './tensor.js';

const engine = createEngine({ backend: 'js' });

function rand(shape: number[], seed: number, { lo = -1, hi = 1, grad = true } = {}): Tensor {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = lo + (s / 4294967296) * (hi - lo);
  }
  return engine.tensor(data, shape, grad);
}

const report: string[] = [];
afterAll(() => {
  console.log(`gradcheck (js backend), max relative error per op:\n${report.join('\n')}`);
});

function check(name: string, fn: (inputs: Tensor[]) => Tensor, inputs: Tensor[], eps = 1e-3, maxPerInput = 48): void {
  it(`gradcheck ${name}`, () => {
    const result = gradcheck(fn, inputs, { eps, maxPerInput });
    report.push(`  ${name.padEnd(28)} ${result.maxRelError.toExponential(2)} (abs ${result.maxAbsError.toExponential(2)}, ${result.checked} elems)`);
    expect(result.checked).toBeGreaterThan(0);
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });
}

describe('element-wise', () => {
  check('add same-shape', ([a, b]) => add(a, b), [rand([3, 4], 1), rand([3, 4], 2)]);
  check('add broadcast', ([a, b]) => add(a, b), [rand([2, 3, 4], 3), rand([3, 1], 4)]);
  check('sub same-shape', ([a, b]) => sub(a, b), [rand([3, 4], 5), rand([3, 4], 6)]);
  check('sub broadcast', ([a, b]) => sub(a, b), [rand([4], 7), rand([2, 4], 8)]);
  check('mul same-shape', ([a, b]) => mul(a, b), [rand([3, 4], 9), rand([3, 4], 10)]);
  check('mul broadcast', ([a, b]) => mul(a, b), [rand([2, 3, 4], 11), rand([4], 12)]);
  check('mul x*x', ([a]) => mul(a, a), [rand([5], 13)]);
  check('div broadcast', ([a, b]) => div(a, b), [rand([2, 3], 14), rand([3], 15, { lo: 0.5, hi: 2 })]);
  check('scale', ([a]) => scale(a, -1.7), [rand([6], 16)]);
  check('addScalar', ([a]) => addScalar(a, 0.3), [rand([6], 17)]);
  check('exp', ([a]) => exp(a), [rand([6], 18)]);
  check('log', ([a]) => log(a), [rand([6], 19, { lo: 0.3, hi: 2 })]);
  check('silu', ([a]) => silu(a), [rand([8], 20, { lo: -4, hi: 4 })]);
  check('logSigmoid', ([a]) => logSigmoid(a), [rand([8], 21, { lo: -6, hi: 6 })]);

  it('broadcast forward values', () => {
    const a = engine.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = engine.tensor([10, 20, 30], [3]);
    expect(Array.from(add(a, b).data)).toEqual([11, 22, 33, 14, 25, 36]);
    expect(Array.from(mul(a, engine.tensor([2, 3], [2, 1])).data)).toEqual([2, 4, 6, 12, 15, 18]);
    expect(() => add(a, engine.tensor([1, 2], [2]))).toThrow(/cannot broadcast/);
  });
});

describe('shape ops and reductions', () => {
  check('reshape', ([a]) => mul(reshape(a, [4, -1]), reshape(a, [4, 3])), [rand([2, 6], 22)]);
  check('transpose (0,2)', ([a]) => transpose(a, 0, 2), [rand([2, 3, 4], 23)]);
  check('transpose (1,-1)', ([a]) => transpose(a, 1, -1), [rand([2, 3, 2, 4], 24)]);
  check('slice', ([a]) => slice(a, 1, 1, 3), [rand([2, 4, 3], 25)]);
  check('concat', ([a, b]) => concat([a, b, a], 1), [rand([2, 2, 3], 26), rand([2, 1, 3], 27)]);
  check('sum all', ([a]) => sum(a), [rand([3, 4], 28)]);
  check('sum dim', ([a]) => sum(a, 1), [rand([2, 3, 4], 29)]);
  check('mean all', ([a]) => mean(a), [rand([3, 4], 30)]);
  check('mean dim', ([a]) => mean(a, -1), [rand([2, 3, 4], 31)]);

  it('forward values', () => {
    const a = engine.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(Array.from(transpose(a, 0, 1).data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(slice(a, 1, 1, 3).data)).toEqual([2, 3, 5, 6]);
    expect(Array.from(concat([a, a], 0).data)).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(sum(a, 0).data)).toEqual([5, 7, 9]);
    expect(mean(a).item()).toBeCloseTo(3.5, 6);
    expect(reshape(a, [3, -1]).shape).toEqual([3, 2]);
  });
});

describe('matmul and linear', () => {
  check('linear', ([x, w]) => linear(x, w), [rand([2, 3, 5], 32), rand([4, 5], 33)]);
  check('matmul batched', ([a, b]) => matmul(a, b), [rand([2, 3, 4], 34), rand([2, 4, 5], 35)]);
  check('matmul shared 2-D b', ([a, b]) => matmul(a, b), [rand([2, 3, 4], 36), rand([4, 5], 37)]);
  check('matmul 2-D', ([a, b]) => matmul(a, b), [rand([3, 4], 38), rand([4, 2], 39)]);

  it('linear uses the (out, in) weight layout', () => {
    const x = engine.tensor([1, 2], [1, 2]);
    const w = engine.tensor([1, 0, 0, 1, 1, 1], [3, 2]);
    expect(Array.from(linear(x, w).data)).toEqual([1, 2, 3]);
  });
});

describe('nn ops', () => {
  const ids = Int32Array.of(3, 1, 3, 0, 2, 1);
  check('embedding', ([w]) => embedding(w, ids, [2, 3]), [rand([5, 4], 40)]);
  check('rmsnorm', ([x, w]) => rmsnorm(x, w, 1e-5), [rand([3, 6], 41), rand([6], 42, { lo: 0.5, hi: 1.5 })]);
  const positions = Int32Array.of(0, 1, 2, 7, 8, 9);
  check('rope', ([x]) => rope(x, positions, ropeInvFreq(4, 10000)), [rand([2, 3, 2, 4], 43)]);
  check('swiglu', ([g, u]) => swiglu(g, u), [rand([2, 5], 44, { lo: -3, hi: 3 }), rand([2, 5], 45)]);
  check('softmax', ([x]) => softmax(x), [rand([3, 5], 46, { lo: -2, hi: 2 })]);
  check('attention GQA + keyStart', ([q, k, v]) => attention(q, k, v, { keyStart: Int32Array.of(0, 2) }),
    [rand([2, 4, 4, 2], 47), rand([2, 4, 2, 2], 48), rand([2, 4, 2, 2], 49)]);
  // two packed conversations (3 + 2 tokens) and one padding query that sees no key
  check('attention packed segments', ([q, k, v]) => attention(q, k, v, { segmentStart: Int32Array.of(0, 0, 0, 3, 3, 6) }),
    [rand([1, 6, 2, 2], 56), rand([1, 6, 1, 2], 57), rand([1, 6, 1, 2], 58)]);
  check('attention T < S', ([q, k, v]) => attention(q, k, v), [rand([1, 2, 2, 4], 50), rand([1, 5, 1, 4], 51), rand([1, 5, 1, 4], 52)]);
  const targets = Int32Array.of(1, -1, 4, 0);
  check('crossEntropy weighted', ([x]) => crossEntropy(x, targets, Float32Array.of(1, 5, 0.5, 2)), [rand([4, 5], 53, { lo: -2, hi: 2 })]);
  check('crossEntropy unweighted', ([x]) => crossEntropy(x, targets, null), [rand([2, 2, 5], 54, { lo: -2, hi: 2 })]);
  check('logProbs', ([x]) => logProbs(x, targets), [rand([4, 5], 55, { lo: -2, hi: 2 })]);
  const lceWeights = Float32Array.of(1, 5, 0.5, 2);
  check('linearCrossEntropy', ([x, w]) => linearCrossEntropy(x, w, targets, lceWeights), [rand([2, 2, 3], 59), rand([5, 3], 60, { lo: -2, hi: 2 })]);
  it('linearCrossEntropy equals crossEntropy(linear(x, w)) in value and gradients', () => {
    const run = (fused: boolean) => {
      const x = rand([4, 3], 61), w = rand([5, 3], 62, { lo: -2, hi: 2 });
      const loss = fused ? linearCrossEntropy(x, w, targets, lceWeights) : crossEntropy(linear(x, w), targets, lceWeights);
      loss.backward();
      return [loss.item(), Array.from(x.grad as Float32Array), Array.from(w.grad as Float32Array)] as const;
    };
    const [fusedLoss, fusedDx, fusedDw] = run(true);
    const [loss, dx, dw] = run(false);
    expect(fusedLoss).toBeCloseTo(loss, 6);
    fusedDx.forEach((g, i) => expect(g).toBeCloseTo(dx[i], 6));
    fusedDw.forEach((g, i) => expect(g).toBeCloseTo(dw[i], 6));
    expect(fusedDx.slice(3, 6)).toEqual([0, 0, 0]); // row 1 has no target: no gradient
  });

  // weighted sum of the per-row log-probs, so every row's upstream gradient differs
  const lpWeights = Float32Array.of(0.7, -1.3, 2.1, 0.4);
  const weightedSum = (logp: Tensor) => sum(mul(logp, engine.tensor(lpWeights, [4])));
  check('linearLogProbs', ([x, w]) => weightedSum(reshape(linearLogProbs(x, w, targets).logp, [4])), [rand([2, 2, 3], 63), rand([5, 3], 64, { lo: -2, hi: 2 })]);
  it('linearLogProbs equals logProbs(linear(x, w)) in value and gradients; rows without a target cost nothing; entropy', () => {
    const run = (fused: boolean) => {
      const x = rand([4, 3], 65), w = rand([5, 3], 66, { lo: -2, hi: 2 });
      const logp = fused ? linearLogProbs(x, w, targets).logp : logProbs(linear(x, w), targets);
      weightedSum(logp).backward();
      return [Array.from(logp.data), Array.from(x.grad as Float32Array), Array.from(w.grad as Float32Array)] as const;
    };
    const [fusedLogp, fusedDx, fusedDw] = run(true);
    const [logp, dx, dw] = run(false);
    fusedLogp.forEach((v, i) => expect(v).toBeCloseTo(logp[i], 6));
    expect(fusedLogp[1]).toBe(0);
    fusedDx.forEach((g, i) => expect(g).toBeCloseTo(dx[i], 6));
    fusedDw.forEach((g, i) => expect(g).toBeCloseTo(dw[i], 6));
    expect(fusedDx.slice(3, 6)).toEqual([0, 0, 0]); // row 1 has no target: no gradient
    // entropy over the rows with a target, against -sum p log p in float64
    const x = rand([4, 3], 65), w = rand([5, 3], 66, { lo: -2, hi: 2 });
    const logits = engine.noGrad(() => linear(x, w)).data;
    let expected = 0;
    for (const n of [0, 2, 3]) {
      const row = Array.from(logits.subarray(n * 5, n * 5 + 5));
      const z = row.reduce((a, v) => a + Math.exp(v), 0);
      expected -= row.reduce((a, v) => a + (Math.exp(v) / z) * (v - Math.log(z)), 0) / 3;
    }
    expect(linearLogProbs(x, w, targets, { entropy: true }).entropy).toBeCloseTo(expected, 5);
    expect(linearLogProbs(x, w, targets).entropy).toBe(0);
    expect(() => linearLogProbs(x, w, Int32Array.of(0, 5, 0, 0))).toThrow(/outside/);
  });

  it('crossEntropy is the weighted mean over non-ignored rows', () => {
    const logits = engine.zeros([3, 4]);
    // uniform logits: every counted row has loss ln 4
    const loss = crossEntropy(logits, Int32Array.of(1, -1, 2), Float32Array.of(2, 7, 1));
    expect(loss.item()).toBeCloseTo(Math.log(4), 6);
    expect(crossEntropy(logits, Int32Array.of(-1, -1, -1)).item()).toBe(0);
    expect(() => crossEntropy(logits, Int32Array.of(4, 0, 0))).toThrow(/outside/);
  });
});

describe('pooled buffers and activation recycling', () => {
  // A transformer block at sizes above the pool threshold (1024 floats), so every activation,
  // gradient and scratch buffer goes through the engine's pool, and (inside withRecycling)
  // activations are recycled during backward. Run twice: the second run sees stale pooled data.
  const B = 2, T = 32, C = 32, H = 4, D = 8, I = 48, V = 40;
  const positions = Int32Array.from({ length: B * T }, (_, i) => i % T);
  const invFreq = ropeInvFreq(D, 10000);
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7) % V);
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i % 5 === 0 ? -1 : (i * 3) % V));
  const block = ([embed, wq, wk, wv, wo, gate, up, down, norm]: Tensor[]) => engine.withRecycling(() => {
    const x = embedding(embed, ids, [B, T]);
    const h = rmsnorm(x, norm, 1e-5);
    const q = rope(reshape(linear(h, wq), [B, T, H, D]), positions, invFreq);
    const k = rope(reshape(linear(h, wk), [B, T, H, D]), positions, invFreq);
    const v = reshape(linear(h, wv), [B, T, H, D]);
    const r = add(x, linear(reshape(attention(q, k, v), [B, T, C]), wo));
    const m = rmsnorm(r, norm, 1e-5);
    const y = add(r, linear(swiglu(linear(m, gate), linear(m, up)), down));
    // logits, not the scalar loss: a float32 scalar is too coarse for finite differences here
    return linear(y, embed);
  });
  // weights of scale ~1/sqrt(fan-in) keep attention out of saturation, where central
  // differences with eps 1e-3 stop being accurate
  const w = (shape: number[], seed: number) => rand(shape, seed, { lo: -0.3, hi: 0.3 });
  const weights = () => [w([V, C], 60), w([C, C], 61), w([C, C], 62), w([C, C], 63), w([C, C], 64),
    w([I, C], 65), w([I, C], 66), w([C, I], 67), rand([C], 68, { lo: 0.5, hi: 1.5 })];
  // eps 1e-2: the float32 rounding noise of 2560 summed logits swamps a 1e-3 step; central
  // differences' O(eps^2) truncation error stays far below the 1e-2 tolerance
  check('block with recycling (cold pool)', block, weights(), 1e-2, 16);
  check('block with recycling (warm pool)', block, weights(), 1e-2, 16);

  it('recycling empties intermediates but keeps the returned tensor, and is bit-stable across runs', () => {
    const inputs = weights();
    const grads: Float32Array[][] = [];
    for (let run = 0; run < 3; run++) {
      for (const t of inputs) t.grad = null;
      const loss = engine.withRecycling(() => crossEntropy(block(inputs), targets));
      loss.backward();
      expect(Number.isFinite(loss.item())).toBe(true);
      grads.push(inputs.map((t) => t.grad!.slice()));
    }
    expect(grads[1]).toEqual(grads[0]);
    expect(grads[2]).toEqual(grads[0]);
    expect(engine.pooledMemory).toBeGreaterThan(0);
  });

  it('withRecycling keeps the returned tensor intact, also when it is a view', () => {
    const w = rand([C, C], 72);
    const x = rand([B * T, C], 73, { grad: false });
    const view = engine.withRecycling(() => reshape(linear(x, w), [B, T, C]));
    const before = view.data.slice();
    view.backward(new Float32Array(view.size).fill(1));
    engine.acquire(view.size).fill(7); // would overwrite the buffer had backward recycled it
    expect(view.data).toEqual(before);
  });

  it('outside withRecycling, op outputs keep their data after backward', () => {
    const w = rand([C, C], 70);
    const x = rand([B * T, C], 71, { grad: false });
    const y = linear(x, w);
    const before = y.data.slice();
    sum(mul(y, y)).backward();
    expect(y.data).toEqual(before);
  });
});

describe('engine buffer pool', () => {
  it('reuses released buffers within a size class and never hands one out twice', () => {
    const e = createEngine({ backend: 'js' });
    const a = e.acquire(5000);
    expect(a.length).toBe(5000);
    e.release(a);
    e.release(a); // double release is ignored
    const b = e.acquire(4990); // same size class
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(4990);
    const c = e.acquire(4990);
    expect(c.buffer).not.toBe(a.buffer);
    e.release(b);
    expect(Array.from(e.acquireZeroed(5000).subarray(0, 3))).toEqual([0, 0, 0]);
    const small = e.acquire(10);
    e.release(small);
    expect(e.pooledMemory).toBe(0);
    e.release(new Float32Array(new ArrayBuffer(4 * 8192), 4, 2048)); // offset views are not pooled
    expect(e.pooledMemory).toBe(0);
  });

  it('a request with no buffer of its own size class takes a pooled one up to twice its size, not a bigger one', () => {
    const e = createEngine({ backend: 'js' });
    const big = e.acquire(9000);
    big.fill(5);
    e.release(big);
    const pooled = e.pooledMemory;
    const smaller = e.acquire(5000); // 1.8x smaller: reuses big's buffer
    expect(smaller.buffer).toBe(big.buffer);
    expect(smaller.length).toBe(5000);
    expect(e.pooledMemory).toBe(0);
    e.release(smaller); // goes back whole, in big's class
    expect(e.pooledMemory).toBe(pooled);
    expect(e.acquire(3000).buffer).not.toBe(big.buffer); // 3x smaller: a fresh buffer
    const zeroed = e.acquireZeroed(6000); // recycled views are cleared too
    expect(zeroed.buffer).toBe(big.buffer);
    expect(zeroed.every((x) => x === 0)).toBe(true);
  });

  it('only buffers it handed out go back to the pool', () => {
    const e = createEngine({ backend: 'js' });
    e.release(new Float32Array(8192)); // a whole size-class array it never made
    expect(e.pooledMemory).toBe(0);
    const a = e.acquire(8192);
    e.release(a.subarray(0, 4096)); // a prefix view shares the start: that is the buffer itself
    expect(e.pooledMemory).toBe(8192 * 4);
    createEngine({ backend: 'js' }).release(e.acquire(8192)); // another engine's buffer
    expect(e.pooledMemory).toBe(0);
  });

  it.skipIf(!nativeBackendStatus().available)('native: pooled, recycled and packed buffers start on a 64-byte boundary', () => {
    const e = createEngine({ backend: 'native' });
    const alignmentOf = e.backend.alignmentOf!;
    expect(alignmentOf).toBeDefined();
    // what a plain large array gets (malloc's 16-byte alignment), so the check below can fail
    const plain = Array.from({ length: 8 }, (_, i) => alignmentOf(new Float32Array(4096 + 1000 * i)));
    expect(plain.some((mod) => mod !== 0)).toBe(true);
    const sizes = [1024, 1500, 4096, 5000, 70000, 300000];
    const bufs = sizes.map((n) => e.acquire(n));
    for (const b of bufs) expect(alignmentOf(b)).toBe(0);
    for (const b of bufs) e.release(b);
    for (const n of sizes) {
      const again = e.acquire(n); // recycled from the pool
      expect(bufs.some((b) => b.buffer === again.buffer)).toBe(true);
      expect(alignmentOf(again)).toBe(0);
      expect(again.length).toBe(n);
    }
    expect(alignmentOf(e.alignedUint16(12345))).toBe(0);
    expect(alignmentOf(e.alignedFloat32(777))).toBe(0);
    expect(e.alignedFloat32(777).every((x) => x === 0)).toBe(true);
    expect(e.alignedUint16(3).length).toBe(3);
  });
});
