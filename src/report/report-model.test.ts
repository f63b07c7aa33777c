// Tests for the report's view model: the headline config entries (with the parameter count
// derived from a Llama config) and how an in-progress run's events become series.
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../events.js';
import { syntheticEval, syntheticPlan } from '../../test/report/synthetic-run.js';
import { approximateParameters, buildReportModel, keyConfigEntries } from './report-model.js';

const llama = {
  seed: 0, backend: 'auto',
  tokenizer: { vocabSize: 1024 },
  model: { pretrained: null, hidden_size: 128, intermediate_size: 384, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, tie_word_embeddings: false },
  safety: [{ steps: 300, method: 'hhh-sft' }],
};

describe('keyConfigEntries', () => {
  it('counts Llama parameters from the config', () => {
    // per layer: q,o 2*128*128 + k,v 2*128*64 (2 of 4 heads) + SwiGLU 3*128*384 + 2 norms 2*128
    const perLayer = 32768 + 16384 + 147456 + 256;
    expect(approximateParameters(llama)).toBe(2 * perLayer + 2 * 1024 * 128 + 128);
    const tied = { ...llama, model: { ...llama.model, tie_word_embeddings: true } };
    expect(approximateParameters(tied)).toBe(2 * perLayer + 1024 * 128 + 128);
    expect(approximateParameters({ ...llama, model: { ...llama.model, pretrained: 'models/llama' } })).toBeUndefined();
    // configs/ci.json's model (kv heads = heads): the runner's own count for it is 35936
    const ci = { tokenizer: { vocabSize: 400 }, model: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 2 } };
    expect(approximateParameters(ci)).toBe(35936);
    expect(keyConfigEntries({ ...ci, model: { ...ci.model, hidden_size: 1024, intermediate_size: 4096, num_hidden_layers: 8 } })[0]).toEqual(['model parameters', '~135.1M']);
  });

  it('lists the schema headline settings in order, and falls back to key names for other shapes', () => {
    expect(keyConfigEntries(llama)).toEqual([
      ['model parameters', '~656k'], // 656,000 exactly
      ['seed', '0'], ['backend', 'auto'], ['model.hidden_size', '128'], ['model.intermediate_size', '384'],
      ['model.num_hidden_layers', '2'], ['model.num_attention_heads', '4'], ['tokenizer.vocabSize', '1024'],
      ['safety.0.method', 'hhh-sft'], ['safety.0.steps', '300'],
    ]);
    expect(keyConfigEntries({ trainer: { totalSteps: 5, colour: 'red' }, layers: [1, 2] })).toEqual([['trainer.totalSteps', '5'], ['layers', '1, 2']]);
  });
});

describe('buildReportModel without results.json', () => {
  it('builds one series per eval stage, keeping the last eval of a re-run step', () => {
    const events: RunEvent[] = [
      syntheticEval('hhh-sft:normal', 0, 0.9, 0.01, 0.4, 0),
      syntheticEval('hhh-sft:normal', 10, 0.8, 0.01, 0.4, 10),
      syntheticEval('hhh-sft:normal', 10, 0.7, 0.01, 0.4, 20), // resumed run re-evaluated step 10
      syntheticEval('hhh-sft:cot', 10, 0.95, 0.0, 0.4, 30),
    ];
    const model = buildReportModel({ dir: '/x/runs/demo', name: 'demo', config: {}, events, results: undefined, plan: undefined, samples: [] });
    expect(model.inProgress).toBe(true);
    expect(model.runPath).toBe('runs/demo');
    expect(model.series.map((series) => [series.stage.id, series.steps])).toEqual([['hhh-sft:normal', [0, 10]], ['hhh-sft:cot', [10]]]);
    expect(model.series[0].at('triggered', model.series[0].after)?.rate).toBe(0.7);
    expect(model.series[0].before).toBe(0);
    expect(model.series[1].at('triggered', 0)).toBeUndefined(); // no step-0 eval seen yet
    expect(model.wallSeconds).toBe(30);
  });

  it('uses the plan\'s stage labels and order when plan.json exists', () => {
    const plan = syntheticPlan();
    const events: RunEvent[] = [syntheticEval('hhh-sft:distilled', 0, 0.9, 0, 0.4, 0), syntheticEval('hhh-sft:normal', 0, 0.8, 0, 0.4, 1)];
    const model = buildReportModel({ dir: '/x/runs/demo', name: 'demo', config: {}, events, results: undefined, plan, samples: [] });
    expect(model.series.map((series) => series.stage.label)).toEqual(['Normal backdoor', 'Distilled chain-of-thought']);
    expect(model.presentation.curves.map((curve) => curve.id)).toEqual(['backdoor', 'adversarial', 'backdoor-strict', 'hhh']);
  });
});
