// KVCache storage: float32 or bfloat16 bits (picked before first use), writes, row dropping, pooling.
import { describe, expect, it } from 'vitest';
import { bf16Bits } from '../tensor/backends/js-bf16.js';
import { createEngine } from '../tensor/index.js';
import { KVCache } from './kv-cache.js';
import { resolveLlamaConfig } from './llama.js';

const config = resolveLlamaConfig({
  hidden_size: 8, intermediate_size: 16, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1,
  vocab_size: 11, max_position_embeddings: 32,
}); // kv row: 1 head x 4 dims
const row = 4;

function values(count: number, seed: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(seed + i * 0.731) * 3.3);
}

describe('KVCache', () => {
  it('bf16: writes round to nearest even as the kernels do, keepRows moves whole rows, views have the batch rows', () => {
    const cache = new KVCache(config, 3, 5);
    cache.usePrecision('bf16');
    expect(cache.precision).toBe('bf16');
    const k = values(3 * 2 * row, 1), v = values(3 * 2 * row, 2);
    for (let layer = 0; layer < 2; layer++) cache.write(layer, k, v, 2);
    cache.advance(2);
    const keys = cache.keyBits[1], vals = cache.valueBits[1];
    expect(keys.length).toBe(3 * 5 * row);
    for (let b = 0; b < 3; b++) for (let i = 0; i < 2 * row; i++) {
      expect(keys[b * 5 * row + i]).toBe(bf16Bits(k[b * 2 * row + i]));
      expect(vals[b * 5 * row + i]).toBe(bf16Bits(v[b * 2 * row + i]));
    }
    const row2 = keys.slice(2 * 5 * row, 2 * 5 * row + 2 * row);
    cache.keepRows([0, 2]);
    expect(cache.batch).toBe(2);
    expect(cache.keyBits[1].length).toBe(2 * 5 * row);
    expect(Array.from(cache.keyBits[1].subarray(5 * row, 5 * row + 2 * row))).toEqual(Array.from(row2));
    expect(() => cache.keys).toThrow(/holds bf16 keys; use keyBits/);
    expect(cache.layer(0).keys).toBeInstanceOf(Uint16Array);
  });

  it('precision changes only while empty; storage is allocated at first use and pooled', () => {
    const engine = createEngine({ backend: 'js' });
    const cache = new KVCache(config, 2, 600, engine); // 2 x 600 x 4 = 4800 elements per layer
    expect(engine.pooledMemory).toBe(0);
    expect(cache.layer(0).keys).toBeInstanceOf(Float32Array);
    cache.usePrecision('bf16'); // still empty: the float storage goes back to the pool
    const afterSwitch = engine.pooledMemory;
    expect(afterSwitch).toBeGreaterThanOrEqual(2 * 2 * 4800 * 4);
    cache.write(0, values(2 * row, 3), values(2 * row, 4), 1);
    cache.advance(1);
    // the bf16 storage (2400 floats a buffer) came out of the pool: the float buffers, up to twice its size
    expect(engine.pooledMemory).toBe(0);
    expect(cache.keyBits[0].length).toBe(4800);
    expect(() => cache.usePrecision('f32')).toThrow(/cannot change/);
    cache.reset();
    cache.usePrecision('bf16'); // unchanged: a no-op
    cache.release();
    expect(engine.pooledMemory).toBe(afterSwitch);
  });
});
