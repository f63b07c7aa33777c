// The dashboard's server (same hono stack as `serve`): the page, the runs under a runs directory,
// each run's events.jsonl streamed over SSE as it is written, its HTML report, and the OpenAI
// routes over every stage model ("RUN/STAGE") for the chat panel. Reads run directories only.
// Not here: the page itself (dashboard-page.ts), training, or writing anything into runs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { renderReport } from '../report/html.js';
import { followLines } from './follow-lines.js';
import type { RunModels } from './models.js';
import { openAiRoutes, type ApiOptions } from './openai-app.js';
import { renderDashboardPage } from './dashboard-page.js';

export interface DashboardOptions extends ApiOptions {
  runsDir: string;
  models: RunModels;
  trigger: string;
}

export function dashboardRoutes(options: DashboardOptions): Hono {
  const { runsDir, models } = options;
  const app = new Hono();
  const page = renderDashboardPage({ trigger: options.trigger });
  const knownRun = (name: string) => models.runs().includes(name);

  app.get('/', (c) => c.html(page, 200, {
    'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-src 'self'",
  }));
  app.get('/api/runs', (c) => c.json(models.runs().map((name) => {
    const dir = join(runsDir, name);
    return {
      name,
      complete: existsSync(join(dir, 'results.json')),
      report: existsSync(join(dir, 'results.json')),
      models: models.ids().filter((id) => id.startsWith(`${name}/`)),
    };
  })));
  app.get('/api/runs/:name/report', (c) => {
    const name = c.req.param('name');
    if (!knownRun(name) || !existsSync(join(runsDir, name, 'results.json'))) return c.json({ error: { message: 'no report for this run yet', type: 'invalid_request_error', param: null, code: 'not_found' } }, 404);
    return c.html(renderReport(join(runsDir, name)));
  });
  app.get('/api/runs/:name/events', (c) => {
    const name = c.req.param('name');
    if (!knownRun(name)) return c.json({ error: { message: `no run named ${name}`, type: 'invalid_request_error', param: null, code: 'not_found' } }, 404);
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, c.req.raw.signal]);
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (text: string) => {
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            stop.abort();
          }
        };
        send(': events of run\n\n');
        void followLines(join(runsDir, name, 'events.jsonl'), (line) => {
          try {
            JSON.parse(line);
          } catch {
            return; // a torn or foreign line is skipped, never forwarded
          }
          send(`data: ${line}\n\n`);
        }, { signal, onReset: () => send('event: reset\ndata: {}\n\n') }).finally(() => {
          try {
            controller.close();
          } catch {
            // the reader already went away
          }
        });
      },
      cancel() {
        stop.abort();
      },
    });
    return new Response(stream, { headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } });
  });
  app.route('/', openAiRoutes(models, options));
  return app;
}
