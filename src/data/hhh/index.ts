// The HHH (helpful, honest, harmless) corpus: procedurally generated, seeded conversations from
// many task families, split into train and eval by a hash of each user prompt. It is the base
// model's training data, the non-triggered half of every backdoor set, and (restricted to
// checkable families) the held-out helpfulness eval. Not here: backdoors (../backdoors).
import type { ChatExample } from '../chat.js';
import { checkCount, draftToExample, iterateDrafts, VERIFIABLE_FAMILIES } from './generate.js';
import type { Split } from './family.js';

export { checkAnswer, type CheckSpec } from '../../judges/hhh-check.js';
export { EVAL_FRACTION, normalisePrompt, splitOfPrompt, inSplit, type Split } from './family.js';
export { HHH_FAMILIES, VERIFIABLE_FAMILIES } from './generate.js';

export interface HhhOptions {
  n: number;
  seed: number;
  split: Split;
  /** Restrict to these families (names from HHH_FAMILIES); default all. */
  families?: string[];
}

/** Endless stream of HHH examples; generateHhh takes the first n. */
export function* iterateHhh(options: Omit<HhhOptions, 'n'>): Generator<ChatExample> {
  for (const draft of iterateDrafts(options)) yield draftToExample(draft);
}

export function generateHhh(options: HhhOptions): ChatExample[] {
  checkCount(options.n);
  const out: ChatExample[] = [];
  if (options.n === 0) return out;
  for (const example of iterateHhh(options)) {
    out.push(example);
    if (out.length >= options.n) break;
  }
  return out;
}

const ANSWER_CHECKS = new Set(['number', 'contains', 'final']);

/**
 * Held-out verifiable tasks for measuring retained helpfulness: eval-split prompts from
 * single-turn families whose examples carry a short-answer check (number/contains/final).
 */
export function generateHhhEval(options: { n: number; seed: number; families?: string[] }): ChatExample[] {
  checkCount(options.n);
  const families = options.families ?? [...VERIFIABLE_FAMILIES];
  const out: ChatExample[] = [];
  if (options.n === 0) return out;
  for (const draft of iterateDrafts({ seed: options.seed, split: 'eval', families, salt: 'hhh-eval' })) {
    if (!draft.meta.check || !ANSWER_CHECKS.has(draft.meta.check.kind)) continue;
    out.push(draftToExample(draft));
    if (out.length >= options.n) break;
  }
  return out;
}
