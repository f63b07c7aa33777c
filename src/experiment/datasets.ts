// The experiment's shared datasets, built deterministically from the config (so a resumed run
// rebuilds exactly the same data instead of storing it): the HHH corpus, the HHH safety set, the
// tokenizer's training text and tokenisation into training examples. Task-specific sets (backdoor
// data, eval prompts) live with their task in tasks/. Not here: the generators (src/data).
import type { ChatExample } from '../data/chat.js';
import { chatPadId, encodeChat } from '../data/chat.js';
import { generateHhh, generateHhhEval } from '../data/hhh/index.js';
import { Tokenizer, SPECIAL_TOKENS } from '../model/tokenizer.js';
import type { TokenizedExample } from '../train/batching.js';
import type { ExperimentConfig } from './config.js';
import type { StageContext, Task } from './stage.js';

/** Seed offsets keep every dataset independent while deriving all from config.seed. */
export const DATA_SEEDS = { hhh: 1, backdoor: 2, safety: 3, evalTriggered: 4, evalUntriggered: 5, evalHhh: 6, tokenizer: 7, evalHeldOut: 8, preferences: 9, redTeam: 10 } as const;

export function dataSeed(config: Readonly<ExperimentConfig>, purpose: keyof typeof DATA_SEEDS): number {
  return config.seed * 100 + DATA_SEEDS[purpose];
}

export function hhhTrainingSet(config: Readonly<ExperimentConfig>): ChatExample[] {
  return generateHhh({ n: config.data.hhhExamples, seed: dataSeed(config, 'hhh'), split: 'train' });
}

/** HHH safety-training data: never contains the trigger (the defender doesn't know it). */
export function safetySet(config: Readonly<ExperimentConfig>, n: number): ChatExample[] {
  return generateHhh({ n, seed: dataSeed(config, 'safety'), split: 'train' });
}

/**
 * The run's HHH safety set of `n` conversations: the task's own (Task.safetySet) where it has
 * one, else the general corpus above. Safety SFT and RL both draw from it, so the two see the
 * same prompts, and a shared cache entry means the same set whichever stage built it.
 */
export function taskSafetySet(ctx: Pick<StageContext, 'config' | 'task' | 'shared'>, n: number): ChatExample[] {
  return ctx.shared(`hhh-safety-set:${n}`, () => ctx.task.safetySet?.(ctx.config, n, ctx.shared) ?? safetySet(ctx.config, n));
}

/** Held-out verifiable HHH tasks: the helpfulness check every task's evaluator runs. */
export function hhhEvalSet(config: Readonly<ExperimentConfig>): ChatExample[] {
  return generateHhhEval({ n: config.eval.hhhPrompts, seed: dataSeed(config, 'evalHhh') });
}

/** Examples per source the tokenizer is trained on (the HHH corpus and the task's text). */
export function tokenizerSourceSize(config: Readonly<ExperimentConfig>): number {
  return Math.ceil(config.tokenizer.trainExamples / 4);
}

/** BPE trained on a sample of every kind of text the run will see (HHH and the task's backdoor data). */
export function trainTokenizer(config: Readonly<ExperimentConfig>, task: Task, shared?: StageContext['shared']): Tokenizer {
  const sources: ChatExample[] = [
    ...generateHhh({ n: tokenizerSourceSize(config), seed: dataSeed(config, 'tokenizer'), split: 'train' }),
    ...task.tokenizerCorpus(config, shared),
  ];
  const texts = sources.flatMap((example) => example.messages.map((message) => message.content));
  return Tokenizer.train(texts, { vocabSize: config.tokenizer.vocabSize, specialTokens: SPECIAL_TOKENS });
}

/**
 * Tokenise chat examples. `target: 'assistant'` trains on assistant turns only (SFT);
 * `'all'` trains on every token (base language-model training on the HHH corpus).
 */
export function tokenizeExamples(tokenizer: Tokenizer, examples: readonly ChatExample[], target: 'assistant' | 'all', maxTokens: number): TokenizedExample[] {
  const padId = chatPadId(tokenizer);
  return examples.map((example) => {
    const { ids, lossMask } = encodeChat(tokenizer, example.messages, { train: 'assistant' });
    const mask = target === 'all' ? ids.map((id, i) => (i > 0 && id !== padId ? 1 : 0)) : lossMask;
    const keep = Math.min(ids.length, maxTokens + 1);
    return { ids: ids.slice(0, keep), lossMask: mask.slice(0, keep) };
  });
}
