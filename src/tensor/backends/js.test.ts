// Kernel unit tests for the js backend against naive float64 formulas written out directly from
// the Backend interface's documentation (it is the oracle for everything else, so it is checked
// against the definitions, not against itself).
import { describe, expect, it } from 'vitest';
import type { AttentionShape } from '../backend.js';
import { createJsBackend } from './js.js';

const backend = createJsBackend();

function randomArray(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('gemm', () => {
  // naive C[b] = op(A[b]) op(B[b]) (+ C)
  function naive(tA: boolean, tB: boolean, batch: number, M: number, N: number, K: number, A: Float32Array,
    B: Float32Array, C0: Float32Array, acc: boolean, bcast: boolean): Float64Array {
    const out = new Float64Array(batch * M * N);
    for (let b = 0; b < batch; b++) {
      const bb = bcast ? 0 : b;
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = acc ? C0[b * M * N + i * N + j] : 0;
          for (let k = 0; k < K; k++) {
            const a = tA ? A[b * M * K + k * M + i] : A[b * M * K + i * K + k];
            const bv = tB ? B[bb * K * N + j * K + k] : B[bb * K * N + k * N + j];
            s += a * bv;
          }
          out[b * M * N + i * N + j] = s;
        }
      }
    }
    return out;
  }

  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      for (const [batch, bcast, acc] of [[1, false, false], [3, false, true], [3, true, false]] as const) {
        it(`transA=${tA} transB=${tB} batch=${batch} broadcastB=${bcast} accumulate=${acc}`, () => {
          const M = 5, N = 7, K = 6; // N = 7 exercises the 4-wide unroll's remainder
          const A = randomArray(batch * M * K, 1);
          const B = randomArray((bcast ? 1 : batch) * K * N, 2);
          const C = randomArray(batch * M * N, 3);
          const expected = naive(tA, tB, batch, M, N, K, A, B, C, acc, bcast);
          backend.gemm(tA, tB, batch, M, N, K, A, B, C, acc, bcast);
          expect(maxDiff(C, expected)).toBeLessThan(1e-5);
        });
      }
    }
  }
});

describe('attention', () => {
  // naive per (b, h, t): scores over visible keys, softmax, weighted sum of values
  function naive(shape: AttentionShape, q: Float32Array, k: Float32Array, v: Float32Array, keyStart: Int32Array | null) {
    const { batch: B, queryLength: T, keyLength: S, heads: H, kvHeads: KH, headDim: D } = shape;
    const cap = shape.kvCapacity ?? S;
    const out = new Float64Array(B * T * H * D);
    const probs = new Float64Array(B * H * T * S);
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) {
      const kh = Math.floor(h / (H / KH));
      const scores: number[] = [];
      for (let s = 0; s < S; s++) {
        const visible = s <= S - T + t && s >= (keyStart ? keyStart[b] : 0);
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[((b * T + t) * H + h) * D + d] * k[((b * cap + s) * KH + kh) * D + d];
        scores.push(visible ? dot / Math.sqrt(D) : -Infinity);
      }
      const max = Math.max(...scores);
      if (max === -Infinity) continue; // fully masked: zeros
      const e = scores.map((x) => Math.exp(x - max));
      const z = e.reduce((a, c) => a + c, 0);
      for (let s = 0; s < S; s++) {
        const p = e[s] / z;
        probs[((b * H + h) * T + t) * S + s] = p;
        for (let d = 0; d < D; d++) out[((b * T + t) * H + h) * D + d] += p * v[((b * cap + s) * KH + kh) * D + d];
      }
    }
    return { out, probs };
  }

  it('matches the definition with GQA, left padding and kvCapacity > keyLength', () => {
    const shape: AttentionShape = { batch: 2, queryLength: 3, keyLength: 5, heads: 4, kvHeads: 2, headDim: 4, kvCapacity: 7 };
    const q = randomArray(2 * 3 * 4 * 4, 4);
    const k = randomArray(2 * 7 * 2 * 4, 5);
    const v = randomArray(2 * 7 * 2 * 4, 6);
    const keyStart = Int32Array.of(0, 2);
    const out = new Float32Array(q.length);
    const probs = new Float32Array(2 * 4 * 3 * 5);
    backend.attentionForward(shape, q, k, v, keyStart, out, probs);
    const ref = naive(shape, q, k, v, keyStart);
    expect(maxDiff(out, ref.out)).toBeLessThan(1e-6);
    expect(maxDiff(probs, ref.probs)).toBeLessThan(1e-6);
    // the masked keys of row 1 really got zero probability
    expect(probs[((1 * 4 + 0) * 3 + 0) * 5 + 1]).toBe(0);
  });

  it('gives zeros for fully masked (padding) queries', () => {
    const shape: AttentionShape = { batch: 1, queryLength: 4, keyLength: 4, heads: 1, kvHeads: 1, headDim: 2 };
    const q = randomArray(8, 7);
    const k = randomArray(8, 8);
    const v = randomArray(8, 9);
    const out = new Float32Array(8).fill(99);
    backend.attentionForward(shape, q, k, v, Int32Array.of(2), out, null);
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(maxDiff(out, naive(shape, q, k, v, Int32Array.of(2)).out)).toBeLessThan(1e-6);
  });
});

describe('element-wise, norms and losses', () => {
  it('rmsnorm forward matches x / sqrt(mean(x^2) + eps) * w', () => {
    const x = randomArray(3 * 8, 10);
    const w = randomArray(8, 11);
    const out = new Float32Array(24);
    const rstd = new Float32Array(3);
    backend.rmsnormForward(x, w, 8, 1e-5, out, rstd);
    for (let n = 0; n < 3; n++) {
      let ms = 0;
      for (let c = 0; c < 8; c++) ms += x[n * 8 + c] ** 2 / 8;
      const r = 1 / Math.sqrt(ms + 1e-5);
      expect(rstd[n]).toBeCloseTo(r, 5);
      for (let c = 0; c < 8; c++) expect(out[n * 8 + c]).toBeCloseTo(x[n * 8 + c] * r * w[c], 5);
    }
  });

  it('rope rotates pairs (i, i + D/2) and inverse undoes it', () => {
    const D = 6, H = 2, BT = 3;
    const x = randomArray(BT * H * D, 12);
    const positions = Int32Array.of(0, 5, 11);
    const invFreq = Float32Array.of(1, 0.1, 0.01);
    const out = new Float32Array(x.length);
    backend.rope(x, positions, invFreq, BT, H, D, false, out);
    for (let bt = 0; bt < BT; bt++) for (let h = 0; h < H; h++) for (let i = 0; i < 3; i++) {
      const off = (bt * H + h) * D;
      const angle = positions[bt] * invFreq[i];
      expect(out[off + i]).toBeCloseTo(x[off + i] * Math.cos(angle) - x[off + i + 3] * Math.sin(angle), 5);
      expect(out[off + i + 3]).toBeCloseTo(x[off + i + 3] * Math.cos(angle) + x[off + i] * Math.sin(angle), 5);
    }
    const back = new Float32Array(x.length);
    backend.rope(out, positions, invFreq, BT, H, D, true, back);
    expect(maxDiff(back, x)).toBeLessThan(1e-6);
    // aliasing out == x is allowed
    const inPlace = x.slice();
    backend.rope(inPlace, positions, invFreq, BT, H, D, false, inPlace);
    expect(maxDiff(inPlace, out)).toBe(0);
  });

  it('crossEntropy matches -log softmax, honours ignore and weights, and its gradient', () => {
    const V = 5;
    const logits = randomArray(3 * V, 13);
    const targets = Int32Array.of(2, -1, 4);
    const weights = Float32Array.of(0.5, 3, 2);
    const losses = new Float32Array(3);
    const dLogits = new Float32Array(3 * V);
    const total = backend.crossEntropy(logits, targets, weights, V, losses, dLogits, 0.25);
    let expectedTotal = 0;
    for (const n of [0, 2]) {
      const row = Array.from(logits.subarray(n * V, (n + 1) * V));
      const lse = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
      expect(losses[n]).toBeCloseTo(lse - row[targets[n]], 5);
      expectedTotal += weights[n] * (lse - row[targets[n]]);
      for (let i = 0; i < V; i++) {
        const p = Math.exp(row[i] - lse);
        expect(dLogits[n * V + i]).toBeCloseTo(0.25 * weights[n] * (p - (i === targets[n] ? 1 : 0)), 6);
      }
    }
    expect(losses[1]).toBe(0);
    expect(Array.from(dLogits.subarray(V, 2 * V))).toEqual([0, 0, 0, 0, 0]);
    expect(total).toBeCloseTo(expectedTotal, 5);
  });

  it('softmax rows sum to one and match exp(x)/sum', () => {
    const x = randomArray(2 * 4, 14);
    const out = new Float32Array(8);
    backend.softmax(x, 4, out);
    for (let n = 0; n < 2; n++) {
      const z = [0, 1, 2, 3].reduce((a, i) => a + Math.exp(x[n * 4 + i]), 0);
      for (let i = 0; i < 4; i++) expect(out[n * 4 + i]).toBeCloseTo(Math.exp(x[n * 4 + i]) / z, 6);
    }
  });

  it('swiglu forward/backward match silu(g) * u and its derivative', () => {
    const g = randomArray(6, 15).map((x) => x * 3);
    const u = randomArray(6, 16);
    const d = randomArray(6, 17);
    const out = new Float32Array(6), dg = new Float32Array(6), du = new Float32Array(6);
    backend.swigluForward(g, u, out);
    backend.swigluBackward(d, g, u, dg, du);
    for (let i = 0; i < 6; i++) {
      const s = 1 / (1 + Math.exp(-g[i]));
      expect(out[i]).toBeCloseTo(g[i] * s * u[i], 6);
      expect(du[i]).toBeCloseTo(d[i] * g[i] * s, 6);
      expect(dg[i]).toBeCloseTo(d[i] * u[i] * (s + g[i] * s * (1 - s)), 6);
    }
  });

  it('embedding gathers rows and scatter-adds repeated ids', () => {
    const w = randomArray(4 * 3, 18);
    const ids = Int32Array.of(2, 0, 2);
    const out = new Float32Array(9);
    backend.embeddingForward(w, ids, 3, out);
    expect(Array.from(out.subarray(0, 3))).toEqual(Array.from(w.subarray(6, 9)));
    const dW = new Float32Array(12);
    backend.embeddingBackward(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), ids, 3, dW);
    expect(Array.from(dW)).toEqual([4, 5, 6, 0, 0, 0, 8, 10, 12, 0, 0, 0]);
  });

  it('adamw applies one bias-corrected step with decoupled decay', () => {
    const p = Float32Array.of(0.5, -1);
    const g = Float32Array.of(0.1, -0.2);
    const m = new Float32Array(2), v = new Float32Array(2);
    backend.adamw(p, g, m, v, 0.01, 0.9, 0.95, 1e-8, 0.1, 1);
    // step 1: mhat = g, vhat = g^2 -> update = sign(g) (up to eps) + wd * p
    expect(p[0]).toBeCloseTo(0.5 - 0.01 * (1 + 0.1 * 0.5), 6);
    expect(p[1]).toBeCloseTo(-1 - 0.01 * (-1 + 0.1 * -1), 6);
    expect(m[0]).toBeCloseTo(0.01, 7);
    expect(v[1]).toBeCloseTo(0.05 * 0.04, 7);
  });

  it('add, addInto, mul, scale, sumSquares', () => {
    const a = Float32Array.of(1, 2, 3), b = Float32Array.of(4, 5, 6), out = new Float32Array(3);
    backend.add(a, b, out);
    expect(Array.from(out)).toEqual([5, 7, 9]);
    backend.mul(a, b, out);
    expect(Array.from(out)).toEqual([4, 10, 18]);
    backend.scale(a, -2, out);
    expect(Array.from(out)).toEqual([-2, -4, -6]);
    backend.addInto(out, b, 0.5);
    expect(Array.from(out)).toEqual([0, -1.5, -3]);
    expect(backend.sumSquares(a)).toBe(14);
  });

  it('argmaxRows: the first largest per row; NaN never wins, a NaN first value is kept', () => {
    const x = Float32Array.of(1, 3, 3, 2, /**/ NaN, 5, 9, 1, /**/ -1, NaN, -2, -0.5, /**/ -0, 0, -1, -3);
    const out = new Int32Array(4);
    backend.argmaxRows(x, 4, out);
    expect(Array.from(out)).toEqual([1, 0, 3, 0]);
  });
});
