// Where a run's time went, per stage, from its events: training steps, generation (evaluation
// answers, sampled training data, rollouts), the rest of evaluation (judging, scoring),
// checkpoint writes, and everything else in the stage (data generation, tokenisation, model
// loading), as the CLI prints after a run. Not here: collecting the timings (sft.ts, the runner).
import type { RunEvent } from '../events.js';

export interface StageTime {
  stage: string;
  total: number;
  training: number;
  generation: number;
  evaluation: number;
  checkpoints: number;
  data: number;
}

const PHASES = ['training', 'generation', 'evaluation', 'checkpoints', 'data'] as const;

/** Seconds by phase for every stage that ended, in the order stages ended (sums over resumed sessions). */
export function stageTimes(events: readonly RunEvent[]): StageTime[] {
  const rows = new Map<string, StageTime & { evalGeneration: number }>();
  const row = (stage: string) => {
    let found = rows.get(stage);
    if (found === undefined) {
      found = { stage, total: 0, training: 0, generation: 0, evaluation: 0, checkpoints: 0, data: 0, evalGeneration: 0 };
      rows.set(stage, found);
    }
    return found;
  };
  const ended = new Set<string>();
  for (const event of events) {
    if (event.type === 'step') row(event.stage).training += event.seconds ?? 0;
    else if (event.type === 'checkpoint') row(event.stage).checkpoints += event.seconds ?? 0;
    else if (event.type === 'eval') {
      const r = row(event.stage);
      r.evaluation += event.seconds ?? 0;
      r.evalGeneration += event.generationSeconds ?? 0;
    } else if (event.status === 'end') {
      const r = row(event.stage);
      r.total += event.seconds ?? 0;
      r.generation += event.generationSeconds ?? 0;
      ended.add(event.stage);
    }
  }
  return [...rows.values()].filter((r) => ended.has(r.stage)).map(({ evalGeneration, ...r }) => {
    const evaluation = Math.max(0, r.evaluation - evalGeneration); // generation inside evals counts as generation
    const data = Math.max(0, r.total - r.training - r.generation - evaluation - r.checkpoints);
    return { ...r, evaluation, data };
  });
}

/** A plain-text table: one line per stage and a total line, seconds with one decimal. */
export function formatStageTimes(rows: readonly StageTime[]): string {
  const width = Math.max(5, ...rows.map((r) => r.stage.length));
  const cell = (value: number) => value.toFixed(1).padStart(11);
  const header = ['stage'.padEnd(width), ...['total', ...PHASES].map((name) => name.padStart(11))].join(' ');
  const line = (name: string, r: Omit<StageTime, 'stage'>) => [name.padEnd(width), cell(r.total), ...PHASES.map((p) => cell(r[p]))].join(' ');
  const sum = { total: 0, training: 0, generation: 0, evaluation: 0, checkpoints: 0, data: 0 };
  for (const r of rows) for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += r[key];
  return ['time by stage (seconds)', header, ...rows.map((r) => line(r.stage, r)), line('all', sum)].join('\n');
}
