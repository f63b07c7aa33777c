// Training- and generation-throughput benchmark. Training: the real LlamaModel + AdamW (weight
// decay 0.1) + clipGradNorm(1.0) on random tokens, shapes identical to the PyTorch peer
// (/work/shared/peers/torch_bench.py: tiny, small, demo), timed over a fixed number of steps after
// warm-up. Generation: KV-cache greedy decoding, 64-token prompts + 64 new tokens, on the small
// shape at batch 1, 16 and 64 (as /work/shared/peers/torch_generate.py) and on the demo's model at
// its eval batch of 100. Each measurement runs in its own process, so peakRssMB is that line's own
// peak. One JSON line per measurement; numbers, not pass/fail (see docs/benchmarks.md).
//
// Usage: npm run bench -- [--backend native|js] [--config tiny|small|demo] [--threads N] [--decode-weights auto|f32|bf16] [--no-generate] [--no-train]
// Without --threads, each line is the faster of 1 and 2 threads (the peers report their best too).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LlamaModel, resolveLlamaConfig, resolvePrecision } from '../src/model/llama.js';
import { generate } from '../src/model/generate.js';
import { AdamW, clipGradNorm, Rng } from '../src/nn/index.js';
import { nativeBackendStatus } from '../src/tensor/backends/native.js';
import { createEngine, type Engine } from '../src/tensor/index.js';
import { BENCH_CONFIGS, parseBenchArgs, type BenchArgs, type BenchConfig, type BenchConfigName } from './configs.js';

const WARMUP_STEPS = 3; // as the peer
const GENERATION_RUNS = 3; // timed runs averaged, as torch_generate.py
const GENERATION = [['small', 1], ['small', 16], ['small', 64], ['demo', 100]] as const;

function buildModel(engine: Engine, c: BenchConfig): LlamaModel {
  const config = resolveLlamaConfig({
    hidden_size: c.hidden, intermediate_size: c.intermediate, num_hidden_layers: c.layers, num_attention_heads: c.heads,
    vocab_size: c.vocab, max_position_embeddings: Math.max(2 * c.seq, 256), rms_norm_eps: 1e-5, tie_word_embeddings: false,
  });
  return new LlamaModel(engine, config, { seed: 0 });
}

function randomTokens(count: number, vocab: number, rng: Rng): Int32Array {
  return Int32Array.from({ length: count }, () => Math.floor(rng.next() * vocab));
}

/** "OpenBLAS 0.3.21 Haswell": which sgemm kernels ran (OPENBLAS_CORETYPE changes them). */
function blasSummary(engine: Engine): string | undefined {
  if (engine.backend.name !== 'native') return undefined;
  const status = nativeBackendStatus();
  if (!status.available) return undefined;
  const words = status.info.blas.split(' ');
  const core = words.findIndex((word) => word.startsWith('MAX_THREADS'));
  return core > 0 ? `${words[0]} ${words[1]} ${words[core - 1]}` : status.info.blas;
}

function peakRssMB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024); // maxRSS is in KiB
}

interface Result { tokensPerSecond: number; [key: string]: unknown }

function benchTraining(engine: Engine, name: BenchConfigName, trainPrecision: BenchArgs['trainPrecision']): Result {
  const c = BENCH_CONFIGS[name];
  const model = buildModel(engine, c);
  model.trainPrecision = trainPrecision;
  const parameters = model.parameters();
  const optimizer = new AdamW(parameters, { lr: 1e-3, weightDecay: 0.1 });
  const rng = new Rng(1);
  const inputs = randomTokens(c.batch * c.seq, c.vocab, rng);
  const targets = randomTokens(c.batch * c.seq, c.vocab, rng);
  let loss = NaN;
  const step = () => {
    optimizer.zeroGrad();
    const lossTensor = model.loss(inputs, targets, null, c.batch, c.seq);
    lossTensor.backward();
    clipGradNorm(parameters, 1.0);
    optimizer.step();
    loss = lossTensor.item();
  };
  for (let i = 0; i < WARMUP_STEPS; i++) step();
  const started = performance.now();
  for (let i = 0; i < c.steps; i++) step();
  const msPerStep = (performance.now() - started) / c.steps;
  if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}: the benchmark did not train`);
  // random tokens with every target set: useful tokens/s = padded tokens/s here
  return {
    config: name, params: model.parameterCount(), tokensPerSecond: Math.round((c.batch * c.seq * 1000) / msPerStep),
    msPerStep: Number(msPerStep.toFixed(1)), peakRssMB: peakRssMB(), backend: engine.backend.name, threads: engine.backend.threads,
    blas: blasSummary(engine), gemms: `${resolvePrecision(trainPrecision, engine)}${trainPrecision === 'auto' ? ' (auto)' : ''}`, loss: Number(loss.toFixed(4)),
  };
}

/** Greedy KV-cache generation: 64-token random prompts, 64 new tokens (no row stops early). */
function benchGeneration(engine: Engine, name: BenchConfigName, batch: number, decodeWeights: BenchArgs['decodeWeights']): Result {
  const model = buildModel(engine, BENCH_CONFIGS[name]);
  model.decodeWeights = decodeWeights;
  const promptLength = 64, newTokens = 64;
  const rng = new Rng(2);
  const prompts = Array.from({ length: batch }, () => Array.from(randomTokens(promptLength, model.config.vocab_size, rng)));
  generate(model, prompts, { maxNewTokens: newTokens }); // warm-up (and the pool)
  let produced = 0;
  const started = performance.now();
  for (let run = 0; run < GENERATION_RUNS; run++) produced += generate(model, prompts, { maxNewTokens: newTokens }).reduce((sum, row) => sum + row.length, 0);
  const seconds = (performance.now() - started) / 1000;
  return {
    config: name, task: 'generate', batch, promptTokens: promptLength, newTokens, tokensPerSecond: Math.round(produced / seconds),
    msTotal: Math.round((seconds * 1000) / GENERATION_RUNS), peakRssMB: peakRssMB(), backend: engine.backend.name, threads: engine.backend.threads,
    weights: decodeWeights === 'auto' ? (engine.backend.bf16?.fast ? 'bf16 (auto: AMX)' : 'f32 (auto)') : decodeWeights,
  };
}

const args = parseBenchArgs(process.argv.slice(2));
if (args.one !== undefined) {
  // child: one measurement at one thread setting
  const [task, config, batch] = args.one.split(':') as [string, BenchConfigName, string?];
  const engine = createEngine({ backend: args.backend, threads: args.threads[0] });
  const result = task === 'train' ? benchTraining(engine, config, args.trainPrecision) : benchGeneration(engine, config, Number(batch), args.decodeWeights);
  console.log(JSON.stringify(result));
} else {
  const script = fileURLToPath(import.meta.url);
  const threadSettings = args.backend === 'js' ? [1] : args.threads;
  const measure = (spec: string) => {
    // fastest of the thread settings, each in a fresh process (its own peak RSS)
    let best: Result | null = null;
    for (const threads of threadSettings) {
      const child = spawnSync(process.execPath, [...process.execArgv, script, '--one', spec, '--backend', args.backend, '--threads', String(threads), '--decode-weights', args.decodeWeights, '--train-precision', args.trainPrecision], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`bench ${spec} failed:\n${child.stderr}`);
      const result = JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as Result;
      if (best === null || result.tokensPerSecond > best.tokensPerSecond) best = result;
    }
    console.log(JSON.stringify(best));
  };
  if (!args.noTrain) for (const name of args.configs) measure(`train:${name}`);
  if (!args.noGenerate) {
    for (const [name, batch] of GENERATION) if (args.configs.includes(name)) measure(`generate:${name}:${batch}`);
  }
}
