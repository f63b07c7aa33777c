// A frozen linear weight kept in BF16 (2 bytes per parameter instead of 4) and the op that uses it:
// y = x W^T with W dequantized into a pooled F32 buffer for the forward GEMM and again for the
// backward one (dx = dy W), so no F32 copy of the weight outlives a single GEMM. The weight gets no
// gradient: this is for the frozen base under LoRA or partial fine-tuning.
// Not here: which weights are frozen (model/llama.ts) or the BF16 rounding itself (model/safetensors.ts).
import { fmt, gradForOverwriteOrAccumulate, opResult, shapeError, tracking } from '../tensor/autograd.js';
import type { Engine, Tensor } from '../tensor/index.js';

/** float32 -> bfloat16 bits, round to nearest even (NaN stays NaN), as torch rounds. */
function toBfloat16(data: Float32Array): Uint16Array {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const x = bits[i];
    if ((x & 0x7fffffff) > 0x7f800000) out[i] = (x >>> 16) | 0x40; // quiet NaN
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

export class Bf16Weight {
  readonly bits: Uint16Array;
  /** (out, in) */
  readonly shape: readonly [number, number];

  constructor(data: Float32Array, shape: readonly [number, number]) {
    this.bits = toBfloat16(data);
    this.shape = shape;
  }

  get size(): number {
    return this.bits.length;
  }

  /** The weight as float32 (exactly the BF16 values) into `out`. */
  dequantize(out: Float32Array): Float32Array {
    const wide = new Uint32Array(out.buffer, out.byteOffset, this.bits.length);
    for (let i = 0; i < this.bits.length; i++) wide[i] = this.bits[i] << 16;
    return out;
  }
}

/** y (..., out) = x (..., in) @ W^T for a frozen BF16 weight; gradients flow to x only. */
export function linearBf16(engine: Engine, x: Tensor, weight: Bf16Weight): Tensor {
  const [outFeatures, inFeatures] = weight.shape;
  if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== inFeatures) {
    throw shapeError('linearBf16', `input ${fmt(x.shape)} does not end in ${inFeatures} (weight ${fmt(weight.shape)})`);
  }
  const rows = x.size / inFeatures;
  const backend = engine.backend;
  const y = engine.acquire(rows * outFeatures);
  const w = weight.dequantize(engine.acquire(weight.size));
  backend.gemm(false, true, 1, rows, outFeatures, inFeatures, x.data, w, y, false);
  engine.release(w);
  return opResult(engine, y, x.shape.slice(0, -1).concat(outFeatures), [x], tracking(engine, [x]) ? (dy) => {
    if (!x.requiresGrad) return;
    const dx = gradForOverwriteOrAccumulate(x);
    const again = weight.dequantize(engine.acquire(weight.size));
    backend.gemm(false, false, 1, rows, inFeatures, outFeatures, dy, again, dx.buffer, dx.accumulate);
    engine.release(again);
  } : null);
}
