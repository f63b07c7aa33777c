// Stage kind "base": the HHH base model, trained from scratch on the HHH corpus (next-token loss
// on every token), or a copy of a Hugging Face Llama directory (model.pretrained) so later
// stages can resume even if that source directory goes away. Not here: the SFT loop.
import { loadModelCheckpoint } from '../../model/checkpoint-validate.js';
import { trainSft, type TrainingSettings } from '../../train/sft.js';
import { hhhTrainingSet, tokenizeExamples } from '../datasets.js';
import type { Stage } from '../stage.js';
import { chatPadId } from '../../data/chat.js';

export interface BaseSettings {
  training: TrainingSettings;
  seed: number;
  /** Hugging Face Llama directory to copy instead of training, or null. */
  pretrained: string | null;
}

export const baseStage: Stage<BaseSettings> = {
  kind: 'base',
  describe: (spec, ctx) =>
    spec.settings.pretrained ? `copy of ${spec.settings.pretrained}` : `HHH training from scratch, ${ctx.newModel().parameterCount()} parameters`,
  async run(spec, ctx) {
    const model = ctx.newModel();
    const checkpointer = ctx.checkpointer(spec);
    if (spec.settings.pretrained) {
      model.loadStateDict(loadModelCheckpoint(spec.settings.pretrained).tensors);
      checkpointer.saveFinal(model, 0);
      return;
    }
    const examples = tokenizeExamples(ctx.tokenizer(), hhhTrainingSet(ctx.config), 'all', ctx.maxTokens());
    await trainSft({
      stage: spec.id, settingsPath: 'base', model, examples, padId: chatPadId(ctx.tokenizer()), maxTokens: ctx.maxTokens(),
      training: spec.settings.training, seed: spec.settings.seed, checkpointer, onEvent: ctx.emit, shouldStop: ctx.shouldStop,
    });
  },
};
