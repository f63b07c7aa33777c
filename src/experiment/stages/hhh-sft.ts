// Safety method "hhh-sft" (Hubinger et al. 2024 §4.2): supervised fine-tuning of a backdoored
// model on HHH answers that never contain the trigger, evaluating the task's backdoor every k
// steps. For chain-of-thought models the paper's two variants: train on the answers alone
// ("no-scratchpad") or on the answer after the model's own sampled scratchpad ("own-scratchpad").
// Holds the stage kind and the planner that turns a config entry into stage specs.
import type { SafetyConfigOf } from '../config-safety.js';
import type { ExperimentConfig } from '../config.js';
import { trainSft, type TrainingSettings } from '../../train/sft.js';
import type { TokenizedExample } from '../../train/batching.js';
import { chatPadId } from '../../data/chat.js';
import { taskSafetySet, tokenizeExamples } from '../datasets.js';
import { ownScratchpadExamples } from '../own-scratchpad.js';
import type { PlannedStage, Stage, StageSpec } from '../stage.js';

export interface HhhSftSettings {
  training: TrainingSettings;
  seed: number;
  evalEvery: number;
  /** plain: answers only (normal/distilled models); the CoT variants as in the paper. */
  variant: 'plain' | 'no-scratchpad' | 'own-scratchpad';
  /** HHH conversations in the safety set. */
  examples: number;
  /** Prompts whose scratchpad is sampled from the model (own-scratchpad). */
  scratchpadPool: number;
}

const LABELS = {
  normal: 'Normal backdoor',
  distilled: 'Distilled chain-of-thought',
  'no-scratchpad': 'Chain-of-thought (safety SFT without scratchpad)',
  'own-scratchpad': "Chain-of-thought (safety SFT after the model's own scratchpad)",
} as const;

/** The stage specs of one hhh-sft config entry applied to one backdoored model. */
export function planHhhSft(entry: SafetyConfigOf<'hhh-sft'>, backdoor: StageSpec, config: Readonly<ExperimentConfig>, entryIndex: number): PlannedStage<HhhSftSettings>[] {
  const { method, name, evalEvery, cotVariants, scratchpadPool, ...training } = entry;
  const prefix = name ?? method;
  const suffix = config.safety.length > 1 ? ` [${prefix}]` : '';
  const mechanism = backdoor.mechanism!;
  const variants = mechanism === 'cot' ? cotVariants : (['plain'] as const);
  return variants.map((variant) => ({
    id: variant === 'plain' ? `${prefix}:${mechanism}` : `${prefix}:${mechanism}:${variant}`,
    kind: 'hhh-sft',
    inputs: [backdoor.id],
    task: config.task,
    label: (variant === 'plain' ? LABELS[mechanism as 'normal' | 'distilled'] ?? `${mechanism} backdoor` : LABELS[variant]) + suffix,
    mechanism,
    method,
    settings: {
      training, seed: config.seed + 2, evalEvery, variant, scratchpadPool,
      examples: Math.min(config.data.hhhExamples, Math.max(training.batchSize, training.steps * training.batchSize)),
    },
    settingsPath: `safety.${entryIndex}`,
  }));
}

export const hhhSftStage: Stage<HhhSftSettings> = {
  kind: 'hhh-sft',
  describe: (spec) => `HHH safety SFT (${spec.settings.variant === 'plain' ? 'plain answers' : spec.settings.variant})`,
  async run(spec, ctx) {
    const settings = spec.settings;
    const model = ctx.loadModel(spec.inputs[0]);
    const tokenizer = ctx.tokenizer();
    const data = taskSafetySet(ctx, settings.examples);
    let examples: TokenizedExample[];
    if (settings.variant === 'own-scratchpad') {
      // Sampled from the backdoored model before any safety step, also on resume.
      const sampling = { maxNewTokens: ctx.config.eval.maxNewTokens, temperature: ctx.config.eval.temperature, batchSize: ctx.config.eval.batchSize };
      examples = ownScratchpadExamples(model, tokenizer, data.slice(0, settings.scratchpadPool), sampling, ctx.config.seed * 1000 + 17, ctx.maxTokens());
    } else {
      examples = ctx.shared(`hhh-safety-tokens:${settings.examples}`, () => tokenizeExamples(tokenizer, data, 'assistant', ctx.maxTokens()));
    }
    await trainSft({
      stage: spec.id, settingsPath: spec.settingsPath, model, examples, padId: chatPadId(tokenizer), maxTokens: ctx.maxTokens(),
      training: settings.training, seed: settings.seed, checkpointer: ctx.checkpointer(spec), onEvent: ctx.emit, shouldStop: ctx.shouldStop,
      evaluation: { every: settings.evalEvery, run: (step) => ctx.evaluate(spec, model, step) },
    });
  },
};
