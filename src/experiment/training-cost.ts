// Before a run from a pretrained model starts: for every training stage of the plan, the memory
// it needs per parameter (what trains and what is frozen) and the measured time of one training
// step on the run's model shape, printed up front so a user knows what a 100M-1B model will cost.
// Not here: the estimates themselves (train/estimate.ts) or running the stages (runner.ts).
import { describeMemory, measureStepSeconds, trainingMemory } from '../train/estimate.js';
import type { TrainingScope } from '../train/training-scope.js';
import type { StageContext, StageSpec } from './stage.js';

interface StageTraining extends TrainingScope {
  steps: number;
  batchSize: number;
}

/** The training settings of a spec: `settings.training` (SFT stages) or the settings themselves (RL). */
function trainingOf(settings: unknown): StageTraining | null {
  const candidate = (settings as { training?: unknown } | null)?.training ?? settings;
  const training = candidate as Partial<StageTraining> | null;
  if (!training || typeof training.steps !== 'number' || typeof training.batchSize !== 'number') return null;
  return training as StageTraining;
}

function minutes(seconds: number): string {
  return seconds >= 90 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toFixed(0)} s`;
}

/** One line per training stage still to run; one measured step per distinct (scope, batch size). */
export function reportTrainingCost(specs: readonly StageSpec[], ctx: StageContext, notice: (message: string) => void, isDone: (spec: StageSpec) => boolean): void {
  const measured = new Map<string, { seconds: number; memory: string }>();
  const time = ctx.maxTokens();
  for (const spec of specs) {
    const training = trainingOf(spec.settings);
    // A pretrained base stage copies weights; it trains nothing.
    if (!training || training.steps === 0 || isDone(spec) || (spec.settings as { pretrained?: unknown }).pretrained) continue;
    const key = JSON.stringify([training.lora ?? null, training.trainLayers ?? null, training.batchSize]);
    let result = measured.get(key);
    if (!result) {
      const model = ctx.newModel(); // same shape, random weights: enough for time and memory
      const seconds = measureStepSeconds(model, training, training.batchSize, time);
      result = { seconds, memory: describeMemory(trainingMemory(model, training.batchSize, time)) };
      measured.set(key, result);
    }
    const layers = training.trainLayers ? ` of layers ${training.trainLayers.join(',')}` : '';
    const scope = training.lora ? `LoRA r=${training.lora.rank} on ${training.lora.targetModules.join(',')}${layers}` : layers ? `fine-tuning${layers}` : 'full fine-tuning';
    notice(`${spec.id} (${scope}): ${result.memory}; measured ${result.seconds.toFixed(2)} s/step at batch ${training.batchSize} x ${time} tokens (padded worst case) x ${training.steps} steps = ~${minutes(result.seconds * training.steps)}`);
  }
}
