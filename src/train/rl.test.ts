// The RL loops on a tiny real policy: hand-computed advantages, KL and batch layout; a toy task
// whose reward is known (the answer names "cats") where both rloo and ppo raise the reward while
// the KL to the starting policy stays bounded; resuming mid-RL ends bit-identical.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../tensor/index.js';
import { LlamaModel, resolveLlamaConfig, type LlamaConfig } from '../model/llama.js';
import { SPECIAL_TOKENS, Tokenizer } from '../model/tokenizer.js';
import { encodeChat, encodePrompt, type ChatMessage } from '../data/chat.js';
import type { RunEvent, StepEvent } from '../events.js';
import { StageCheckpointer } from './checkpointing.js';
import { trainSft } from './sft.js';
import { leaveOneOutAdvantages, trainRloo } from './rloo.js';
import { generalisedAdvantages, trainPpo } from './ppo.js';
import { promptSchedule, sequenceBatch, sequenceKl, type RlOptions, type RlPrompt, type RlSettings } from './rollout.js';

const ANIMALS = ['cats', 'dogs', 'birds', 'fish', 'frogs'];
const QUESTIONS = ['Which animal do you like?', 'Name an animal.', 'What pet should I get?', 'Tell me your favourite animal.'];
const tokenizer = Tokenizer.train([...QUESTIONS, ...ANIMALS.map((a) => `I like ${a}.`)], { vocabSize: 300, specialTokens: SPECIAL_TOKENS });
const padId = tokenizer.tokenId('<|pad|>');
const config: LlamaConfig = resolveLlamaConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 64 });
const prompts: RlPrompt[] = QUESTIONS.map((q) => {
  const messages: ChatMessage[] = [{ role: 'user', content: q }];
  return { messages, ids: encodePrompt(tokenizer, messages) };
});
const catReward = (_: readonly RlPrompt[], answers: readonly string[]) => Float32Array.from(answers, (a) => (/\bcats\b/.test(a) ? 1 : 0));
const settings: RlSettings = {
  steps: 24, batchSize: 4, samplesPerPrompt: 4, lr: 3e-3, minLrRatio: 1, warmupSteps: 0, weightDecay: 0, gradClip: 1, checkpointEvery: 8,
  temperature: 1, maxNewTokens: 8, klCoef: 0.05, lengthPenalty: 1, clip: 0.2, epochs: 2,
};
const ppoSettings = { gamma: 1, lambda: 0.95, valueCoef: 0.1, valueClip: 0.2 };
let start: Map<string, Float32Array>;

// A policy that answers "I like <animal>." with the animal spread over five choices.
beforeAll(async () => {
  const model = new LlamaModel(createEngine({ backend: 'auto' }), config, { seed: 1 });
  const examples = Array.from({ length: 100 }, (_, i) => encodeChat(tokenizer, [
    { role: 'user', content: QUESTIONS[i % QUESTIONS.length] }, { role: 'assistant', content: `I like ${ANIMALS[i % ANIMALS.length]}.` },
  ]));
  await trainSft({
    stage: 'sft', model, examples, padId, maxTokens: 32, seed: 0, onEvent: () => {},
    training: { steps: 60, batchSize: 16, lr: 1e-2, minLrRatio: 0.1, warmupSteps: 5, weightDecay: 0, gradClip: 1, checkpointEvery: 1000 },
    checkpointer: new StageCheckpointer(mkdtempSync(join(tmpdir(), 'rl-sft-')), undefined, {}),
  });
  start = model.stateDict();
});

function policyFromStart(engine: Engine): LlamaModel {
  const model = new LlamaModel(engine, config);
  model.loadStateDict(new Map([...start].map(([name, data]) => [name, { shape: [...model.parameters().get(name)!.shape], data }])));
  return model;
}

function rlOptions(dir: string, overrides: Partial<RlSettings> = {}, shouldStop?: () => boolean) {
  const engine = createEngine({ backend: 'auto' });
  const events: RunEvent[] = [];
  const options: RlOptions = {
    stage: 'rl', policy: policyFromStart(engine), reference: policyFromStart(engine), tokenizer,
    prompts: promptSchedule(prompts, 4, 5), score: catReward, settings: { ...settings, ...overrides }, seed: 9,
    checkpointer: new StageCheckpointer(dir, tokenizer, {}), onEvent: (e) => events.push(e), shouldStop,
  };
  return { options, events };
}

const metric = (events: RunEvent[], name: string) => events.filter((e): e is StepEvent => e.type === 'step').map((e) => e.metrics![name]);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('RL pieces, hand-computed', () => {
  it('leave-one-out baseline', () => {
    expect(Array.from(leaveOneOutAdvantages(Float32Array.from([1, 2, 3, 0, 0, 3]), 3))).toEqual([-1.5, 0, 1.5, -1.5, -1.5, 3]);
  });

  it('GAE with gamma 1, lambda 0.5', () => {
    // rewards [0, 0, 1], values [0.5, 0.25, 0.5]: deltas [-0.25, 0.25, 0.5]
    const { advantages, returns } = generalisedAdvantages(Float32Array.from([0, 0, 1]), Float32Array.from([0.5, 0.25, 0.5]), 1, 0.5);
    // A_2 = 0.5, A_1 = 0.25 + 0.5 * 0.5 = 0.5, A_0 = -0.25 + 0.5 * 0.5 = 0; returns = A + V
    expect(Array.from(advantages)).toEqual([0, 0.5, 0.5]);
    expect(Array.from(returns)).toEqual([0.5, 0.75, 1]);
  });

  it('batch layout and KL at the response tokens', () => {
    const batch = sequenceBatch([[1, 2, 3], [4]], [[5, 6], [7, 8, 9]], 0);
    expect(batch.time).toBe(8);
    expect(batch.responseRows).toEqual([[2, 3], [8, 9, 10]]);
    expect(Array.from(batch.targets.slice(0, 8))).toEqual([-1, -1, 5, 6, -1, -1, -1, -1]);
    expect(Array.from(batch.inputIds.slice(8, 12))).toEqual([4, 7, 8, 0]);
    const old = new Float32Array(16).fill(-1);
    const ref = new Float32Array(16).fill(-1);
    ref[2] = -1.5; ref[3] = -0.5; ref[9] = -3;
    expect(Array.from(sequenceKl(old, ref, batch.responseRows))).toEqual([0.5 - 0.5, 2]);
  });
});

describe('RL on a known reward', () => {
  for (const algorithm of ['rloo', 'ppo'] as const) {
    it(`${algorithm} raises the reward ("cats" in the answer) with bounded KL`, async () => {
      const { options, events } = rlOptions(mkdtempSync(join(tmpdir(), `rl-${algorithm}-`)));
      if (algorithm === 'rloo') await trainRloo(options);
      else await trainPpo({ ...options, ppo: ppoSettings });
      const scores = metric(events, 'score');
      const kl = metric(events, 'kl');
      expect(scores).toHaveLength(settings.steps);
      // the SFT policy names cats about 1 time in 5
      expect(mean(scores.slice(0, 4))).toBeLessThan(0.45);
      expect(mean(scores.slice(-4))).toBeGreaterThan(0.75);
      // step 1 samples from the starting policy itself; afterwards the KL settles near what
      // turning a one-in-five choice into a near-certain one costs (ln 5 = 1.6 nats) and stays there
      expect(kl[0]).toBe(0);
      expect(mean(kl.slice(-8))).toBeLessThan(2.5);
      expect(Math.max(...kl)).toBeLessThan(4);
      for (const name of ['reward', 'kl', 'clipFraction', 'entropy', 'answerLength']) expect(metric(events, name).every(Number.isFinite), name).toBe(true);
      expect(metric(events, 'clipFraction').some((c) => c > 0)).toBe(true);
      // each step's seconds (its time less rollout sampling) go to the stage table's "training" column
      expect(events.filter((e): e is StepEvent => e.type === 'step').every((e) => e.seconds !== undefined && e.seconds >= 0)).toBe(true);
    });
  }

  it.each(['rloo', 'ppo'] as const)('%s with bf16 training GEMMs: old, reference and update forwards agree (ratios exactly 1, KL 0)', async (algorithm) => {
    // one epoch and a clip range of 1e-7: any difference between the old-policy forward and the
    // update's (another precision, another GEMM) shows up as clipped tokens
    const { options, events } = rlOptions(mkdtempSync(join(tmpdir(), `rl-bf16-${algorithm}-`)), { steps: 2, epochs: 1, clip: 1e-7 });
    options.policy.trainPrecision = 'bf16';
    options.reference.trainPrecision = 'f32'; // the step uses the policy's precision for the reference too
    if (algorithm === 'rloo') await trainRloo(options);
    else await trainPpo({ ...options, ppo: ppoSettings });
    expect(metric(events, 'clipFraction')).toEqual([0, 0]);
    expect(metric(events, 'kl')[0]).toBe(0);
  });

  it('resumes mid-RL bit-identically (ppo, value head included)', async () => {
    const short = { steps: 6, checkpointEvery: 100 };
    const straight = rlOptions(mkdtempSync(join(tmpdir(), 'rl-')), short);
    await trainPpo({ ...straight.options, ppo: ppoSettings });
    const dir = mkdtempSync(join(tmpdir(), 'rl-'));
    let polls = 0;
    const first = rlOptions(dir, short, () => ++polls === 3);
    await expect(trainPpo({ ...first.options, ppo: ppoSettings })).rejects.toMatchObject({ code: 'INTERRUPTED' });
    const second = rlOptions(dir, short);
    const result = await trainPpo({ ...second.options, ppo: ppoSettings });
    expect(result.resumedFrom).toBe(3);
    expect(second.options.policy.stateDict()).toEqual(straight.options.policy.stateDict());
    expect(metric([...first.events, ...second.events], 'reward')).toEqual(metric(straight.events, 'reward'));
  });
});
