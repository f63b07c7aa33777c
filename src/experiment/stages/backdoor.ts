// Stage kind "backdoor": inserts the task's backdoor by SFT on its training set for one
// mechanism (Hubinger et al. 2024 §3), starting from the base model's final weights; loss on
// assistant turns only. Not here: the data (the task) or the loop (train/sft.ts).
import type { Mechanism } from '../config.js';
import { trainSft, type TrainingSettings } from '../../train/sft.js';
import { tokenizeExamples } from '../datasets.js';
import type { Stage } from '../stage.js';
import { chatPadId } from '../../data/chat.js';

export interface BackdoorSettings {
  training: TrainingSettings;
  seed: number;
  mechanism: Mechanism;
}

export const backdoorStage: Stage<BackdoorSettings> = {
  kind: 'backdoor',
  describe: (spec, ctx) => ctx.task.describeBackdoor(spec.settings.mechanism),
  async run(spec, ctx) {
    const model = ctx.loadModel(spec.inputs[0]);
    const examples = tokenizeExamples(ctx.tokenizer(), ctx.task.backdoorSet(ctx.config, spec.settings.mechanism, ctx.shared), 'assistant', ctx.maxTokens());
    await trainSft({
      stage: spec.id, settingsPath: 'backdoor', model, examples, padId: chatPadId(ctx.tokenizer()), maxTokens: ctx.maxTokens(),
      training: spec.settings.training, seed: spec.settings.seed, checkpointer: ctx.checkpointer(spec), onEvent: ctx.emit, shouldStop: ctx.shouldStop,
    });
  },
};
