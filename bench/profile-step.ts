// Where one training step's time goes: wraps every kernel of the chosen backend with a timer,
// runs the bench/train.ts step (LlamaModel + AdamW + clipGradNorm) and prints per-kernel ms/step
// (GEMM also per shape, with GFLOPS) plus the remainder spent outside kernels (autograd
// bookkeeping, allocation, GC). Timing each
// call adds ~0.1 us of overhead per kernel call. Not the benchmark itself (see bench/train.ts).
//
// Usage: tsx bench/profile-step.ts [--backend native|js] [--config tiny|small|demo] [--threads N] (default 2)
//        [--train-precision auto|f32|bf16] (default auto: bf16 GEMMs where the CPU has AMX)
//        [--packed] (instead of the config's batch x seq random tokens: a step as SFT runs it, 32
//        conversations of 20-73 tokens, the last two thirds of each the target, packed by packBatch
//        into rows with document masking; the demo's real steps look like this, ~6 rows x 240)
import { LlamaModel, resolveLlamaConfig } from '../src/model/llama.js';
import { AdamW, clipGradNorm, Rng } from '../src/nn/index.js';
import type { Backend } from '../src/tensor/backend.js';
import { createEngine, Engine } from '../src/tensor/index.js';
import { BENCH_CONFIGS, parseBenchArgs } from './configs.js';
import { packBatch } from '../src/train/batching.js';

interface KernelStats { calls: number; ms: number; flops?: number }

/** A backend whose kernels record call counts and wall time into `stats`. */
function timedBackend(inner: Backend, stats: Map<string, KernelStats>): Backend {
  const wrapped: Record<string, unknown> = {
    name: inner.name,
    get threads() { return inner.threads; },
    setThreads: (n: number) => inner.setThreads(n),
  };
  for (const key of Object.keys(inner) as (keyof Backend)[]) {
    const fn = inner[key];
    if (typeof fn !== 'function' || key === 'setThreads') continue;
    const entry = { calls: 0, ms: 0 };
    stats.set(key, entry);
    wrapped[key] = (...args: unknown[]) => {
      const started = performance.now();
      const result = (fn as (...a: unknown[]) => unknown)(...args);
      const ms = performance.now() - started;
      entry.ms += ms;
      entry.calls++;
      if (key === 'gemm') {
        // per shape too: "NT 1024x128x128" (transposes, M x N x K), batch > 1 noted
        const [transA, transB, batch, M, N, K] = args as [boolean, boolean, number, number, number, number];
        const shape = `gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${M}x${N}x${K}${batch > 1 ? ` x${batch}` : ''}`;
        const byShape = stats.get(shape) ?? { calls: 0, ms: 0, flops: 0 };
        byShape.calls++;
        byShape.ms += ms;
        byShape.flops = 2 * batch * M * N * K;
        stats.set(shape, byShape);
      }
      return result;
    };
  }
  const bf16 = inner.bf16;
  if (bf16 !== undefined) {
    // bf16 kernels (mixed-precision training GEMMs, packing): timed as "bf16.<name>", GEMMs per shape too
    const timed = (name: string, fn: (...a: never[]) => void, shapeOf?: (args: unknown[]) => [string, number]) => (...args: unknown[]) => {
      const started = performance.now();
      (fn as (...a: unknown[]) => void)(...args);
      const ms = performance.now() - started;
      const entry = stats.get(`bf16.${name}`) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += ms;
      stats.set(`bf16.${name}`, entry);
      if (shapeOf) {
        const [shape, flops] = shapeOf(args);
        const byShape = stats.get(shape) ?? { calls: 0, ms: 0, flops: 0 };
        byShape.calls++;
        byShape.ms += ms;
        byShape.flops = flops;
        stats.set(shape, byShape);
      }
    };
    wrapped.bf16 = {
      fast: bf16.fast,
      unit: bf16.unit,
      packedLength: bf16.packedLength,
      pack: timed('pack', bf16.pack),
      gemm: timed('gemm', bf16.gemm, (a) => {
        const [M, N, K, , , , , transX] = a as [number, number, number, unknown, unknown, unknown, boolean?, boolean?];
        return [`gemm bf16 ${transX ? 'T' : 'N'}T(packed) ${M}x${N}x${K}`, 2 * M * N * K];
      }),
      gemmMixed: timed('gemmMixed', bf16.gemmMixed, (a) => {
        const [transA, transB, M, N, K] = a as [boolean, boolean, number, number, number];
        return [`gemm bf16 ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${M}x${N}x${K}`, 2 * M * N * K];
      }),
    };
  }
  return wrapped as unknown as Backend;
}

const packed = process.argv.includes('--packed');
const args = parseBenchArgs(process.argv.slice(2).filter((arg) => arg !== '--packed'));
for (const name of args.configs) {
  const c = BENCH_CONFIGS[name];
  const stats = new Map<string, KernelStats>();
  const engine = new Engine(timedBackend(createEngine({ backend: args.backend, threads: Math.max(...args.threads) }).backend, stats));
  const model = new LlamaModel(engine, resolveLlamaConfig({
    hidden_size: c.hidden, intermediate_size: c.intermediate, num_hidden_layers: c.layers, num_attention_heads: c.heads,
    vocab_size: c.vocab, max_position_embeddings: 2 * c.seq, rms_norm_eps: 1e-5, tie_word_embeddings: false,
  }), { seed: 0 });
  model.trainPrecision = args.trainPrecision;
  const parameters = model.parameters();
  const optimizer = new AdamW(parameters, { lr: 1e-3, weightDecay: 0.1 });
  const rng = new Rng(1);
  const tokens = () => Int32Array.from({ length: c.batch * c.seq }, () => Math.floor(rng.next() * c.vocab));
  const conversation = () => {
    const n = 20 + Math.floor(rng.next() * 54);
    return { ids: Array.from({ length: n }, () => Math.floor(rng.next() * c.vocab)), lossMask: Array.from({ length: n }, (_, i) => (i > n / 3 ? 1 : 0)) };
  };
  const batch = packed
    ? packBatch(Array.from({ length: 32 }, conversation), 0, 2 * c.seq)
    : { inputIds: tokens(), targets: tokens(), weights: null, batch: c.batch, time: c.seq, positions: undefined, segmentStart: undefined };
  if ('realTokens' in batch) console.log(JSON.stringify({ packed: { rows: batch.batch, time: batch.time, realTokens: batch.realTokens } }));
  const step = () => {
    optimizer.zeroGrad();
    const loss = model.loss(batch.inputIds, batch.targets, batch.weights, batch.batch, batch.time, { positions: batch.positions, segmentStart: batch.segmentStart });
    loss.backward();
    clipGradNorm(parameters, 1.0);
    optimizer.step();
    return loss.item();
  };
  for (let i = 0; i < 3; i++) step();
  for (const entry of stats.values()) { entry.calls = 0; entry.ms = 0; }
  const started = performance.now();
  for (let i = 0; i < c.steps; i++) step();
  const stepMs = (performance.now() - started) / c.steps;
  let kernelMs = 0;
  const rows = [...stats].filter(([, s]) => s.calls > 0).sort((a, b) => b[1].ms - a[1].ms).map(([kernel, s]) => {
    if (!kernel.startsWith('gemm ')) kernelMs += s.ms / c.steps;
    const gflops = s.flops === undefined ? {} : { gflops: Math.round((s.flops * s.calls) / s.ms / 1e6) };
    return { kernel, callsPerStep: s.calls / c.steps, msPerStep: Number((s.ms / c.steps).toFixed(2)), ...gflops };
  });
  console.log(JSON.stringify({ config: name, backend: engine.backend.name, threads: engine.backend.threads, msPerStep: Number(stepMs.toFixed(1)),
    kernelMs: Number(kernelMs.toFixed(1)), outsideKernelsMs: Number((stepMs - kernelMs).toFixed(1)) }));
  for (const row of rows) console.log(JSON.stringify(row));
}
