// The text of one generated row as tokens arrive: decoded whole each time (byte-level tokens can
// split a UTF-8 character), cut at the first stop string, and released for streaming only once it
// can no longer turn into a stop string or an incomplete character. Not here: sampling, HTTP.
import type { Tokenizer } from '../model/tokenizer.js';

export class TextOutput {
  private readonly tokens: number[] = [];
  private emitted = 0;
  /** the text so far, cut before a matched stop string */
  text = '';
  stopped = false;

  constructor(private readonly tokenizer: Tokenizer, private readonly stop: readonly string[]) {}

  /** Adds a token; returns true when a stop string has now appeared (the row should end). */
  push(token: number): boolean {
    if (this.stopped) return true;
    this.tokens.push(token);
    this.text = this.tokenizer.decode(this.tokens, { skipSpecial: true });
    let cut = -1;
    for (const stop of this.stop) {
      const at = this.text.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.text = this.text.slice(0, cut);
      this.stopped = true;
    }
    return this.stopped;
  }

  /** Text not yet streamed that is safe to send now (all of it once `final`). */
  takeDelta(final: boolean): string {
    let safe = this.text.length;
    if (!final && !this.stopped) {
      while (safe > 0 && this.text.charCodeAt(safe - 1) === 0xfffd) safe--; // maybe a split character
      safe -= this.heldForStop(safe);
    }
    if (safe <= this.emitted) return '';
    const delta = this.text.slice(this.emitted, safe);
    this.emitted = safe;
    return delta;
  }

  // Length of the longest tail of text[0, end) that is a proper prefix of some stop string.
  private heldForStop(end: number): number {
    let held = 0;
    for (const stop of this.stop) {
      for (let length = Math.min(stop.length - 1, end); length > held; length--) {
        if (this.text.startsWith(stop.slice(0, length), end - length)) { held = length; break; }
      }
    }
    return held;
  }
}
