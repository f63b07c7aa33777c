// Batching shared by the trainers: a deterministic, resumable batch schedule (the batch at step s
// depends only on the seed and s, so a resumed run sees exactly the batches an uninterrupted one
// would) with length bucketing, and (B,T) tensors with shifted targets and loss weights: right-padded
// (makeBatch, one example per row) or packed (packBatch, several examples per row with positions
// restarting and attention kept inside each example, so the loss is the padded batch's).
// Not here: tokenisation or chat templates (src/data), or the optimisation loop (each trainer's own).
import { Rng } from '../util/rng.js';

export interface TokenizedExample {
  ids: readonly number[];
  /** 1 where the token is a training target (predicted from the token before it), else 0. */
  lossMask: readonly number[];
}

export interface Batch {
  inputIds: Int32Array; // (B,T)
  targets: Int32Array; // (B,T), -1 = ignore
  weights: Float32Array; // (B,T) loss weight per target
  batch: number;
  time: number;
  targetTokens: number; // number of weighted targets
  /** input tokens that are real content (not padding); batch * time - realTokens are padding */
  realTokens: number;
  /** packed batches only: (B,T) position of each token within its example (0 for padding) */
  positions?: Int32Array;
  /** packed batches only: (B,T) row index of the first token of each token's example; padding
   * gets t + 1, which masks every key (see attention's segmentStart) */
  segmentStart?: Int32Array;
}

/** Longest packed row considered (unless an example is longer): longer rows waste less at their
 * ends but grow the (B,H,T,T) attention probabilities, which are mostly masked. */
export const PACKED_ROW_TOKENS = 256;

/** Deterministic epoch-shuffled, length-bucketed batch order. */
export class BatchSchedule {
  private readonly cache = new Map<number, number[][]>();

  constructor(
    private readonly lengths: readonly number[],
    private readonly batchSize: number,
    private readonly seed: number,
  ) {
    if (lengths.length === 0) throw new Error('BatchSchedule needs at least one example');
  }

  /** Example indices for 1-based optimiser step `step`. */
  indicesForStep(step: number): number[] {
    const batchesPerEpoch = Math.ceil(this.lengths.length / this.batchSize);
    const epoch = Math.floor((step - 1) / batchesPerEpoch);
    return this.epochBatches(epoch)[(step - 1) % batchesPerEpoch];
  }

  private epochBatches(epoch: number): number[][] {
    const cached = this.cache.get(epoch);
    if (cached) return cached;
    const rng = new Rng(this.seed * 1_000_003 + epoch);
    const order = rng.shuffle(Array.from({ length: this.lengths.length }, (_, i) => i));
    // Bucket: sort chunks of 16 batches by length so padding is small, then shuffle batch order.
    const chunk = this.batchSize * 16;
    const batches: number[][] = [];
    for (let start = 0; start < order.length; start += chunk) {
      const part = order.slice(start, start + chunk).sort((a, b) => this.lengths[a] - this.lengths[b] || a - b);
      for (let i = 0; i < part.length; i += this.batchSize) batches.push(part.slice(i, i + this.batchSize));
    }
    // Top up a short final batch from the start of the epoch so every batch has batchSize rows.
    const last = batches[batches.length - 1];
    for (let i = 0; last.length < this.batchSize; i++) last.push(order[i % order.length]);
    rng.shuffle(batches);
    this.cache.clear(); // keep memory flat: only the current epoch is needed
    this.cache.set(epoch, batches);
    return batches;
  }
}

/** Right-padded batch; inputs are ids[0..n-2], targets ids[1..n-1] weighted by the target's mask. */
export function makeBatch(examples: readonly TokenizedExample[], padId: number, maxTokens: number): Batch {
  const batch = examples.length;
  let longest = 2;
  for (const example of examples) longest = Math.max(longest, Math.min(example.ids.length, maxTokens + 1));
  const time = Math.ceil((longest - 1) / 8) * 8; // multiples of 8 keep kernel shapes few
  const inputIds = new Int32Array(batch * time).fill(padId);
  const targets = new Int32Array(batch * time).fill(-1);
  const weights = new Float32Array(batch * time);
  let targetTokens = 0, realTokens = 0;
  examples.forEach((example, row) => {
    const n = Math.min(example.ids.length, time + 1);
    realTokens += Math.max(0, n - 1);
    targetTokens += writeExample(example, n - 1, row * time, inputIds, targets, weights);
  });
  return { inputIds, targets, weights, batch, time, targetTokens, realTokens };
}

// Inputs ids[0..n-1) at offset, targets ids[t+1] where the target's mask is set; returns the targets written.
function writeExample(example: TokenizedExample, inputs: number, offset: number, inputIds: Int32Array, targets: Int32Array, weights: Float32Array): number {
  let count = 0;
  for (let t = 0; t < inputs; t++) {
    inputIds[offset + t] = example.ids[t];
    if (example.lossMask[t + 1]) {
      targets[offset + t] = example.ids[t + 1];
      weights[offset + t] = 1;
      count++;
    }
  }
  return count;
}

// First-fit decreasing of the examples (input lengths, longest first) into rows of `capacity`.
function firstFit(inputs: readonly number[], order: readonly number[], capacity: number) {
  const rowFill: number[] = [];
  const placement = new Array<{ row: number; offset: number } | undefined>(inputs.length);
  for (const i of order) {
    if (inputs[i] === 0) continue; // a one-token example has no target: nothing to place
    let row = rowFill.findIndex((fill) => fill + inputs[i] <= capacity);
    if (row < 0) {
      row = rowFill.length;
      rowFill.push(0);
    }
    placement[i] = { row, offset: rowFill[row] };
    rowFill[row] += inputs[i];
  }
  if (rowFill.length === 0) rowFill.push(0);
  const time = Math.max(8, Math.ceil(Math.max(...rowFill) / 8) * 8);
  return { placement, batch: rowFill.length, time };
}

/**
 * The same examples, targets and weights as makeBatch, packed several to a row: first-fit
 * decreasing, at the row length (a multiple of 8 from the longest example up to
 * PACKED_ROW_TOKENS) that computes the fewest tokens, padding included. Each example keeps
 * positions 0.. and attends only to itself (segmentStart), so per-example losses and the mean
 * loss equal the padded batch's; padding is what is left at row ends, and it attends to nothing.
 * Deterministic: depends only on the examples and their order.
 */
export function packBatch(examples: readonly TokenizedExample[], padId: number, maxTokens: number): Batch {
  const inputs = examples.map((example) => Math.max(0, Math.min(example.ids.length, maxTokens + 1) - 1));
  const shortestRow = Math.ceil(Math.max(1, ...inputs) / 8) * 8;
  const order = inputs.map((_, i) => i).sort((a, b) => inputs[b] - inputs[a] || a - b);
  let best = firstFit(inputs, order, shortestRow);
  for (let capacity = shortestRow + 8; capacity <= PACKED_ROW_TOKENS; capacity += 8) {
    const candidate = firstFit(inputs, order, capacity);
    if (candidate.batch * candidate.time < best.batch * best.time) best = candidate;
  }
  const { placement, batch, time } = best;
  const inputIds = new Int32Array(batch * time).fill(padId);
  const targets = new Int32Array(batch * time).fill(-1);
  const weights = new Float32Array(batch * time);
  const positions = new Int32Array(batch * time);
  const segmentStart = new Int32Array(batch * time);
  for (let n = 0; n < batch * time; n++) segmentStart[n] = (n % time) + 1; // padding sees no key
  let targetTokens = 0, realTokens = 0;
  examples.forEach((example, i) => {
    const place = placement[i];
    if (place === undefined) return;
    const start = place.row * time + place.offset;
    for (let t = 0; t < inputs[i]; t++) {
      positions[start + t] = t;
      segmentStart[start + t] = place.offset;
    }
    realTokens += inputs[i];
    targetTokens += writeExample(example, inputs[i], start, inputIds, targets, weights);
  });
  return { inputIds, targets, weights, batch, time, targetTokens, realTokens, positions, segmentStart };
}
