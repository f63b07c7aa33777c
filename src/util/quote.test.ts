// Tests for quoting untrusted text in messages: terminal escapes (C0, C1 CSI, bidi overrides)
// become visible \u escapes, and long values are cut with a count of what was cut.
import { describe, expect, it } from 'vitest';
import { escapeForTerminal, quote, safeMessage } from './quote.js';

describe('quote / safeMessage', () => {
  it('escapes ESC, C1 CSI, bidi overrides and lone surrogates but keeps newlines and normal text', () => {
    expect(escapeForTerminal('\u001b[31mred\u009b2J\u202eevil\ud800 ok\nnext ✓')).toBe('\\u001b[31mred\\u009b2J\\u202eevil\\ud800 ok\nnext ✓');
    expect(quote('\u001b]0;title\u0007')).toBe('"\\u001b]0;title\\u0007"');
  });

  it('truncates a 100 KB value to a short quote and a whole message to 4000 characters', () => {
    const huge = 'A'.repeat(100_000);
    const quoted = quote(huge);
    expect(quoted.length).toBeLessThan(200);
    expect(quoted).toContain('99880 more characters');
    expect(quote({ key: huge }).length).toBeLessThan(200);
    expect(safeMessage(`bad value ${huge}`).length).toBeLessThan(4100);
  });

  it('never splits a surrogate pair when cutting', () => {
    const text = `${'a'.repeat(9)}😀tail`;
    expect(quote(text, 10)).toBe('"aaaaaaaaa... (6 more characters)"');
  });
});
