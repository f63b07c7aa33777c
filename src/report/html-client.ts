// The report's stylesheet and the small browser script that draws its charts with Chart.js
// from the JSON embedded in the page (the chart payload type is defined here too). The script
// only draws on canvases; it never inserts text into the DOM, so it needs no escaping.
// Not here: the tables, which are static HTML rendered on the server (html-sections.ts).
import type { ReportModel } from './report-model.js';

type Triple = [rate: number, low: number, high: number];

export interface ChartPayload {
  /** One line chart per curve view: a dataset per (series, line), points [step, rate, low, high]. */
  curves: Array<{ id: string; yLabel: string; datasets: Array<{ label: string; color: string; dashed: boolean; points: Array<[number, ...Triple]> }> }>;
  /** One bar chart per bars view: categories are series; a dataset per (bar, before/after). */
  bars: Array<{ id: string; yLabel: string; categories: string[]; datasets: Array<{ label: string; color: string; values: Array<Triple | null> }> }>;
  loss: Array<{ stage: string; color: string; points: Array<[number, number]> }>;
}

// Bars get a light and a dark shade per bar metric (before, after), from the same palette.
const BAR_COLORS = [['#9ecae1', '#0072B2'], ['#fdd0a2', '#D55E00'], ['#a1d99b', '#009E73'], ['#dadaeb', '#CC79A7']];

export function chartPayload(model: ReportModel): ChartPayload {
  const { presentation } = model;
  const curves = presentation.curves.map((view) => ({
    id: view.id,
    yLabel: view.yLabel,
    datasets: model.series.filter((series) => view.onlyWith === undefined || series.steps.some((step) => series.at(view.onlyWith!, step) !== undefined)).flatMap((series) => view.lines.map((line) => ({
      label: `${series.stage.label} - ${line.label}`,
      color: series.color,
      dashed: line.dashed === true,
      points: series.steps.flatMap((step): Array<[number, ...Triple]> => {
        const rate = series.at(line.metric, step);
        return rate ? [[step, rate.rate, rate.low, rate.high]] : [];
      }),
    }))).filter((dataset) => dataset.points.length > 0),
  }));
  const bars = presentation.bars.map((view) => ({
    id: view.id,
    yLabel: view.yLabel,
    categories: model.series.map((series) => series.stage.label),
    datasets: view.bars.flatMap((bar, index) => (['before', 'after'] as const).map((when, shade) => ({
      label: `${bar.label}, ${when}`,
      color: BAR_COLORS[index % BAR_COLORS.length][shade],
      values: model.series.map((series): Triple | null => {
        const rate = series.at(bar.metric, when === 'before' ? series.before : series.after);
        return rate ? [rate.rate, rate.low, rate.high] : null;
      }),
    }))),
  }));
  return {
    curves: curves.filter((curve) => curve.datasets.length > 0),
    bars: bars.filter((chart) => chart.categories.length > 0),
    loss: model.lossCurves.map((curve) => ({ stage: curve.stage, color: curve.color, points: curve.points })),
  };
}

export const REPORT_CSS = `
:root { --fg: #1b1f24; --muted: #5b6570; --line: #d8dee4; --bg: #ffffff; --panel: #f6f8fa; --warn: #9a6700; --warn-bg: #fff8c5; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
p { margin: 6px 0; }
.muted, caption, figcaption { color: var(--muted); }
.subtitle { color: var(--muted); margin-bottom: 16px; }
.banner { background: var(--warn-bg); color: var(--warn); border: 1px solid #d4a72c; border-radius: 6px; padding: 8px 12px; margin: 12px 0; }
.meta { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 4px 24px; margin: 12px 0; }
.meta div { display: flex; gap: 8px; min-width: 0; }
.meta dt { color: var(--muted); flex: none; }
.meta dd { margin: 0; overflow-wrap: anywhere; }
code, pre { font: 12.5px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
pre.command { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 6px 0; overflow-x: auto; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
figure { margin: 0; min-width: 0; }
.chart { position: relative; height: 360px; }
.chart.tall { height: 420px; }
figcaption { font-size: 12.5px; margin-top: 6px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-size: 12.5px; padding-bottom: 4px; caption-side: bottom; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
table.before-after td:first-child { min-width: 210px; }
td.num { white-space: nowrap; }
td.num small, td small { display: block; color: var(--muted); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.samples td { max-width: 420px; }
.samples pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; max-height: 12em; overflow-y: auto; }
.tag { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; white-space: nowrap; margin: 1px 0; }
.tag.on { background: #ffebe9; color: #a40e26; }
.tag.off { background: #dafbe1; color: #116329; }
.tag.neutral { background: var(--panel); color: var(--muted); }
details > summary { cursor: pointer; margin: 8px 0; }
details pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow: auto; max-height: 480px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media (max-width: 860px) { .charts { grid-template-columns: 1fr; } main { padding: 16px; } }
@media print { .chart { break-inside: avoid; } }
`;

// Plain ES2017 run in the browser. Kept free of backticks and "${" because it lives in a
// template literal. Reads the payload from #report-data; Chart is the inlined UMD global.
export const REPORT_CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  if (typeof Chart === 'undefined') return;
  Chart.defaults.animation = false; // static report: draw final frames at once (print, screenshots)
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';

  function rgba(hex, alpha) {
    var value = parseInt(hex.slice(1), 16);
    return 'rgba(' + ((value >> 16) & 255) + ',' + ((value >> 8) & 255) + ',' + (value & 255) + ',' + alpha + ')';
  }
  function pct(x) { return x === null || x === undefined ? null : x * 100; }

  // One line: an invisible upper bound, a lower bound filled up to it (the 95% interval band),
  // then the line itself. Band datasets are hidden from legend and tooltips.
  function withBand(series) {
    var upper = series.points.map(function (p) { return { x: p[0], y: pct(p[3]) }; });
    var lower = series.points.map(function (p) { return { x: p[0], y: pct(p[2]) }; });
    var line = series.points.map(function (p) { return { x: p[0], y: pct(p[1]), low: pct(p[2]), high: pct(p[3]) }; });
    var band = { borderWidth: 0, pointRadius: 0, pointHitRadius: 0, band: true, backgroundColor: rgba(series.color, 0.13) };
    return [
      Object.assign({ label: series.label + ' upper', data: upper, fill: false }, band),
      Object.assign({ label: series.label + ' lower', data: lower, fill: '-1' }, band),
      { label: series.label, data: line, borderColor: series.color, backgroundColor: series.color, borderWidth: 2,
        borderDash: series.dashed ? [6, 4] : [], pointRadius: 2.5, fill: false, tension: 0 }
    ];
  }

  function options(yTitle, yMax) {
    return {
      parsing: true,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'training step of the stage' }, ticks: { precision: 0 } },
        y: { min: 0, max: yMax, title: { display: true, text: yTitle } }
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxHeight: 2, filter: function (item, chartData) { return !chartData.datasets[item.datasetIndex].band; } } },
        tooltip: {
          filter: function (context) { return !context.dataset.band; },
          callbacks: {
            label: function (context) {
              var raw = context.raw;
              return context.dataset.label + ': ' + raw.y.toFixed(1) + '% [' + raw.low.toFixed(1) + '-' + raw.high.toFixed(1) + ']';
            }
          }
        }
      }
    };
  }

  data.curves.forEach(function (curve) {
    var canvas = document.getElementById('chart-' + curve.id);
    if (!canvas) return;
    var datasets = [];
    curve.datasets.forEach(function (series) { datasets = datasets.concat(withBand(series)); });
    new Chart(canvas, { type: 'line', data: { datasets: datasets }, options: options(curve.yLabel, 100) });
  });

  // Draws each bar's 95% interval as a whisker (Chart.js has no error bars of its own).
  var whiskers = {
    id: 'whiskers',
    afterDatasetsDraw: function (chart) {
      var context = chart.ctx;
      var y = chart.scales.y;
      chart.data.datasets.forEach(function (dataset, index) {
        var meta = chart.getDatasetMeta(index);
        if (meta.hidden) return;
        meta.data.forEach(function (bar, i) {
          var value = dataset.intervals[i];
          if (!value) return;
          context.save();
          context.strokeStyle = '#1b1f24';
          context.lineWidth = 1;
          context.beginPath();
          context.moveTo(bar.x, y.getPixelForValue(value[1] * 100));
          context.lineTo(bar.x, y.getPixelForValue(value[2] * 100));
          context.moveTo(bar.x - 4, y.getPixelForValue(value[1] * 100));
          context.lineTo(bar.x + 4, y.getPixelForValue(value[1] * 100));
          context.moveTo(bar.x - 4, y.getPixelForValue(value[2] * 100));
          context.lineTo(bar.x + 4, y.getPixelForValue(value[2] * 100));
          context.stroke();
          context.restore();
        });
      });
    }
  };
  data.bars.forEach(function (chart) {
    var canvas = document.getElementById('chart-' + chart.id);
    if (!canvas) return;
    new Chart(canvas, {
      type: 'bar',
      data: {
        labels: chart.categories,
        datasets: chart.datasets.map(function (dataset) {
          return { label: dataset.label, backgroundColor: dataset.color, intervals: dataset.values,
            data: dataset.values.map(function (value) { return value ? value[0] * 100 : null; }) };
        })
      },
      options: {
        scales: { y: { min: 0, max: 100, title: { display: true, text: chart.yLabel } } },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: { label: function (context) {
            var value = context.dataset.intervals[context.dataIndex];
            return context.dataset.label + ': ' + (value[0] * 100).toFixed(1) + '% [' + (value[1] * 100).toFixed(1) + '-' + (value[2] * 100).toFixed(1) + ']';
          } } }
        }
      },
      plugins: [whiskers]
    });
  });

  var lossCanvas = document.getElementById('chart-loss');
  if (lossCanvas && data.loss.length) {
    new Chart(lossCanvas, {
      type: 'line',
      data: { datasets: data.loss.map(function (curve) {
        return { label: curve.stage, data: curve.points.map(function (p) { return { x: p[0], y: p[1] }; }),
          borderColor: curve.color, backgroundColor: curve.color, borderWidth: 1.5, pointRadius: 0, tension: 0 };
      }) },
      options: {
        interaction: { mode: 'nearest', intersect: false },
        scales: { x: { type: 'linear', title: { display: true, text: 'optimizer step within stage' }, ticks: { precision: 0 } },
                  y: { title: { display: true, text: 'training loss (cross-entropy)' } } },
        plugins: { legend: { position: 'bottom', labels: { boxHeight: 2 } } }
      }
    });
  }
})();
`;
