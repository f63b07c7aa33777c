// The `safety` section of the experiment config: a list of safety-training methods, each a
// member of a union discriminated on `method` (today `hhh-sft`, Hubinger et al. 2024 §4.2, with
// its two chain-of-thought variants). A new method is one more schema in SAFETY_METHOD_SCHEMAS
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

/** Every safety method's schema; add a member here to add a method. */
export const SAFETY_METHOD_SCHEMAS = [hhhSftSchema] as const;

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
