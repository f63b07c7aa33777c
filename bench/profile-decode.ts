// Where a generation run's time goes: wraps every kernel of the native (or js) backend, including
// the packed decoding GEMMs (f32Packed, bf16), with a timer, runs bench/train.ts's generation
// (small shape, 64-token random prompts, 64 new tokens, greedy) and prints per-kernel ms for the
// prefill (a run with one new token) and for the 64-token run, plus the time outside kernels (JS,
// allocation, sampling). Timing adds ~0.1 us per kernel call. The native backend runs each block
// as one decodeLayer call (its kernels are then inside decodeLayer.run); --unfused runs them one by
// one from JavaScript (LlamaModel.fusedDecode = false) to see them. Not the benchmark (bench/train.ts).
//
// Usage: tsx bench/profile-decode.ts [--config small|tiny|demo] [--batch N] [--threads N] [--decode-weights auto|f32|bf16] [--unfused]
import { generate } from '../src/model/generate.js';
import { LlamaModel, resolveLlamaConfig } from '../src/model/llama.js';
import { Rng } from '../src/nn/index.js';
import type { Backend } from '../src/tensor/backend.js';
import { createEngine, Engine } from '../src/tensor/index.js';
import { BENCH_CONFIGS } from './configs.js';

interface KernelStats { calls: number; ms: number }

function timed<F extends (...a: never[]) => unknown>(name: string, fn: F, stats: Map<string, KernelStats>): F {
  const entry = { calls: 0, ms: 0 };
  stats.set(name, entry);
  return ((...args: never[]) => {
    const started = performance.now();
    const result = fn(...args);
    entry.ms += performance.now() - started;
    entry.calls++;
    return result;
  }) as F;
}

/** The backend with every kernel (and the nested decoding-GEMM objects) timed into `stats`. */
function timedBackend(inner: Backend, stats: Map<string, KernelStats>): Backend {
  const wrapped: Record<string, unknown> = { name: inner.name, get threads() { return inner.threads; }, setThreads: (n: number) => inner.setThreads(n) };
  for (const key of Object.keys(inner) as (keyof Backend)[]) {
    const value = inner[key] as unknown;
    if (key === 'setThreads' || key === 'name' || key === 'threads') continue;
    if (typeof value === 'function') wrapped[key] = timed(key, (value as (...a: never[]) => unknown).bind(inner), stats);
    else if (value !== null && typeof value === 'object') {
      const nested: Record<string, unknown> = { ...value };
      for (const [k, v] of Object.entries(value)) if (typeof v === 'function') nested[k] = timed(`${key}.${k}`, v as (...a: never[]) => unknown, stats);
      wrapped[key] = nested;
    } else wrapped[key] = value;
  }
  return wrapped as unknown as Backend;
}

const argv = process.argv.slice(2);
const option = (flag: string, fallback: string) => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1] : fallback; };
const batch = Number(option('--batch', '16'));
const threads = Number(option('--threads', '2'));
const decodeWeights = option('--decode-weights', 'f32') as 'auto' | 'f32' | 'bf16';
const configName = option('--config', 'small');
if (!(configName in BENCH_CONFIGS)) throw new Error(`--config must be one of ${Object.keys(BENCH_CONFIGS).join(', ')}, got ${configName}`);
const c = BENCH_CONFIGS[configName as keyof typeof BENCH_CONFIGS];
const stats = new Map<string, KernelStats>();
const engine = new Engine(timedBackend(createEngine({ backend: 'native', threads }).backend, stats));
const model = new LlamaModel(engine, resolveLlamaConfig({
  hidden_size: c.hidden, intermediate_size: c.intermediate, num_hidden_layers: c.layers, num_attention_heads: c.heads,
  vocab_size: c.vocab, max_position_embeddings: 256, rms_norm_eps: 1e-5, tie_word_embeddings: false,
}), { seed: 0 });
model.decodeWeights = decodeWeights;
model.fusedDecode = !argv.includes('--unfused');
const rng = new Rng(2);
const prompts = Array.from({ length: batch }, () => Array.from({ length: 64 }, () => Math.floor(rng.next() * c.vocab)));
const measure = (newTokens: number) => {
  generate(model, prompts, { maxNewTokens: newTokens }); // warm-up
  for (const entry of stats.values()) { entry.calls = 0; entry.ms = 0; }
  const runs = 3;
  const started = performance.now();
  for (let i = 0; i < runs; i++) generate(model, prompts, { maxNewTokens: newTokens });
  const total = (performance.now() - started) / runs;
  const kernels = [...stats].filter(([, s]) => s.calls > 0).map(([kernel, s]) => ({ kernel, calls: s.calls / runs, ms: s.ms / runs }));
  return { total, kernels };
};
const prefill = measure(1);
const full = measure(64);
const inKernels = (k: { ms: number }[]) => k.reduce((sum, e) => sum + e.ms, 0);
console.log(JSON.stringify({ batch, threads, decodeWeights, fused: model.fusedDecode, msPrefillRun: Number(prefill.total.toFixed(1)), msFullRun: Number(full.total.toFixed(1)),
  msDecodeSteps: Number((full.total - prefill.total).toFixed(1)), msOutsideKernels: Number((full.total - inKernels(full.kernels)).toFixed(1)) }));
for (const k of full.kernels.sort((a, b) => b.ms - a.ms)) {
  const p = prefill.kernels.find((e) => e.kernel === k.kernel);
  console.log(JSON.stringify({ kernel: k.kernel, calls: k.calls, msFull: Number(k.ms.toFixed(1)), msPrefill: Number((p?.ms ?? 0).toFixed(1)) }));
}
