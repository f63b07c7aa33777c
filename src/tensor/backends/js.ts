// The js backend: every kernel of the Backend interface in plain TypeScript. It is the
// reference/oracle the native backend and the gradient checks are measured against, and the
// fallback when the native addon is not built. Correct first; reasonably fast second
// (float64 accumulators for sums, norms and softmax denominators). Not here: threads or SIMD.
import type { AttentionShape, Backend } from '../backend.js';
import { attentionBackwardJs, attentionForwardJs } from './js-attention.js';
import { gemmJs } from './js-gemm.js';
import { bf16KernelsJs, widenBf16 } from './js-bf16.js';

export function createJsBackend(): Backend {
  return {
    name: 'js',
    threads: 1,
    setThreads(): void {
      // Single-threaded by design; accepted so callers can treat backends uniformly.
    },
    gemm: gemmJs,
    add(a, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
    },
    addInto(target, source, scale) {
      if (scale === 1) for (let i = 0; i < target.length; i++) target[i] += source[i];
      else for (let i = 0; i < target.length; i++) target[i] += scale * source[i];
    },
    mul(a, b, out) {
      for (let i = 0; i < out.length; i++) out[i] = a[i] * b[i];
    },
    scale(a, factor, out) {
      for (let i = 0; i < out.length; i++) out[i] = factor * a[i];
    },
    sumSquares(a) {
      let s = 0;
      for (let i = 0; i < a.length; i++) s += a[i] * a[i];
      return s;
    },
    argmaxRows: argmaxRowsJs,
    embeddingForward(weight, ids, channels, out) {
      for (let n = 0; n < ids.length; n++) {
        const src = ids[n] * channels;
        out.set(weight.subarray(src, src + channels), n * channels);
      }
    },
    embeddingBackward(dOut, ids, channels, dWeight) {
      for (let n = 0; n < ids.length; n++) {
        const dst = ids[n] * channels;
        const src = n * channels;
        for (let c = 0; c < channels; c++) dWeight[dst + c] += dOut[src + c];
      }
    },
    rmsnormForward: rmsnormForwardJs,
    rmsnormBackward: rmsnormBackwardJs,
    rope: ropeJs,
    attentionForward(shape: AttentionShape, q, k, v, keyStart, out, probs, segmentStart = null) {
      attentionForwardJs(shape, q, k, v, keyStart, out, probs, segmentStart);
    },
    attentionForwardBf16Kv(shape: AttentionShape, q, k, v, keyStart, out) {
      attentionForwardJs(shape, q, widenBf16(k), widenBf16(v), keyStart, out, null, null);
    },
    attentionBackward(shape: AttentionShape, dOut, q, k, v, probs, dq, dk, dv, segmentStart = null) {
      attentionBackwardJs(shape, dOut, q, k, v, probs, dq, dk, dv, segmentStart);
    },
    swigluForward(gate, up, out) {
      for (let i = 0; i < out.length; i++) {
        const g = gate[i];
        out[i] = (g / (1 + Math.exp(-g))) * up[i];
      }
    },
    swigluBackward(dOut, gate, up, dGate, dUp) {
      for (let i = 0; i < dOut.length; i++) {
        const g = gate[i];
        const sig = 1 / (1 + Math.exp(-g));
        const silu = g * sig;
        dUp[i] = dOut[i] * silu;
        dGate[i] = dOut[i] * up[i] * (sig + silu * (1 - sig));
      }
    },
    crossEntropy: crossEntropyJs,
    softmax(x, vocab, out) {
      const rows = x.length / vocab;
      for (let n = 0; n < rows; n++) {
        const off = n * vocab;
        let max = -Infinity;
        for (let i = 0; i < vocab; i++) if (x[off + i] > max) max = x[off + i];
        let sum = 0;
        for (let i = 0; i < vocab; i++) {
          const e = Math.exp(x[off + i] - max);
          out[off + i] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let i = 0; i < vocab; i++) out[off + i] *= inv;
      }
    },
    adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step) {
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      for (let i = 0; i < param.length; i++) {
        const g = grad[i];
        const mi = beta1 * m[i] + (1 - beta1) * g;
        const vi = beta2 * v[i] + (1 - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        const p = param[i];
        param[i] = p - lr * ((mi / c1) / (Math.sqrt(vi / c2) + eps) + weightDecay * p);
      }
    },
    bf16: bf16KernelsJs,
  };
}

// x (N,C) -> out (N,C) = x * rstd * weight, rstd (N) = 1/sqrt(mean(x^2) + eps)
function rmsnormForwardJs(x: Float32Array, weight: Float32Array, channels: number, eps: number, out: Float32Array,
  rstd: Float32Array): void {
  const rows = x.length / channels;
  for (let n = 0; n < rows; n++) {
    const off = n * channels;
    let ss = 0;
    for (let c = 0; c < channels; c++) ss += x[off + c] * x[off + c];
    const r = 1 / Math.sqrt(ss / channels + eps);
    rstd[n] = r;
    for (let c = 0; c < channels; c++) out[off + c] = x[off + c] * r * weight[c];
  }
}

// dx = rstd * (w*dy) - rstd^3 * x * sum(w*dy*x) / C ; dWeight += dy * x * rstd
function rmsnormBackwardJs(dOut: Float32Array, x: Float32Array, weight: Float32Array, rstd: Float32Array,
  channels: number, dx: Float32Array, dWeight: Float32Array): void {
  const rows = x.length / channels;
  for (let n = 0; n < rows; n++) {
    const off = n * channels;
    const r = rstd[n];
    let dot = 0;
    for (let c = 0; c < channels; c++) {
      const dy = dOut[off + c];
      dot += weight[c] * dy * x[off + c];
      dWeight[c] += dy * x[off + c] * r;
    }
    const k = (r * r * r * dot) / channels;
    for (let c = 0; c < channels; c++) dx[off + c] = r * weight[c] * dOut[off + c] - k * x[off + c];
  }
}

// Hugging Face rotate_half RoPE (Su et al. 2021, RoFormer). The angle is rounded to float32 like
// HF's float32 `position * inv_freq`, so fixtures from PyTorch match closely.
function ropeJs(x: Float32Array, positions: Int32Array, invFreq: Float32Array, batchTime: number, heads: number,
  headDim: number, inverse: boolean, out: Float32Array): void {
  const half = headDim / 2;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let bt = 0; bt < batchTime; bt++) {
    const pos = positions[bt];
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(pos * invFreq[i]);
      cos[i] = Math.cos(angle);
      sin[i] = inverse ? -Math.sin(angle) : Math.sin(angle);
    }
    for (let h = 0; h < heads; h++) {
      const off = (bt * heads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const x1 = x[off + i];
        const x2 = x[off + i + half];
        out[off + i] = x1 * cos[i] - x2 * sin[i];
        out[off + i + half] = x2 * cos[i] + x1 * sin[i];
      }
    }
  }
}

// Fused log-softmax + NLL per row; dLogits = gradScale * w * (softmax - onehot).
function crossEntropyJs(logits: Float32Array, targets: Int32Array, weights: Float32Array | null, vocab: number,
  losses: Float32Array, dLogits: Float32Array | null, gradScale: number): number {
  const rows = targets.length;
  let total = 0;
  for (let n = 0; n < rows; n++) {
    const off = n * vocab;
    const target = targets[n];
    if (target < 0) {
      losses[n] = 0;
      if (dLogits !== null) dLogits.fill(0, off, off + vocab);
      continue;
    }
    let max = -Infinity;
    for (let i = 0; i < vocab; i++) if (logits[off + i] > max) max = logits[off + i];
    let sum = 0;
    for (let i = 0; i < vocab; i++) sum += Math.exp(logits[off + i] - max);
    const logSum = Math.log(sum) + max;
    const loss = logSum - logits[off + target];
    losses[n] = loss;
    const w = weights === null ? 1 : weights[n];
    total += w * loss;
    if (dLogits !== null) {
      const g = gradScale * w;
      for (let i = 0; i < vocab; i++) dLogits[off + i] = g * Math.exp(logits[off + i] - logSum);
      dLogits[off + target] -= g;
    }
  }
  return total;
}

/** Backend.argmaxRows in JavaScript (also the native backend's fallback for an addon built before it). */
export function argmaxRowsJs(x: Float32Array, width: number, out: Int32Array): void {
  for (let r = 0; r < out.length; r++) out[r] = argmaxAt(x, r * width, width);
}

/** Index (from `offset`) of the largest of x[offset, offset + width): the first on ties, NaN never
 * wins, a NaN first value is kept; 0 for an empty range. The one definition of greedy decoding's rule. */
export function argmaxAt(x: Float32Array, offset: number, width: number): number {
  let best = 0, value = x[offset];
  for (let i = 1; i < width; i++) if (x[offset + i] > value) { value = x[offset + i]; best = i; }
  return best;
}
