// The queue worker's sandboxed processor: BullMQ runs this file in a child process, so a
// CPU-bound experiment never blocks the worker's event loop and its job lock keeps being renewed.
// If the worker dies (even by SIGKILL) the IPC channel closes and this child exits at its next
// training step, leaving the last complete checkpoint for whichever worker takes the job next.
// Not here: the job itself (job.ts).
import type { SandboxedJob } from 'bullmq';
import type { SweepJob } from './config.js';
import { runSweepJob, type JobRecord } from './job.js';

export interface QueueJobData {
  sweepPath: string;
  job: SweepJob;
}

process.once('disconnect', () => process.exit(1));

export default async function processSweepJob(job: SandboxedJob<QueueJobData, JobRecord>): Promise<JobRecord> {
  return runSweepJob(job.data.sweepPath, job.data.job, { shouldStop: () => !process.connected });
}
