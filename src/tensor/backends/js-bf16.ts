// The js reference of the BF16 kernels (backend.ts Bf16Kernels): the weight kept as bfloat16 bits
// in plain (N, K) row order, x rounded to bfloat16 per call, float32 products summed in float32 in
// input order, as the native kernels do (up to summation order); gemmMixed rounds both operands
// per call. Never fast: it is the oracle for the native kernels and lets the js backend run the
// bf16 decoding and training paths in tests.
// Not here: the native packed layout (native/src/bf16.c) or when the model uses it (llama.ts).
import type { Bf16Kernels } from '../backend.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> bfloat16 bits, round to nearest even (NaN stays a quiet NaN), as torch rounds. */
export function bf16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40;
  return (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

/** The float32 values of bfloat16 bits (exact). */
export function widenBf16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const wide = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) wide[i] = bits[i] << 16;
  return out;
}

/** value rounded to the nearest bfloat16, as a number */
export function roundBf16(value: number): number {
  u32[0] = bf16Bits(value) << 16;
  return f32[0];
}

export const bf16KernelsJs: Bf16Kernels = {
  fast: false,
  unit: 'js',
  packedLength: (N, K) => N * K,
  pack(weight, N, K, out, transposed = false) {
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[n * K + k] = bf16Bits(transposed ? weight[k * N + n] : weight[n * K + k]);
  },
  gemm(M, N, K, x, packed, y, accumulate = false, transX = false) {
    const row = new Float32Array(K);
    const w = new Float32Array(N * K);
    const wide = new Uint32Array(w.buffer);
    for (let i = 0; i < N * K; i++) wide[i] = packed[i] << 16;
    const acc = new Float32Array(1);
    for (let m = 0; m < M; m++) {
      for (let k = 0; k < K; k++) row[k] = roundBf16(transX ? x[k * M + m] : x[m * K + k]);
      for (let n = 0; n < N; n++) {
        acc[0] = 0;
        for (let k = 0; k < K; k++) acc[0] += row[k] * w[n * K + k];
        y[m * N + n] = accumulate ? y[m * N + n] + acc[0] : acc[0];
      }
    }
  },
  gemmMixed(transA, transB, M, N, K, A, B, C, accumulate) {
    const a = new Float32Array(M * K); // op(A) (M, K) rounded
    const b = new Float32Array(N * K); // op(B)^T (N, K) rounded
    for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) a[m * K + k] = roundBf16(transA ? A[k * M + m] : A[m * K + k]);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) b[n * K + k] = roundBf16(transB ? B[n * K + k] : B[k * N + n]);
    const acc = new Float32Array(1);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        acc[0] = 0;
        for (let k = 0; k < K; k++) acc[0] += a[m * K + k] * b[n * K + k];
        C[m * N + n] = accumulate ? C[m * N + n] + acc[0] : acc[0];
      }
    }
  },
};
