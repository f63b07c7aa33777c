// The benchmark model shapes (identical to the PyTorch peer, /work/shared/peers/torch_bench.py)
// and the shared command-line parsing of the bench scripts. Not a benchmark itself.
import { availableParallelism } from 'node:os';

export interface BenchConfig {
  batch: number;
  seq: number;
  vocab: number;
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  /** timed optimizer steps (after warm-up), as in the peer */
  steps: number;
}

export const BENCH_CONFIGS = {
  tiny: { batch: 16, seq: 64, vocab: 512, layers: 4, hidden: 128, heads: 4, intermediate: 512, steps: 20 },
  small: { batch: 8, seq: 128, vocab: 4096, layers: 6, hidden: 384, heads: 6, intermediate: 1536, steps: 5 },
  // the quick demo's model (configs/demo.json) at 32 rows of 160 tokens, as the peer's "demo"
  demo: { batch: 32, seq: 160, vocab: 1024, layers: 2, hidden: 128, heads: 4, intermediate: 384, steps: 10 },
} as const satisfies Record<string, BenchConfig>;

export type BenchConfigName = keyof typeof BENCH_CONFIGS;

export interface BenchArgs {
  backend: 'js' | 'native';
  configs: BenchConfigName[];
  /** thread counts to try; each measurement reports the fastest (as the PyTorch peers do over
   * their thread settings). Default: 1 and 2 (when there are two cores). */
  threads: number[];
  /** skip the generation measurements */
  noGenerate: boolean;
  /** skip the training measurements */
  noTrain: boolean;
  /** weights of KV-cache forwards (LlamaModel.decodeWeights): auto (default), f32 or bf16 */
  decodeWeights: 'auto' | 'f32' | 'bf16';
  /** GEMMs of training steps (LlamaModel.trainPrecision): auto (default, as the experiment config), f32 or bf16 */
  trainPrecision: 'auto' | 'f32' | 'bf16';
  /** internal: run one measurement ("train:tiny", "generate:small:16") in this process */
  one?: string;
  /** directory of the PyTorch peers to run right before our lines, with the ratios (--peers [DIR];
   * 'default' = ../shared/peers beside the checkout); null = none */
  peers: string | null;
  /** the Python with PyTorch that runs the peers (--python PATH) */
  python: string;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { backend: 'native', configs: ['tiny', 'small', 'demo'], threads: availableParallelism() >= 2 ? [1, 2] : [1], noGenerate: false, noTrain: false, decodeWeights: 'auto', trainPrecision: 'auto', peers: null, python: '/usr/bin/python3' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--backend' && (value === 'js' || value === 'native')) args.backend = value;
    else if (flag === '--config' && (value === 'tiny' || value === 'small' || value === 'demo')) args.configs = [value];
    else if (flag === '--threads' && Number.isInteger(Number(value)) && Number(value) >= 1) args.threads = [Number(value)];
    else if (flag === '--one' && value !== undefined) args.one = value;
    else if (flag === '--decode-weights' && (value === 'auto' || value === 'f32' || value === 'bf16')) args.decodeWeights = value;
    else if (flag === '--train-precision' && (value === 'auto' || value === 'f32' || value === 'bf16')) args.trainPrecision = value;
    else if (flag === '--peers') {
      // optional directory ('default': ../shared/peers beside the checkout, resolved by the bench)
      const dir = value !== undefined && value !== '' && !value.startsWith('-') ? value : 'default';
      args.peers = dir;
      if (dir !== value) continue;
    } else if (flag === '--python' && value !== undefined && value !== '' && !value.startsWith('-')) args.python = value;
    else if (flag === '--no-generate' || flag === '--no-train') {
      if (flag === '--no-generate') args.noGenerate = true;
      else args.noTrain = true;
      continue;
    } else throw new Error(`unknown or invalid option ${flag} ${value ?? ''}\nusage: --backend js|native --config tiny|small|demo --threads N [--decode-weights auto|f32|bf16] [--train-precision auto|f32|bf16] [--no-generate] [--no-train] [--peers [DIR]] [--python PATH]`);
    i++;
  }
  return args;
}
