// Quoting untrusted text inside error messages and terminal output: a value from a hostile file
// can be 100 KB long or carry terminal escape sequences, so what an error quotes is truncated and
// every control, C1 and bidi-override character is shown as a \u escape. Not here: HTML escaping
// (report/escape.ts) or any decision about what is valid.

const DEFAULT_QUOTE_CHARACTERS = 120;
const DEFAULT_MESSAGE_CHARACTERS = 4000;

// C0 controls except \n and \t, DEL, C1 controls (0x9b is a one-byte CSI), line/paragraph
// separators, bidi embeddings/overrides/isolates, zero-width no-break space / BOM.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
// Unpaired surrogates cannot be printed either.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeCharacter(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Text with every character a terminal could act on shown as a \u escape (newlines and tabs kept). */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, escapeCharacter).replace(LONE_SURROGATE, escapeCharacter);
}

/** Cut `text` to at most `max` characters (not splitting a surrogate pair), saying how much was cut. */
export function truncate(text: string, max = DEFAULT_MESSAGE_CHARACTERS): string {
  if (text.length <= max) return text;
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}... (${text.length - end} more characters)`;
}

/**
 * A value as it should appear inside an error message: strings in double quotes with JSON
 * escapes, other values as (truncated) JSON, at most `max` characters of the original either way.
 */
export function quote(value: unknown, max = DEFAULT_QUOTE_CHARACTERS): string {
  let text: string;
  if (typeof value === 'string') {
    const cut = value.length > max ? truncate(value, max) : value;
    return escapeForTerminal(JSON.stringify(cut));
  }
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return escapeForTerminal(truncate(text, max));
}

/** A whole message for the terminal: escaped and cut to a readable length. */
export function safeMessage(text: string, max = DEFAULT_MESSAGE_CHARACTERS): string {
  return escapeForTerminal(truncate(text, max));
}
