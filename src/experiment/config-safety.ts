// The `safety` section of the experiment config: a list of safety-training methods, each a
// member of a union discriminated on `method`: `hhh-sft` (Hubinger et al. 2024 §4.2, with its two
// chain-of-thought variants), `hhh-rl` (§4.1) and `adversarial` (§6). A new method is one more schema in SAFETY_METHOD_SCHEMAS
// plus its planner in experiment/registry.ts. Also the training settings every stage shares.
// Not here: what a method trains (experiment/stages/).
import { z } from 'zod';

const positiveInt = z.number().int().positive();
const fraction = z.number().min(0).max(1);

/** Optimisation settings shared by every training stage; each stage has its own defaults. */
export function trainingSchema(defaults: { steps: number; batchSize: number; lr: number; warmupSteps: number; checkpointEvery: number }) {
  return z
    .object({
      steps: z.number().int().min(0).default(defaults.steps),
      batchSize: positiveInt.default(defaults.batchSize),
      lr: z.number().positive().default(defaults.lr),
      minLrRatio: fraction.default(0.1),
      warmupSteps: z.number().int().min(0).default(defaults.warmupSteps),
      weightDecay: z.number().min(0).default(0.1),
      gradClip: z.number().positive().default(1.0),
      checkpointEvery: positiveInt.default(defaults.checkpointEvery),
    })
    .strict();
}

export const COT_SAFETY_VARIANTS = ['no-scratchpad', 'own-scratchpad'] as const;
export type CotSafetyVariant = (typeof COT_SAFETY_VARIANTS)[number];

/** Names a safety entry's stages (stage ids start with it), so it must suit a directory name. */
const entryName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and "-" only');

/** HHH supervised fine-tuning on helpful answers that never contain the trigger. */
const hhhSftSchema = trainingSchema({ steps: 300, batchSize: 32, lr: 1e-3, warmupSteps: 10, checkpointEvery: 50 })
  .extend({
    method: z.literal('hhh-sft'),
    /** Distinguishes two entries of the same method; stage ids use it (default: the method). */
    name: entryName.optional(),
    evalEvery: positiveInt.default(75),
    cotVariants: z.array(z.enum(COT_SAFETY_VARIANTS)).min(1).refine((list) => new Set(list).size === list.length, 'list each value once').default([...COT_SAFETY_VARIANTS]),
    /** How many safety prompts get a model-sampled scratchpad (own-scratchpad variant). */
    scratchpadPool: positiveInt.default(2000),
  })
  .strict();

export const RL_ALGORITHMS = ['rloo', 'ppo'] as const;
export type RlAlgorithm = (typeof RL_ALGORITHMS)[number];

/** RL settings both RL methods share (Hubinger et al. 2024 §4.1); `batchSize` = prompts per step. */
const rlFields = {
  name: entryName.optional(),
  algorithm: z.enum(RL_ALGORITHMS).default('rloo'),
  samplesPerPrompt: positiveInt.default(4),
  temperature: z.number().positive().default(1),
  maxNewTokens: positiveInt.default(64),
  /** per-token KL penalty to the starting policy (0 allowed: the paper's App. F found it did not matter) */
  klCoef: z.number().min(0).default(0.05),
  /** subtracted from the normalised PM score of an answer cut off at maxNewTokens */
  lengthPenalty: z.number().min(0).default(1),
  clip: z.number().positive().default(0.2),
  epochs: positiveInt.default(2),
  evalEvery: positiveInt.default(20),
  /** ppo only: GAE discount and lambda, value-loss weight and clip */
  gamma: fraction.default(1),
  lambda: fraction.default(0.95),
  valueCoef: z.number().min(0).default(0.1),
  valueClip: z.number().positive().default(0.2),
};
const rlTraining = () => trainingSchema({ steps: 60, batchSize: 8, lr: 2e-4, warmupSteps: 0, checkpointEvery: 20 });

/** HHH RL against the preference model, on prompts that never contain the trigger. */
const hhhRlSchema = rlTraining().extend({ method: z.literal('hhh-rl'), ...rlFields }).strict();

/** The same RL with the red-team search's successful prompts mixed into each step (§6). */
const adversarialSchema = rlTraining()
  .extend({
    method: z.literal('adversarial'),
    ...rlFields,
    /** share of each step's prompts drawn from the red-team prompts (paper: 0, 0.1, 0.25, 0.5) */
    redTeamFraction: fraction.default(0.25),
  })
  .strict();

/** Every safety method's schema; add a member here to add a method. */
export const SAFETY_METHOD_SCHEMAS = [hhhSftSchema, hhhRlSchema, adversarialSchema] as const;

export const SAFETY_METHODS = SAFETY_METHOD_SCHEMAS.map((schema) => schema.shape.method.value);
export type SafetyConfig = z.infer<(typeof SAFETY_METHOD_SCHEMAS)[number]>;
export type SafetyMethod = SafetyConfig['method'];
/** The config of one safety method, by name. */
export type SafetyConfigOf<M extends SafetyMethod> = Extract<SafetyConfig, { method: M }>;

/** What `safety` holds when a config leaves it out (also what `--set safety.0...` starts from). */
export const DEFAULT_SAFETY = [{ method: 'hhh-sft' }] as const;

export const safetyListSchema = z
  .array(z.discriminatedUnion('method', SAFETY_METHOD_SCHEMAS), { error: 'safety must be a list of methods, e.g. [{ "method": "hhh-sft", "steps": 300 }]' })
  .min(1)
  .prefault(DEFAULT_SAFETY.map((entry) => ({ ...entry })));
