// Stage kind "preference-model": the preference model HHH RL optimises against (Hubinger et al.
// 2024 §4.1), and a second one trained on a disjoint set of pairs as the held-out judge (the
// paper watched a held-out PM to see when RL over-optimises its training PM). Both start from the
// base model. Writes final/ (a LlamaForSequenceClassification directory) and accuracy.json
// (held-out pair accuracy per rejection kind, and the score mean/std RL normalises with).
// Not here: the Bradley-Terry loop (train/reward-model.ts) or the pairs (data/preferences.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatPadId, encodeChat } from '../../data/chat.js';
import { generatePreferencePairs, type PreferencePair } from '../../data/preferences.js';
import { wilsonRate } from '../../eval/statistics.js';
import type { RateWithInterval } from '../../events.js';
import type { Tokenizer } from '../../model/tokenizer.js';
import { loadRewardModel, preferenceAccuracy, RewardModel, trainRewardModel, type PreferenceAccuracy, type TokenizedPair } from '../../train/reward-model.js';
import type { TrainingSettings } from '../../train/sft.js';
import { writeFileAtomic } from '../../util/fs.js';
import type { ExperimentConfig } from '../config.js';
import { dataSeed } from '../datasets.js';
import type { PlannedStage, Stage, StageContext, StageSpec } from '../stage.js';

export interface PreferenceModelSettings {
  training: TrainingSettings;
  /** 0 = the training PM, 1 = the held-out judge (pairs [part*n, (part+1)*n) of one stream) */
  part: 0 | 1;
  pairs: number;
  heldOutPairs: number;
  seed: number;
}

export const PREFERENCE_MODEL_ID = 'preference-model';
export const JUDGE_MODEL_ID = 'preference-model:judge';
const SCORING_BATCH = 64;

/** The two PM stages every RL entry reads (the same specs from every call, so the plan keeps one each). */
export function planPreferenceModels(config: Readonly<ExperimentConfig>): PlannedStage<PreferenceModelSettings>[] {
  const { pairs, heldOutPairs, ...training } = config.preferenceModel;
  const common = { kind: 'preference-model', inputs: ['base'], task: config.task, mechanism: null, method: null, settingsPath: 'preferenceModel' };
  const seed = dataSeed(config, 'preferences');
  return [
    { ...common, id: PREFERENCE_MODEL_ID, label: 'Preference model', settings: { training, part: 0, pairs, heldOutPairs, seed } },
    { ...common, id: JUDGE_MODEL_ID, label: 'Held-out preference model (judge)', settings: { training, part: 1, pairs, heldOutPairs, seed } },
  ];
}

function tokenizePair(tokenizer: Tokenizer, pair: PreferencePair, maxTokens: number): TokenizedPair {
  const encode = (answer: string) => encodeChat(tokenizer, [...pair.prompt, { role: 'assistant', content: answer }]).ids.slice(-maxTokens);
  return { chosen: encode(pair.chosen), rejected: encode(pair.rejected), kind: pair.rejectionKind };
}

/** Held-out accuracy and score statistics of a finished PM stage (accuracy.json, recomputed if missing). */
export function preferenceModelOf(ctx: StageContext, spec: StageSpec<PreferenceModelSettings>): { model: RewardModel; accuracy: PreferenceAccuracy } {
  const dir = ctx.run.stageDir(spec.dir!);
  const model = loadRewardModel(ctx.engine, join(dir, 'final'));
  const path = join(dir, 'accuracy.json');
  if (existsSync(path)) return { model, accuracy: JSON.parse(readFileSync(path, 'utf8')) as PreferenceAccuracy };
  const tokenizer = ctx.tokenizer();
  const heldOut = ctx.shared(`preference-pairs-eval:${spec.settings.heldOutPairs}:${spec.settings.seed}`,
    () => generatePreferencePairs({ n: spec.settings.heldOutPairs, seed: spec.settings.seed, split: 'eval' }));
  const accuracy = preferenceAccuracy(model, heldOut.map((pair) => tokenizePair(tokenizer, pair, ctx.maxTokens())),
    { padId: chatPadId(tokenizer), maxTokens: ctx.maxTokens(), batchSize: SCORING_BATCH });
  writeFileAtomic(path, `${JSON.stringify(accuracy, null, 2)}\n`);
  return { model, accuracy };
}

export const preferenceModelStage: Stage<PreferenceModelSettings> = {
  kind: 'preference-model',
  describe: (spec) => `Bradley-Terry on ${spec.settings.pairs} preference pairs${spec.settings.part === 1 ? ' (disjoint from the training PM\'s)' : ''}`,
  async run(spec, ctx) {
    const settings = spec.settings;
    const tokenizer = ctx.tokenizer();
    const checkpointer = ctx.checkpointer(spec);
    const padId = chatPadId(tokenizer);
    if (!checkpointer.hasFinal()) {
      const all = ctx.shared(`preference-pairs:${settings.pairs}:${settings.seed}`,
        () => generatePreferencePairs({ n: 2 * settings.pairs, seed: settings.seed, split: 'train' }));
      const pairs = all.slice(settings.part * settings.pairs, (settings.part + 1) * settings.pairs).map((pair) => tokenizePair(tokenizer, pair, ctx.maxTokens()));
      const model = new RewardModel(ctx.loadModel(spec.inputs[0]), { seed: settings.seed + settings.part });
      await trainRewardModel({
        stage: spec.id, model, pairs, padId, maxTokens: ctx.maxTokens(), training: settings.training, seed: settings.seed + 10 * settings.part,
        checkpointer, onEvent: ctx.emit, shouldStop: ctx.shouldStop,
      });
    }
    const { accuracy } = preferenceModelOf(ctx, spec);
    const metrics: Record<string, RateWithInterval> = { 'preference-accuracy': wilsonRate(accuracy.overall.correct, accuracy.overall.n) };
    for (const [kind, entry] of Object.entries(accuracy.byKind)) metrics[`preference-accuracy/${kind}`] = wilsonRate(entry.correct, entry.n);
    ctx.emit({ type: 'eval', time: new Date().toISOString(), task: spec.task, stage: spec.id, step: settings.training.steps, metrics });
  },
};
