// Public surface of the tensor engine: Engine/createEngine, Tensor, every op, the backends and
// the gradient-check helper. Import from here rather than from individual op files.
// Not here: nn (optimiser, schedules, RNG) or models.
export type { AttentionShape, Backend, BackendName, Bf16Kernels, PackedF32Kernels } from './backend.js';
export { createJsBackend } from './backends/js.js';
export { Engine, createEngine, NATIVE_NOT_BUILT_NOTICE, type EngineOptions } from './engine.js';
export { Tensor, shapeSize, type BackwardFn } from './tensor.js';
export { add, sub, mul, div, scale, addScalar, exp, log, silu, logSigmoid, broadcastShapes } from './ops-elementwise.js';
export { reshape, transpose, slice, concat, sum, mean } from './ops-shape.js';
export { gemmAt, linear, matmul, type Gemm2d, type GemmPrecision } from './ops-linear.js';
export { embedding, rmsnorm, rope, ropeInvFreq, swiglu, softmax } from './ops-nn.js';
export { attention, type AttentionOptions } from './ops-attention.js';
export { crossEntropy, linearCrossEntropy, linearLogProbs, logProbs } from './ops-loss.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
export { clippedPolicyLoss, clippedValueLoss, type ClippedLoss } from './ops-rl.js';
