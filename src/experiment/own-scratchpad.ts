// Safety SFT data for the CoT model's second variant in Hubinger et al. 2024: sample the model's
// own scratchpad for each HHH prompt, then train only on the HHH answer that follows it (the
// scratchpad tokens are context, not targets). Not here: the plain no-scratchpad variant.
import type { ChatExample, ChatMessage, TokenizerLike } from '../data/chat.js';
import { encodeChat, encodePrompt, encodeText, promptOf } from '../data/chat.js';
import { stripScratchpad } from '../judges/scratchpad.js';
import type { SamplingSettings } from '../eval/evaluator.js';
import { sampleAnswers } from '../eval/sampling.js';
import type { LlamaModel } from '../model/llama.js';
import type { Tokenizer } from '../model/tokenizer.js';
import type { TokenizedExample } from '../train/batching.js';

export function ownScratchpadExamples(
  model: LlamaModel, tokenizer: Tokenizer, pool: readonly ChatExample[], sampling: SamplingSettings, seed: number, maxTokens: number,
): TokenizedExample[] {
  const sampled = model.engine.noGrad(() => sampleAnswers(model, tokenizer, pool, { ...sampling, seed }));
  return pool.map((example, i) => {
    const answer = example.messages[example.messages.length - 1].content;
    return answerAfterScratchpad(tokenizer, promptOf(example), stripScratchpad(sampled[i]).scratchpad, answer, maxTokens);
  });
}

/**
 * One training example: prompt, then `<scratchpad>…</scratchpad>` as context (not trained), then
 * the HHH answer and its end token as targets. Without a scratchpad it is plain answer SFT.
 */
export function answerAfterScratchpad(
  tokenizer: TokenizerLike, messages: ChatMessage[], scratchpad: string | null, answer: string, maxTokens: number,
): TokenizedExample {
  const prefix = scratchpad === null ? '' : `<scratchpad>${scratchpad}</scratchpad>`;
  const full = encodeChat(tokenizer, [...messages, { role: 'assistant', content: prefix ? `${prefix} ${answer}` : answer }], { train: 'last-assistant' });
  // Targets start after the prompt plus the scratchpad's tokens.
  const contextLength = encodePrompt(tokenizer, messages).length + (prefix ? encodeText(tokenizer, prefix).length : 0);
  const lossMask = full.lossMask.map((m, t) => (t < contextLength ? 0 : m));
  const keep = Math.min(full.ids.length, maxTokens + 1);
  return { ids: full.ids.slice(0, keep), lossMask: lossMask.slice(0, keep) };
}
