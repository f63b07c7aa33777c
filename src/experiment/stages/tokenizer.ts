// Stage kind "tokenizer": trains the run's byte-level BPE on the HHH corpus plus the task's
// backdoor text and writes RUN/tokenizer.json. Absent when the run starts from a pretrained
// model (its tokenizer comes with it). Not here: the BPE trainer (src/model/tokenizer-train.ts).
import { existsSync } from 'node:fs';
import { trainTokenizer } from '../datasets.js';
import type { Stage } from '../stage.js';

export interface TokenizerSettings {
  vocabSize: number;
}

export const tokenizerStage: Stage<TokenizerSettings> = {
  kind: 'tokenizer',
  describe: (spec) => `byte-level BPE, vocab ${spec.settings.vocabSize}`,
  progress: (_spec, ctx) => (existsSync(ctx.run.tokenizerPath) ? 'final' : null),
  async run(_spec, ctx) {
    trainTokenizer(ctx.config, ctx.task, ctx.shared).save(ctx.run.tokenizerPath);
  },
};
