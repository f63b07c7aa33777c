// Training- and generation-throughput benchmark. Training: the real LlamaModel + AdamW (weight
// decay 0.1) + clipGradNorm(1.0) on random tokens, shapes identical to the PyTorch peer
// (/work/shared/peers/torch_bench.py: tiny, small, demo), timed over a fixed number of steps after
// warm-up. Generation: KV-cache greedy decoding, 64-token prompts + 64 new tokens, on the small
// shape at batch 1, 16 and 64 (as /work/shared/peers/torch_generate.py) and on the demo's model at
// its eval batch of 100. Each measurement runs in its own process, so peakRssMB is that line's own
// peak. One JSON line per measurement; numbers, not pass/fail (see docs/benchmarks.md).
//
// Usage: npm run bench -- [--backend native|js] [--config tiny|small|demo] [--threads N] [--decode-weights auto|f32|bf16]
//          [--train-precision auto|f32|bf16] [--no-generate] [--no-train] [--peers [DIR]] [--python PATH]
// Without --threads, each line is the faster of 1 and 2 threads (the peers report their best too).
// --peers runs the matching PyTorch peer (DIR, default ../shared/peers: torch_bench.py,
// torch_generate.py; through --python, default /usr/bin/python3) right before our line(s), and
// where our GEMMs are bf16 (AMX, AVX512-BF16) also the bf16 peers of bench/peers/ (autocast training, bf16
// weights for generation), then prints one {"compare": ...} line with the ratios; a peer that
// cannot run (no python3-torch) is reported and skipped.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
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
    weights: decodeWeights === 'auto' ? (engine.backend.bf16?.fast ? `bf16 (auto: ${engine.backend.bf16.unit})` : 'f32 (auto)') : decodeWeights,
  };
}

/** The last JSON line of each peer run, by batch for generation ("train" for training); null when it could not run. */
function runPeer(python: string, script: string, arg: string | null, env: Record<string, string>): Map<string, number> | null {
  const hint = 'the peers need PyTorch: apt-get install -y python3-torch libopenblas0-pthread (or --python PATH)';
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.TORCH_THREADS; // set, it would switch the peer scripts into their per-thread child mode
  const child = spawnSync(python, arg === null ? [script] : [script, arg], { encoding: 'utf8', env: childEnv, timeout: 30 * 60_000 });
  if (child.status !== 0) {
    const stderr = (child.stderr || '').trim().split('\n');
    const cause = stderr.find((line) => /ModuleNotFoundError|ImportError/.test(line));
    const reason = child.error?.message || cause || stderr.at(-1) || `exit ${child.status}`;
    console.log(JSON.stringify({ peer: script, env, error: reason, hint }));
    return null;
  }
  const out = new Map<string, number>();
  for (const line of child.stdout.split('\n')) {
    let row: { batch?: number; tokensPerSecond?: number; engine?: string };
    try {
      row = JSON.parse(line) as typeof row;
    } catch {
      continue; // not a result line
    }
    if (typeof row !== 'object' || row === null || typeof row.tokensPerSecond !== 'number' || !Number.isFinite(row.tokensPerSecond)) continue;
    console.log(JSON.stringify({ peer: row.engine ?? script, ...row }));
    out.set(row.batch === undefined ? 'train' : String(row.batch), row.tokensPerSecond);
  }
  if (out.size === 0) console.log(JSON.stringify({ peer: script, env, error: 'the peer printed no result line', hint }));
  return out;
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
    return best as Result;
  };
  // the default peer directory is the shared one beside this checkout, wherever the bench runs from
  const peers = args.peers === 'default' ? join(dirname(script), '..', '..', 'shared', 'peers') : args.peers;
  const ownPeers = join(dirname(script), 'peers');
  // whether our GEMMs run bf16 here (then PyTorch's own bf16 path is the peer that matters too)
  const bf16Here = (choice: 'auto' | 'f32' | 'bf16') => args.backend === 'native' && (choice === 'bf16' || (choice === 'auto' && nativeFastBf16()));
  const ratio = (ours: number, peer: number | undefined) => (peer === undefined ? null : Number((ours / peer).toFixed(2)));
  const compare = (spec: string, ours: Result, f32: number | undefined, bf16: number | undefined) => {
    if (!peers) return;
    console.log(JSON.stringify({ compare: spec, ours: ours.tokensPerSecond, torchF32: f32 ?? null, torchBf16: bf16 ?? null,
      vsTorchF32: ratio(ours.tokensPerSecond, f32), vsTorchBf16: ratio(ours.tokensPerSecond, bf16),
      vsBestTorch: ratio(ours.tokensPerSecond, Math.max(f32 ?? 0, bf16 ?? 0) || undefined) }));
  };
  if (!args.noTrain) {
    for (const name of args.configs) {
      const f32 = peers ? runPeer(args.python, join(peers, 'torch_bench.py'), name, {})?.get('train') : undefined;
      const bf16 = peers && bf16Here(args.trainPrecision) ? runPeer(args.python, join(ownPeers, 'torch_bench_autocast.py'), name, { PEER_AUTOCAST: 'bf16' })?.get('train') : undefined;
      compare(`train:${name}`, measure(`train:${name}`), f32, bf16);
    }
  }
  if (!args.noGenerate) {
    let f32: Map<string, number> | null | undefined, bf16: Map<string, number> | null | undefined;
    if (peers && args.configs.includes('small')) {
      f32 = runPeer(args.python, join(peers, 'torch_generate.py'), null, {});
      if (bf16Here(args.decodeWeights)) bf16 = runPeer(args.python, join(ownPeers, 'torch_generate_dtype.py'), null, { PEER_DTYPE: 'bfloat16' });
    }
    for (const [name, batch] of GENERATION) {
      if (!args.configs.includes(name)) continue;
      const ours = measure(`generate:${name}:${batch}`);
      if (name === 'small') compare(`generate:${name}:${batch}`, ours, f32?.get(String(batch)), bf16?.get(String(batch)));
    }
  }
}

/** Whether this machine's native addon runs bf16 GEMMs on AMX or AVX512-BF16 (what 'auto' picks). */
function nativeFastBf16(): boolean {
  return createEngine({ backend: 'native' }).backend.bf16?.fast === true;
}
