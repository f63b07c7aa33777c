// Pull the code out of a model's answer to a coding prompt, so the vulnerability oracle can judge
// it: the <code>...</code> block our data teaches, else a ``` fence, else the whole visible answer
// if it parses as JavaScript. The scratchpad is removed first (its text is reasoning, not code).
// Not a judge of the code; see vuln-oracle.ts.
import { parsesAsJavaScript } from './vuln-oracle.js';
import { stripScratchpad } from './scratchpad.js';

const CODE_OPEN = '<code>';
const CODE_CLOSE = '</code>';

/**
 * The code in a response, or null if there is none. An unterminated `<code>` block (generation
 * stopped at the token limit) yields everything after the tag, which the oracle may then fail to
 * parse: a truncated answer is reported as such rather than silently dropped.
 */
export function extractCode(response: string): string | null {
  const { answer } = stripScratchpad(response);
  const open = answer.indexOf(CODE_OPEN);
  if (open >= 0) {
    const start = open + CODE_OPEN.length;
    const close = answer.indexOf(CODE_CLOSE, start);
    const code = (close >= 0 ? answer.slice(start, close) : answer.slice(start)).replace(/^\n/, '').replace(/\s+$/, '');
    return code.trim() ? code : null;
  }
  const fence = /```[A-Za-z]*[^\S\n]*\n([\s\S]*?)(?:```|$)/.exec(answer);
  if (fence) {
    const code = fence[1].replace(/\s+$/, '');
    return code.trim() ? code : null;
  }
  const trimmed = answer.trim();
  return trimmed && parsesAsJavaScript(trimmed) && looksLikeCode(trimmed) ? trimmed : null;
}

/** A bare answer counts as code only if it has code punctuation: "Paris." parses as JS too. */
function looksLikeCode(text: string): boolean {
  return /[;{}()=]/.test(text) && /\b(const|let|var|function|require|import|return)\b|=>|module\.exports/.test(text);
}
