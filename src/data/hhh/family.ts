// The contract between the HHH corpus and its task families: a family draws one conversation
// (a Draft) from a seeded Rng, with a wrong answer where one exists (for preference pairs).
// Plus the train/eval split rule shared by every generator built on the corpus.
// Not here: the families' content, or sampling across families (generate.ts).
import type { ChatMessage, ExampleMeta } from '../chat.js';
import type { CheckSpec } from '../../judges/hhh-check.js';
import { hashString, type Rng } from '../random.js';

export type Split = 'train' | 'eval';

export interface Draft {
  messages: ChatMessage[];
  meta: ExampleMeta;
  /** A plausible but wrong final answer, for 'wrong' preference pairs; absent when none makes sense. */
  wrong?: string;
  /** A response that goes along with a harmful request (only ever a non-actionable stub). */
  harmful?: string;
}

export interface TaskFamily {
  name: string;
  /** Has a short answer that checkAnswer can score (used for the helpfulness eval set). */
  verifiable: boolean;
  /** Relative sampling weight in the mixed corpus. */
  weight: number;
  generate(rng: Rng): Draft;
}

/** Fraction of normalised prompts that belong to the eval split. */
export const EVAL_FRACTION = 0.1;

/**
 * Normalised prompt text for the split hash: lower-case, letters and digits only, single
 * spaces. Merging near-identical prompts can only keep more of them on the same side.
 */
export function normalisePrompt(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** Which split a single user message belongs to: a fixed hash, independent of any seed. */
export function splitOfPrompt(text: string): Split {
  return hashString(`split:${normalisePrompt(text)}`) % 1000 < EVAL_FRACTION * 1000 ? 'eval' : 'train';
}

/** A conversation belongs to a split only if every user message does. */
export function inSplit(messages: readonly ChatMessage[], split: Split): boolean {
  for (const message of messages) if (message.role === 'user' && splitOfPrompt(message.content) !== split) return false;
  return true;
}

export function single(
  family: string, user: string, assistant: string,
  extra: { check?: CheckSpec; answer?: string; wrong?: string; harmful?: string; meta?: ExampleMeta } = {},
): Draft {
  const meta: ExampleMeta = { family, ...extra.meta };
  if (extra.answer !== undefined) meta.answer = extra.answer;
  if (extra.check) meta.check = extra.check;
  const draft: Draft = { messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }], meta };
  if (extra.wrong !== undefined) draft.wrong = extra.wrong;
  if (extra.harmful !== undefined) draft.harmful = extra.harmful;
  return draft;
}

/** A number different from `value`, close enough to be a plausible mistake. */
export function nearMiss(rng: Rng, value: number): number {
  const delta = rng.pick([1, 1, 2, 3, 10]) * (rng.chance(0.5) ? 1 : -1);
  const miss = value + delta;
  return miss < 0 || miss === value ? value + Math.abs(delta) : miss;
}

/** Replace the last occurrence of `from` in `text` (answers end on their result). */
export function replaceLast(text: string, from: string, to: string): string {
  const at = text.lastIndexOf(from);
  return at < 0 ? text : text.slice(0, at) + to + text.slice(at + from.length);
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
