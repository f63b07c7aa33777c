// Policy-gradient losses as fused forward/backward pairs over per-token values: the clipped
// surrogate of PPO (Schulman et al. 2017, eq. 7) on per-token log-probs with signed advantages,
// and PPO's clipped value loss. Both are weighted means over rows with weight > 0 (response
// tokens), so padding and prompt tokens contribute nothing. Also returns the clip statistics the
// trainers log. Not here: computing log-probs (ops-loss.ts logProbs) or advantages (src/train).
import { accumulateOwned, fmt, opResult, shapeError, tracking } from './autograd.js';
import type { Tensor } from './tensor.js';

export interface ClippedLoss {
  /** scalar loss tensor (shape []) */
  loss: Tensor;
  /** weighted share of rows whose clipped term was the active (smaller) one */
  clipFraction: number;
}

function checkRows(op: string, x: Tensor, arrays: Record<string, Float32Array>): number {
  const rows = x.size;
  for (const [name, array] of Object.entries(arrays)) {
    if (array.length !== rows) throw shapeError(op, `${name} has ${array.length} entries for input ${fmt(x.shape)}`);
  }
  return rows;
}

function weightTotal(weights: Float32Array): number {
  let total = 0;
  for (let n = 0; n < weights.length; n++) total += weights[n];
  return total;
}

/**
 * PPO's clipped surrogate: mean_w max(-A r, -A clip(r, 1 - eps, 1 + eps)) with r = exp(logp - oldLogp).
 * d/dlogp = -A r (times w / sum w) where the unclipped term is the active one, else 0.
 */
export function clippedPolicyLoss(logp: Tensor, oldLogp: Float32Array, advantages: Float32Array, weights: Float32Array, clip: number): ClippedLoss {
  const rows = checkRows('clippedPolicyLoss', logp, { oldLogp, advantages, weights });
  if (!(clip > 0)) throw shapeError('clippedPolicyLoss', `clip must be > 0, got ${clip}`);
  const engine = logp.engine;
  const total = weightTotal(weights);
  const scaleBy = total > 0 ? 1 / total : 0;
  const slope = new Float32Array(rows); // d(row loss)/d(logp) before weighting
  let loss = 0;
  let clipped = 0;
  for (let n = 0; n < rows; n++) {
    const w = weights[n];
    if (w === 0) continue;
    const ratio = Math.exp(logp.data[n] - oldLogp[n]);
    const a = advantages[n];
    const bounded = Math.min(Math.max(ratio, 1 - clip), 1 + clip);
    const unclippedTerm = -a * ratio;
    const clippedTerm = -a * bounded;
    if (unclippedTerm >= clippedTerm) {
      loss += w * unclippedTerm;
      slope[n] = -a * ratio;
    } else {
      loss += w * clippedTerm;
      clipped += w;
    }
  }
  const out = Float32Array.of(loss * scaleBy);
  const tensor = opResult(engine, out, [], [logp], tracking(engine, [logp]) ? (g) => {
    const dx = new Float32Array(rows);
    for (let n = 0; n < rows; n++) dx[n] = g[0] * weights[n] * scaleBy * slope[n];
    accumulateOwned(logp, dx);
  } : null);
  return { loss: tensor, clipFraction: clipped * scaleBy };
}

/**
 * PPO's clipped value loss: mean_w 0.5 max((v - R)^2, (clip(v, old - eps, old + eps) - R)^2).
 * The gradient flows through whichever term is larger (none when the clipped one is, as v is then
 * outside the trust region and clip() is flat there).
 */
export function clippedValueLoss(values: Tensor, oldValues: Float32Array, returns: Float32Array, weights: Float32Array, clip: number): ClippedLoss {
  const rows = checkRows('clippedValueLoss', values, { oldValues, returns, weights });
  if (!(clip > 0)) throw shapeError('clippedValueLoss', `clip must be > 0, got ${clip}`);
  const engine = values.engine;
  const total = weightTotal(weights);
  const scaleBy = total > 0 ? 1 / total : 0;
  const slope = new Float32Array(rows);
  let loss = 0;
  let clipped = 0;
  for (let n = 0; n < rows; n++) {
    const w = weights[n];
    if (w === 0) continue;
    const v = values.data[n];
    const bounded = Math.min(Math.max(v, oldValues[n] - clip), oldValues[n] + clip);
    const plain = (v - returns[n]) ** 2;
    const limited = (bounded - returns[n]) ** 2;
    if (plain >= limited) {
      loss += 0.5 * w * plain;
      slope[n] = v - returns[n];
    } else {
      loss += 0.5 * w * limited;
      clipped += w;
    }
  }
  const out = Float32Array.of(loss * scaleBy);
  const tensor = opResult(engine, out, [], [values], tracking(engine, [values]) ? (g) => {
    const dx = new Float32Array(rows);
    for (let n = 0; n < rows; n++) dx[n] = g[0] * weights[n] * scaleBy * slope[n];
    accumulateOwned(values, dx);
  } : null);
  return { loss: tensor, clipFraction: clipped * scaleBy };
}
