// Follows an append-only text file (a run's events.jsonl) like `tail -f`: every complete line
// already there, then each new one as it is written, until the signal aborts. Polls the size
// (portable; fs.watch misses appends on some file systems) and keeps a partial last line until its
// newline arrives. A file that shrinks (a resumed run truncates its log) is read again from the start.
// Not here: parsing the lines.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface FollowOptions {
  pollMs?: number;
  signal: AbortSignal;
  /** called when the file was truncated, before its lines are sent again */
  onReset?: () => void;
}

const CHUNK = 1 << 16;

export async function followLines(path: string, onLine: (line: string) => void, options: FollowOptions): Promise<void> {
  const pollMs = options.pollMs ?? 200;
  let offset = 0;
  let partial = '';
  const decoder = new TextDecoder('utf-8');
  let wake: () => void = () => {};
  options.signal.addEventListener('abort', () => wake(), { once: true });
  while (!options.signal.aborted) {
    let size = -1;
    try {
      size = statSync(path).size;
    } catch {
      // not written yet
    }
    if (size >= 0 && size < offset) {
      offset = 0;
      partial = '';
      options.onReset?.();
    }
    if (size > offset) {
      const fd = openSync(path, 'r');
      try {
        const buffer = Buffer.alloc(CHUNK);
        while (offset < size && !options.signal.aborted) {
          const read = readSync(fd, buffer, 0, Math.min(CHUNK, size - offset), offset);
          if (read <= 0) break;
          offset += read;
          partial += decoder.decode(buffer.subarray(0, read), { stream: true });
          const lines = partial.split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) if (line.trim()) onLine(line);
        }
      } finally {
        closeSync(fd);
      }
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, pollMs);
    });
  }
}
