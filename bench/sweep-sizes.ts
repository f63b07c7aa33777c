// Per-size cost for the sweep presets, to extrapolate a sweep's wall time from one measured job:
// seconds per AdamW step (batch 32 x 100 tokens by default, the demo's shape) and seconds per greedy
// generation batch (32 prompts of 40 tokens, 64 new tokens: an RL rollout batch of the demo, and
// what evaluation does) for every size of a sweep config, measured back to back and printed with
// the ratios to the first size. Numbers, not pass/fail.
// Usage: npx tsx bench/sweep-sizes.ts configs/sweep-quick.json [steps] [training batch, default 32]
import { generate } from '../src/model/generate.js';
import { LlamaModel, resolveLlamaConfig } from '../src/model/llama.js';
import { AdamW, clipGradNorm, Rng } from '../src/nn/index.js';
import { readSweepConfig } from '../src/sweep/config.js';
import { parameterCount } from '../src/sweep/job.js';
import { createEngine } from '../src/tensor/index.js';

const [file = 'configs/sweep-quick.json', stepsText = '4', batchText = '32'] = process.argv.slice(2);
const steps = Number(stepsText), batch = Number(batchText), time = 100, vocab = 1024;
const engine = createEngine({ backend: 'auto', threads: 2 });
const sweep = readSweepConfig(file);
let first = 0, firstGeneration = 0;
for (const job of sweep.jobs.filter((j) => j.seed === sweep.jobs[0].seed)) {
  const m = job.config.model;
  const model = new LlamaModel(engine, resolveLlamaConfig({
    hidden_size: m.hidden_size, intermediate_size: m.intermediate_size, num_hidden_layers: m.num_hidden_layers,
    num_attention_heads: m.num_attention_heads, vocab_size: vocab, max_position_embeddings: 256,
  }));
  const optimizer = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.1 });
  const rng = new Rng(0);
  const ids = Int32Array.from({ length: batch * time }, () => rng.int(vocab));
  const targets = Int32Array.from({ length: batch * time }, () => rng.int(vocab));
  const step = () => {
    optimizer.zeroGrad();
    model.loss(ids, targets, null, batch, time).backward();
    clipGradNorm(model.parameters(), 1);
    optimizer.step(1e-3);
  };
  step();
  const started = performance.now();
  for (let s = 0; s < steps; s++) step();
  const seconds = (performance.now() - started) / 1000 / steps;
  if (!first) first = seconds;
  // No stop tokens: every row generates all 64 tokens (the worst case of a rollout or eval batch).
  const prompts = Array.from({ length: 32 }, () => Array.from({ length: 40 }, () => rng.int(vocab)));
  generate(model, prompts.slice(0, 2), { maxNewTokens: 4 });
  const generationStarted = performance.now();
  generate(model, prompts, { maxNewTokens: 64 });
  const generation = (performance.now() - generationStarted) / 1000;
  if (!firstGeneration) firstGeneration = generation;
  console.log(JSON.stringify({
    size: job.size, parameters: parameterCount(job.config, vocab), secondsPerStep: Number(seconds.toFixed(4)), ratio: Number((seconds / first).toFixed(2)),
    secondsPerGeneration: Number(generation.toFixed(4)), generationRatio: Number((generation / firstGeneration).toFixed(2)),
  }));
}
