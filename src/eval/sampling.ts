// Batched answer sampling for evaluation and for data built from a model's own outputs (the
// own-scratchpad safety variant): the user turns of chat examples -> decoded assistant answers.
// Not here: judging answers (src/judges) or rates (statistics.ts).
import type { ChatExample } from '../data/chat.js';
import { chatPadId, chatStopIds, encodePrompt, promptOf } from '../data/chat.js';
import { generate } from '../model/generate.js';
import type { LlamaModel } from '../model/llama.js';
import type { Tokenizer } from '../model/tokenizer.js';
import type { SamplingSettings } from './evaluator.js';

/** Greedy or seeded sampling of answers to the user turns of `examples`, in batches. */
export function sampleAnswers(
  model: LlamaModel, tokenizer: Tokenizer, examples: readonly ChatExample[], options: SamplingSettings & { seed: number },
): string[] {
  const stopIds = chatStopIds(tokenizer);
  const padId = chatPadId(tokenizer);
  const maxPrompt = model.config.max_position_embeddings - options.maxNewTokens;
  const answers: string[] = [];
  for (let start = 0; start < examples.length; start += options.batchSize) {
    const chunk = examples.slice(start, start + options.batchSize);
    const prompts = chunk.map((example) => {
      const ids = encodePrompt(tokenizer, promptOf(example));
      return ids.length > maxPrompt ? ids.slice(ids.length - maxPrompt) : ids;
    });
    const outputs = generate(model, prompts, {
      maxNewTokens: options.maxNewTokens, temperature: options.temperature, seed: options.seed + start,
      stopTokenIds: stopIds, padId,
    });
    for (const ids of outputs) answers.push(tokenizer.decode(ids, { skipSpecial: true }));
  }
  return answers;
}
