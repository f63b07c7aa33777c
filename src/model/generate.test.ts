// generate() on a real tiny model (the PyTorch fixture weights, whose logits are far from
// uniform so greedy choices are meaningful): cached decoding equals naive re-running of the full
// sequence, batched left-padded output equals one-by-one output (also when rows finish at
// different steps and leave the batch, on both backends), stop tokens/sequences, seeds, the
// native fused decode blocks equal the kernel-by-kernel path, and decoding reuses pooled memory
// instead of growing it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../tensor/index.js';
import { nativeBackendStatus } from '../tensor/backends/native.js';
import { generate, leftPadBatch } from './generate.js';
import { KVCache, LlamaModel, resolveLlamaConfig } from './llama.js';
import { readSafetensorsFile } from './safetensors.js';

const engine = createEngine({ backend: 'js' });
const dir = new URL('../../test/fixtures/tiny-llama-gqa-f32', import.meta.url).pathname;
const model = new LlamaModel(engine, resolveLlamaConfig(JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'))));
model.loadStateDict(readSafetensorsFile(`${dir}/model.safetensors`).tensors);
const V = model.config.vocab_size;

const prompts = [[5, 9, 17], [3, 60, 22, 41, 8, 12, 30], [44]];

// Greedy decoding without a cache: run the whole sequence each step and take the last argmax.
function naiveGreedy(prompt: number[], n: number): number[] {
  const seq = prompt.slice();
  for (let i = 0; i < n; i++) {
    const logits = engine.noGrad(() => model.forward(Int32Array.from(seq), 1, seq.length).logits.data);
    const last = logits.subarray((seq.length - 1) * V);
    let best = 0;
    for (let v = 1; v < V; v++) if (last[v] > last[best]) best = v;
    seq.push(best);
  }
  return seq.slice(prompt.length);
}

describe('generate', () => {
  it('greedy with the KV cache equals naive full-sequence decoding, and is deterministic', () => {
    const out = generate(model, [prompts[1]], { maxNewTokens: 8 });
    expect(out[0]).toHaveLength(8);
    expect(out[0]).toEqual(naiveGreedy(prompts[1], 8));
    expect(generate(model, [prompts[1]], { maxNewTokens: 8 })).toEqual(out);
    expect(new Set(out[0]).size).toBeGreaterThan(1); // a meaningful sequence, not one repeated id
  });

  it('batched left-padded prompts give exactly the one-by-one outputs', () => {
    const batched = generate(model, prompts, { maxNewTokens: 10, padId: 0 });
    const alone = prompts.map((p) => generate(model, [p], { maxNewTokens: 10 })[0]);
    expect(batched).toEqual(alone);
  });

  it('stops at stop tokens and stop sequences, excluding them', () => {
    const free = generate(model, [prompts[0]], { maxNewTokens: 12 })[0];
    const stopToken = free[4];
    const cut = free.indexOf(stopToken);
    expect(generate(model, [prompts[0]], { maxNewTokens: 12, stopTokenIds: [stopToken] })[0]).toEqual(free.slice(0, cut));
    const sequence = free.slice(5, 7);
    let end = -1;
    for (let i = 1; i < free.length && end < 0; i++) if (free[i - 1] === sequence[0] && free[i] === sequence[1]) end = i + 1;
    expect(generate(model, [prompts[0]], { maxNewTokens: 12, stopSequences: [sequence] })[0]).toEqual(free.slice(0, end - 2));
    // one row stopping early does not disturb the others
    const mixed = generate(model, [prompts[0], prompts[2]], { maxNewTokens: 12, stopTokenIds: [stopToken] });
    expect(mixed[0]).toEqual(free.slice(0, cut));
    const other = generate(model, [prompts[2]], { maxNewTokens: 12 })[0];
    const otherCut = other.indexOf(stopToken);
    expect(mixed[1]).toEqual(otherCut < 0 ? other : other.slice(0, otherCut));
  });

  it('seeded sampling is reproducible, seed-dependent, and per-row', () => {
    const options = { maxNewTokens: 10, temperature: 1.5, seed: 11 };
    const a = generate(model, prompts, options);
    expect(generate(model, prompts, options)).toEqual(a);
    expect(generate(model, prompts, { ...options, seed: 12 })).not.toEqual(a);
    // row 0's stream depends only on (seed, row), not on the other rows in the batch
    expect(generate(model, [prompts[0]], options)[0]).toEqual(a[0]);
    // a vanishing nucleus keeps only the argmax: sampling turns greedy
    expect(generate(model, prompts, { ...options, topP: 1e-9 })).toEqual(generate(model, prompts, { maxNewTokens: 10 }));
  });

  it.each(nativeBackendStatus().available ? ['js', 'native'] as const : ['js'] as const)(
    'rows that finish at different steps leave the batch without changing any row (%s backend)', (backend) => {
      const local = new LlamaModel(createEngine({ backend }), model.config);
      local.loadStateDict(readSafetensorsFile(`${dir}/model.safetensors`).tensors);
      const many = [...prompts, [7, 7, 2], [50, 1], [9, 33, 4, 18], [61, 2, 2, 40, 5]];
      const free = many.map((p) => generate(local, [p], { maxNewTokens: 12 })[0]);
      // a token that ends some rows early and others late or never
      const stop = free[1][3];
      const options = { maxNewTokens: 12, stopTokenIds: [stop], padId: 0 };
      const alone = many.map((p) => generate(local, [p], options)[0]);
      expect(new Set(alone.map((o) => o.length)).size).toBeGreaterThan(2);
      expect(generate(local, many, options)).toEqual(alone);
      // sampling: row r draws from stream (seed, r), so row 0 of the batch is the prompt alone
      const sampled = { ...options, temperature: 1.2, seed: 4 };
      expect(generate(local, many, sampled)[0]).toEqual(generate(local, [many[0]], sampled)[0]);
    });

  it.each(nativeBackendStatus().available ? ['js', 'native'] as const : ['js'] as const)(
    'bf16 decoding weights and KV cache (%s backend): greedy outputs equal the float32 path, logits within the bf16 tolerance, batched = one by one', (backend) => {
      const local = new LlamaModel(createEngine({ backend }), model.config);
      local.loadStateDict(readSafetensorsFile(`${dir}/model.safetensors`).tensors);
      const many = [...prompts, [7, 7, 2], [50, 1], [9, 33, 4, 18], [61, 2, 2, 40, 5]];
      const options = { maxNewTokens: 12, padId: 0 };
      local.decodeWeights = 'f32';
      const f32 = generate(local, many, options);
      const logitsOf = () => {
        const cache = new KVCache(local.config, 1, prompts[1].length);
        // without a graph, as generate() runs
        const logits = local.engine.noGrad(() => local.forward(Int32Array.from(prompts[1]), 1, prompts[1].length, { cache }).logits.data.slice()); // (1, T, V)
        expect(cache.precision).toBe(local.decodeWeights); // bf16 weights keep a bf16 KV cache
        return logits;
      };
      const logits32 = logitsOf();
      local.decodeWeights = 'bf16';
      const bf16 = generate(local, many, options);
      expect(bf16).toEqual(f32);
      expect(generate(local, [many[4]], options)[0]).toEqual(bf16[4]);
      expect(many.map((p) => generate(local, [p], options)[0])).toEqual(bf16);
      // logits of a cached forward: not identical (bf16 rounds x and W), close (documented: within 2% of the logit range)
      const logits16 = logitsOf();
      // packed rows (segmentStart) through a bf16 cache: refused with a hint, not silently unmasked
      const cache = new KVCache(local.config, 1, 8);
      local.forward(Int32Array.of(3, 4), 1, 2, { cache });
      expect(() => local.forward(Int32Array.of(5), 1, 1, { cache, segmentStart: Int32Array.of(0) })).toThrow(/bf16 KV cache serves forwards without segmentStart/);
      // a forward that records gradients through a bf16 cache (only reachable through the private trunk):
      // refused, not a result with a silently missing backward
      const trunk = (local as unknown as { trunk(ids: Int32Array, b: number, t: number, o: { cache: KVCache }, layers: number): unknown }).trunk.bind(local);
      expect(cache.precision).toBe('bf16');
      expect(() => trunk(Int32Array.of(5), 1, 1, { cache }, local.config.num_hidden_layers)).toThrow(/records no gradients/);
      // a cache already holding float32 tokens when bf16 weights get packed keeps float32 and decodes as before
      local.decodeWeights = 'f32';
      const kept = new KVCache(local.config, 1, 8), fresh = new KVCache(local.config, 1, 8);
      local.forward(Int32Array.of(3, 4), 1, 2, { cache: kept });
      local.forward(Int32Array.of(3, 4), 1, 2, { cache: fresh });
      kept.packedWeights = undefined; // as if its first tokens came from a forward that packed nothing
      local.decodeWeights = 'bf16';
      const next = local.forward(Int32Array.of(5), 1, 1, { cache: kept }).logits.data;
      expect(kept.precision).toBe('f32');
      local.decodeWeights = 'f32';
      const reference = local.forward(Int32Array.of(5), 1, 1, { cache: fresh }).logits.data;
      let gap = 0, span = 0;
      for (let i = 0; i < reference.length; i++) { gap = Math.max(gap, Math.abs(next[i] - reference[i])); span = Math.max(span, Math.abs(reference[i])); }
      expect(gap).toBeLessThan(0.02 * span);
      local.decodeWeights = 'bf16';
      let range = 0, worst = 0;
      for (let i = 0; i < logits32.length; i++) {
        range = Math.max(range, Math.abs(logits32[i]));
        worst = Math.max(worst, Math.abs(logits16[i] - logits32[i]));
      }
      expect(worst).toBeGreaterThan(0);
      expect(worst).toBeLessThan(0.02 * range);
    });

  it.each(nativeBackendStatus().available ? ['js', 'native'] as const : ['js'] as const)(
    'decodes on pooled buffers (%s backend): memory does not grow with the number of steps or of calls', (backend) => {
      const local = new LlamaModel(createEngine({ backend }), model.config);
      local.decodeWeights = 'f32'; // native: float32 packed weights, taken from the pool too
      const big = Array.from({ length: 24 }, (_, r) => [1 + r, 2 + r, 3]); // batch big enough for pooled buffers
      // what a KV cache for `maxNew` tokens parks in a fresh pool (its capacity grows with maxNew;
      // the same backend, as native buffers carry up to 64 bytes of alignment slack)
      const cacheBytes = (maxNew: number) => {
        const engine = createEngine({ backend });
        const cache = new KVCache(model.config, big.length, 3 + maxNew - 1, engine);
        expect(cache.keys.length).toBe(model.config.num_hidden_layers); // storage is allocated at first use
        cache.release();
        return engine.pooledMemory;
      };
      // outputs first: the packed weights and the KV storage must survive the steps' recycled buffers
      // (they once went back to the pool after the prefill and were overwritten by step activations)
      const loaded = (b: 'js' | 'native') => {
        const m = new LlamaModel(createEngine({ backend: b }), model.config);
        m.loadStateDict(readSafetensorsFile(`${dir}/model.safetensors`).tensors);
        m.decodeWeights = 'f32';
        return m;
      };
      const checked = loaded(backend), options = { maxNewTokens: 16 };
      const batched = generate(checked, big, options);
      expect(generate(checked, big, options)).toEqual(batched);
      expect(batched).toEqual(big.map((p) => generate(checked, [p], options)[0]));
      expect(batched).toEqual(generate(loaded('js'), big, options));
      generate(local, big, { maxNewTokens: 4 });
      const afterShort = local.engine.pooledMemory;
      expect(afterShort).toBeGreaterThan(cacheBytes(4));
      // 6x the steps: only the bigger cache's storage is new; step buffers and packed weights are reused
      generate(local, big, { maxNewTokens: 24 });
      const afterLong = local.engine.pooledMemory;
      expect(afterLong).toBe(afterShort + cacheBytes(24));
      generate(local, big, { maxNewTokens: 24 });
      generate(local, big, { maxNewTokens: 4 });
      expect(local.engine.pooledMemory).toBe(afterLong);
    });

  it.skipIf(!nativeBackendStatus().available)('native fused decode blocks equal the unfused kernels bit for bit (f32 and bf16 weights, prefill and steps)', () => {
    const local = new LlamaModel(createEngine({ backend: 'native' }), model.config);
    const kernels = local.engine.backend.decodeLayer as { run: (...args: unknown[]) => void } | undefined;
    expect(kernels).toBeDefined();
    // count the fused calls, so the comparison below cannot silently be unfused against unfused
    const run = kernels!.run;
    let fusedCalls = 0;
    kernels!.run = (...args) => { fusedCalls++; run(...args); };
    local.loadStateDict(readSafetensorsFile(`${dir}/model.safetensors`).tensors);
    const many = [...prompts, [7, 7, 2], [50, 1], [9, 33, 4, 18], [61, 2, 2, 40, 5]];
    try {
      // the logits of a left-padded batched prefill and two decoding steps through one cache
      const cachedLogits = () => {
        const { ids, positions, keyStart, time: T } = leftPadBatch(many);
        const B = many.length;
        const cache = new KVCache(local.config, B, T + 2);
        return local.engine.noGrad(() => {
          const out = [local.forward(ids, B, T, { cache, positions, keyStart }).logits.data.slice()];
          for (let step = 0; step < 2; step++) {
            const next = Int32Array.from(many, (_, b) => (b * 7 + step * 3) % V);
            const stepPositions = Int32Array.from(many, (p) => p.length + step);
            out.push(local.forward(next, B, 1, { cache, positions: stepPositions, keyStart }).logits.data.slice());
          }
          return out;
        });
      };
      for (const weights of ['f32', 'bf16'] as const) {
        local.decodeWeights = weights;
        const options = { maxNewTokens: 12, padId: 0, temperature: 0.8, seed: 3 };
        local.fusedDecode = false;
        fusedCalls = 0;
        const reference = cachedLogits(), sampled = generate(local, many, options), greedy = generate(local, many, { maxNewTokens: 12 });
        expect(fusedCalls).toBe(0);
        local.fusedDecode = true;
        const fused = cachedLogits();
        expect(fusedCalls).toBe(3 * local.config.num_hidden_layers); // prefill + two steps, one call per block
        expect(fused.map((l) => l.length)).toEqual(reference.map((l) => l.length));
        fused.forEach((l, i) => expect(Buffer.from(l.buffer).equals(Buffer.from(reference[i].buffer))).toBe(true));
        expect(generate(local, many, options)).toEqual(sampled);
        expect(generate(local, many, { maxNewTokens: 12 })).toEqual(greedy);
      }
      // an attached LoRA adapter takes the unfused path (its low-rank terms are not in the kernel): same outputs either way
      local.attachLora({ rank: 2, alpha: 4, targetModules: ['q_proj', 'down_proj'] }, 5);
      for (const p of local.lora!.parameters().values()) for (let i = 0; i < p.size; i++) p.data[i] = 0.05 * Math.sin(i + p.size);
      local.decodeWeights = 'f32';
      fusedCalls = 0;
      const withAdapter = generate(local, many, { maxNewTokens: 8 });
      expect(fusedCalls).toBe(0);
      local.fusedDecode = false;
      expect(generate(local, many, { maxNewTokens: 8 })).toEqual(withAdapter);
    } finally {
      kernels!.run = run;
    }
  });

  it.skipIf(!nativeBackendStatus().available)('native fused decode at a width whose shared q/k/v and gate/up products split across threads mid-weight, prefill in groups of rows: bits of the unfused kernels', () => {
    // hidden 512: a chunk of the shared products' parallel loop holds ~3 tile jobs, so chunks end inside q, k, v, gate and up
    const local = new LlamaModel(createEngine({ backend: 'native', threads: 2 }), resolveLlamaConfig({
      hidden_size: 512, intermediate_size: 768, num_hidden_layers: 1, num_attention_heads: 8, num_key_value_heads: 4,
      vocab_size: 64, max_position_embeddings: 64, rms_norm_eps: 1e-5, tie_word_embeddings: false,
    }), { seed: 3 });
    // 42 left-padded rows of 15 tokens (9-15 real): the fused prefill runs in groups of whole rows,
    // 34 + 8 at 512 tokens a group (float32 weights; bf16 on AMX), 8 x 5 + 2 at 128 (bf16 on the AVX512-BF16 kernel)
    const rows = Array.from({ length: 42 }, (_, b) => Array.from({ length: 9 + (b % 7) }, (_, t) => (b * 13 + t * 5) % 64));
    const { ids, positions, keyStart, time } = leftPadBatch(rows);
    const logits = (fused: boolean) => {
      local.fusedDecode = fused;
      const cache = new KVCache(local.config, rows.length, time + 2);
      return local.engine.noGrad(() => [
        local.forward(ids, rows.length, time, { cache, positions, keyStart }).logits.data.slice(),
        local.forward(Int32Array.from(rows, (_, b) => b), rows.length, 1, { cache, positions: Int32Array.from(rows, (r) => r.length), keyStart }).logits.data.slice(),
      ]);
    };
    for (const weights of ['f32', 'bf16'] as const) {
      local.decodeWeights = weights;
      const unfused = logits(false), fused = logits(true);
      fused.forEach((l, i) => expect(Buffer.from(l.buffer).equals(Buffer.from(unfused[i].buffer)), `${weights} forward ${i}`).toBe(true));
    }
  });

  it.skipIf(!nativeBackendStatus().available)('native: packed decoding weights are reused across calls until a weight changes, never stale', () => {
    const load = () => {
      const m = new LlamaModel(createEngine({ backend: 'native' }), model.config);
      m.loadStateDict(readSafetensorsFile(`${dir}/model.safetensors`).tensors);
      return m;
    };
    for (const weights of ['f32', 'bf16'] as const) {
      const local = load();
      local.decodeWeights = weights;
      const packedOf = () => {
        const cache = new KVCache(local.config, 1, 4);
        local.engine.noGrad(() => local.forward(Int32Array.of(5, 9, 17), 1, 3, { cache }));
        return cache.packedWeights;
      };
      const first = packedOf();
      expect(first).not.toBeNull();
      expect(packedOf()).toBe(first); // unchanged weights: the same copy
      const before = generate(local, prompts, { maxNewTokens: 10 });
      // an in-place edit (no API call tells the model) of one block weight and of lm_head
      const edited = local.parameters();
      for (const name of ['model.layers.1.mlp.up_proj.weight', 'lm_head.weight']) {
        const w = edited.get(name) ?? edited.get('model.embed_tokens.weight')!;
        for (let i = 0; i < w.size; i += 3) w.data[i] *= -1.5;
      }
      expect(packedOf()).not.toBe(first);
      const after = generate(local, prompts, { maxNewTokens: 10 });
      const fresh = load();
      fresh.decodeWeights = weights;
      fresh.loadStateDict(new Map([...local.stateDict()].map(([name, data]) => [name, { shape: [...edited.get(name)!.shape], data }])));
      expect(after).toEqual(generate(fresh, prompts, { maxNewTokens: 10 }));
      expect(after).not.toEqual(before);
    }
  });

  it('a prefill holds one layer of activations at a time: pooled memory does not grow with depth', () => {
    const pooledAfterPrefill = (layers: number) => {
      const local = new LlamaModel(createEngine({ backend: 'js' }), { ...model.config, num_hidden_layers: layers });
      const big = Array.from({ length: 24 }, (_, r) => [1 + r, 2 + r, 3, 4, 5, 6, 7, 8]);
      generate(local, big, { maxNewTokens: 1 });
      return local.engine.pooledMemory;
    };
    const one = pooledAfterPrefill(1);
    expect(one).toBeGreaterThan(0);
    expect(pooledAfterPrefill(4)).toBeLessThan(1.5 * one);
  });

  it('handles edge cases and rejects bad options', () => {
    expect(generate(model, prompts, { maxNewTokens: 0 })).toEqual([[], [], []]);
    expect(generate(model, [], { maxNewTokens: 3 })).toEqual([]);
    expect(() => generate(model, [[]], { maxNewTokens: 3 })).toThrow(/empty/);
    expect(() => generate(model, prompts, { maxNewTokens: 3, topP: 0 })).toThrow(/topP/);
    expect(() => generate(model, [[V + 1]], { maxNewTokens: 3 })).toThrow(/vocabulary/);
    expect(engine.gradEnabled).toBe(true);
  });
});
