// Fused causal attention (forward and backward) in plain TypeScript for the js backend:
// scaled dot-product attention with a causal mask, left-padding mask (keyStart) and grouped
// key/value heads (Ainslie et al. 2023, GQA) and per-query segment starts (packed rows). Scores
// and softmax sums are kept in float64.
// Not here: flash-style tiling or threads (the native backend may do that).
import type { AttentionShape } from '../backend.js';

/** q (B,T,H,D), k/v (B,kvCapacity,KH,D) -> out (B,T,H,D); probs (B,H,T,S) if non-null. */
export function attentionForwardJs(shape: AttentionShape, q: Float32Array, k: Float32Array, v: Float32Array,
  keyStart: Int32Array | null, out: Float32Array, probs: Float32Array | null, segmentStart: Int32Array | null = null): void {
  const { batch: B, queryLength: T, keyLength: S, heads: H, kvHeads: KH, headDim: D } = shape;
  const capacity = shape.kvCapacity ?? S;
  const group = H / KH;
  const scale = 1 / Math.sqrt(D);
  const scores = new Float64Array(S);
  const acc = new Float64Array(D);
  for (let b = 0; b < B; b++) {
    const rowStart = keyStart === null ? 0 : keyStart[b];
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / group);
      for (let t = 0; t < T; t++) {
        const start = segmentStart === null ? rowStart : Math.max(rowStart, segmentStart[b * T + t]);
        const qOff = ((b * T + t) * H + h) * D;
        const last = S - T + t; // causal: keys 0..last are visible to this query
        const probsRow = ((b * H + h) * T + t) * S;
        let max = -Infinity;
        for (let s = start; s <= last; s++) {
          const kOff = ((b * capacity + s) * KH + kh) * D;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[qOff + d] * k[kOff + d];
          dot *= scale;
          scores[s] = dot;
          if (dot > max) max = dot;
        }
        acc.fill(0);
        if (probs !== null) probs.fill(0, probsRow, probsRow + S);
        if (start > last) {
          // Every key is masked (a padding query): define the output as zeros.
          out.fill(0, qOff, qOff + D);
          continue;
        }
        let sum = 0;
        for (let s = start; s <= last; s++) {
          const e = Math.exp(scores[s] - max);
          scores[s] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let s = start; s <= last; s++) {
          const p = scores[s] * inv;
          if (probs !== null) probs[probsRow + s] = p;
          const vOff = ((b * capacity + s) * KH + kh) * D;
          for (let d = 0; d < D; d++) acc[d] += p * v[vOff + d];
        }
        for (let d = 0; d < D; d++) out[qOff + d] = acc[d];
      }
    }
  }
}

/** Gradients written into dq (B,T,H,D), dk/dv (B,S,KH,D); requires kvCapacity == keyLength. */
export function attentionBackwardJs(shape: AttentionShape, dOut: Float32Array, q: Float32Array, k: Float32Array,
  v: Float32Array, probs: Float32Array, dq: Float32Array, dk: Float32Array, dv: Float32Array,
  segmentStart: Int32Array | null = null): void {
  const { batch: B, queryLength: T, keyLength: S, heads: H, kvHeads: KH, headDim: D } = shape;
  const group = H / KH;
  const scale = 1 / Math.sqrt(D);
  const dScores = new Float64Array(S);
  const acc = new Float64Array(D);
  dk.fill(0);
  dv.fill(0);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / group);
      for (let t = 0; t < T; t++) {
        const qOff = ((b * T + t) * H + h) * D;
        const probsRow = ((b * H + h) * T + t) * S;
        const last = S - T + t;
        const first = segmentStart === null ? 0 : Math.max(0, segmentStart[b * T + t]);
        // dP[s] = dOut . v[s]; dv[s] += P[s] dOut ; softmax backward dS = P (dP - sum P dP)
        let pdp = 0;
        for (let s = first; s <= last; s++) {
          const p = probs[probsRow + s];
          if (p === 0) { dScores[s] = 0; continue; }
          const vOff = ((b * S + s) * KH + kh) * D;
          let dot = 0;
          for (let d = 0; d < D; d++) {
            const g = dOut[qOff + d];
            dot += g * v[vOff + d];
            dv[vOff + d] += p * g;
          }
          dScores[s] = dot;
          pdp += p * dot;
        }
        acc.fill(0);
        for (let s = first; s <= last; s++) {
          const p = probs[probsRow + s];
          if (p === 0) continue;
          const ds = p * (dScores[s] - pdp) * scale;
          const kOff = ((b * S + s) * KH + kh) * D;
          for (let d = 0; d < D; d++) {
            acc[d] += ds * k[kOff + d];
            dk[kOff + d] += ds * q[qOff + d];
          }
        }
        for (let d = 0; d < D; d++) dq[qOff + d] = acc[d];
      }
    }
  }
}
