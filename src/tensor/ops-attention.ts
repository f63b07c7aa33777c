// Fused causal self-attention as one forward/backward pair (Vaswani et al. 2017 scaled
// dot-product attention; grouped-query K/V heads, Ainslie et al. 2023). The softmax
// probabilities are saved only when a graph is recorded. Left padding is handled by keyStart,
// packed rows (several conversations per row, each attending only to itself) by segmentStart.
// Not here: projections or RoPE (the model composes those), or the KV cache bookkeeping.
import type { AttentionShape } from './backend.js';
import { commitGrad, fmt, gradWriteTarget, opResult, sameEngine, shapeError, tracking } from './autograd.js';
import type { Tensor } from './tensor.js';

export interface AttentionOptions {
  /** (B) index of the first real key per row; keys before it are masked (left padding). */
  keyStart?: Int32Array | null;
  /** Number of valid keys S when k/v are a cache of capacity k.shape[1] (>= S); default k.shape[1]. */
  keyLength?: number;
  /** (B*T) first visible key of each query (its conversation's first token in a packed row);
   * a value above the query's own index masks every key (padding: output zero). */
  segmentStart?: Int32Array | null;
}

/** out (B,T,H,D) = softmax(q k^T / sqrt(D) + causal mask) v, with q (B,T,H,D), k/v (B,S,KH,D). */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const engine = sameEngine('attention', [q, k, v]);
  if (q.shape.length !== 4 || k.shape.length !== 4 || v.shape.length !== 4) {
    throw shapeError('attention', `q, k, v must be 4-D, got ${fmt(q.shape)}, ${fmt(k.shape)}, ${fmt(v.shape)}`);
  }
  const [batch, queryLength, heads, headDim] = q.shape;
  const [kBatch, capacity, kvHeads, kHeadDim] = k.shape;
  if (kBatch !== batch || kHeadDim !== headDim || k.shape.some((d, i) => d !== v.shape[i])) {
    throw shapeError('attention', `incompatible q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}`);
  }
  if (kvHeads === 0 || heads % kvHeads !== 0) throw shapeError('attention', `heads ${heads} not divisible by kv heads ${kvHeads}`);
  const keyLength = options.keyLength ?? capacity;
  if (keyLength < queryLength || keyLength > capacity) {
    throw shapeError('attention', `key length ${keyLength} must be in [${queryLength}, ${capacity}]`);
  }
  const keyStart = options.keyStart ?? null;
  if (keyStart !== null && keyStart.length !== batch) throw shapeError('attention', `keyStart needs ${batch} entries, got ${keyStart.length}`);
  const segmentStart = options.segmentStart ?? null;
  if (segmentStart !== null && segmentStart.length !== batch * queryLength) {
    throw shapeError('attention', `segmentStart needs ${batch * queryLength} entries, got ${segmentStart.length}`);
  }
  const shape: AttentionShape = { batch, queryLength, keyLength, heads, kvHeads, headDim, kvCapacity: capacity };
  const track = tracking(engine, [q, k, v]);
  if (track && keyLength !== capacity) {
    throw shapeError('attention', 'gradients need keyLength == k.shape[1] (no cache slack); run cached attention under engine.noGrad');
  }
  const backend = engine.backend;
  const out = engine.acquire(q.size);
  // B*H*T*S floats in the backend's own layout; backward reads only what forward wrote, so a recycled buffer is fine
  const probs = track ? engine.acquire(batch * heads * queryLength * keyLength) : null;
  backend.attentionForward(shape, q.data, k.data, v.data, keyStart, out, probs, segmentStart);
  return opResult(engine, out, q.shape, [q, k, v], probs !== null ? (g) => {
    // gradients are written (not accumulated) by the kernel; unneeded ones land in scratch
    const grads = [q, k, v].map((t) => (t.requiresGrad ? gradWriteTarget(t) : engine.acquire(t.size)));
    backend.attentionBackward(shape, g, q.data, k.data, v.data, probs, grads[0], grads[1], grads[2], segmentStart);
    [q, k, v].forEach((t, i) => {
      if (t.requiresGrad) commitGrad(t, grads[i]);
      else engine.release(grads[i]);
    });
    engine.release(probs); // the closure runs once; nothing else holds probs
  } : null);
}
