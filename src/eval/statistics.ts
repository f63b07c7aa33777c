// Rates with 95% confidence intervals. Proportions use the Wilson score interval (Wilson 1927),
// which stays honest at the edges (0/200 gives [0, 1.9%], not a zero-width [0, 0]); the
// percentile bootstrap (Efron & Tibshirani 1993), seeded so the same outcomes always give the
// same interval, is kept for statistics that have no closed-form interval.
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
