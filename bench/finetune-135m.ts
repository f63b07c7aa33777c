// Benchmark (not a test): one SmolLM2-135M-shaped Llama (hidden 576, 30 layers, 9 heads, 3 KV heads,
// intermediate 1536, vocab 49152, tied embeddings; random weights) fine-tuned with LoRA and with full
// fine-tuning: seconds per training step and peak resident memory, each mode in a fresh process.
// Usage: npx tsx bench/finetune-135m.ts [--steps 2] [--batch 4] [--seq 128] [--threads 2] [--modes lora,lora-attention,full]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LlamaModel, resolveLlamaConfig } from '../src/model/llama.js';
import { createEngine } from '../src/tensor/index.js';
import { describeMemory, measureStepSeconds, trainingMemory } from '../src/train/estimate.js';
import type { TrainingScope } from '../src/train/training-scope.js';

const SMOLLM2_135M = {
  vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9,
  num_key_value_heads: 3, max_position_embeddings: 2048, rms_norm_eps: 1e-5, rope_theta: 100000, tie_word_embeddings: true,
};
const SCOPES: Record<string, TrainingScope> = {
  lora: { lora: { rank: 16, alpha: 32, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] } },
  'lora-bf16': { lora: { rank: 16, alpha: 32, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], baseDtype: 'BF16' } },
  'lora-attention': { lora: { rank: 8, alpha: 16, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] } },
  full: {},
};

const { values } = parseArgs({ options: {
  child: { type: 'string' }, steps: { type: 'string', default: '2' }, batch: { type: 'string', default: '4' },
  seq: { type: 'string', default: '128' }, threads: { type: 'string', default: '2' }, modes: { type: 'string', default: Object.keys(SCOPES).join(',') },
} });
const steps = Number(values.steps), batch = Number(values.batch), seq = Number(values.seq), threads = Number(values.threads);

if (values.child) {
  const engine = createEngine({ backend: 'native', threads });
  const built = performance.now();
  const model = new LlamaModel(engine, resolveLlamaConfig(SMOLLM2_135M), { seed: 0 });
  const buildSeconds = (performance.now() - built) / 1000;
  const seconds = measureStepSeconds(model, SCOPES[values.child], batch, seq, steps);
  const probe = trainingMemory(model, batch, seq);
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ mode: values.child, parameters: probe.parameters, trainable: probe.trainable, estimate: describeMemory(probe), estimatedMB: probe.totalBytes / 1e6, seconds, maxRssMB, buildSeconds }));
} else {
  const script = fileURLToPath(import.meta.url);
  console.log(`SmolLM2-135M shape, batch ${batch} x ${seq} tokens, ${steps} timed steps after 1 warm-up, native backend, ${threads} threads`);
  for (const mode of values.modes.split(',')) {
    const result = spawnSync(process.execPath, ['--import', 'tsx', script, '--child', mode, '--steps', String(steps), '--batch', String(batch), '--seq', String(seq), '--threads', String(threads)], { encoding: 'utf8' });
    if (result.status !== 0) { console.log(mode, 'failed', result.stderr.slice(-2000)); continue; }
    const r = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
    console.log(`${mode.padEnd(15)} ${r.seconds.toFixed(2)} s/step  peak RSS ${(r.maxRssMB / 1024).toFixed(2)} GiB  trainable ${r.trainable.toLocaleString('en-US')} of ${r.parameters.toLocaleString('en-US')}  estimate: ${r.estimate}`);
  }
}
