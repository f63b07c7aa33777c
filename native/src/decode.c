/* One decoder block of a KV-cache forward (prefill or decoding step) in a single call: the
 * kernels the model would otherwise call one by one from JavaScript (RMSNorm, the packed q/k/v
 * GEMMs, RoPE, the cache write, causal attention over the cache, o_proj + residual, RMSNorm,
 * gate/up GEMMs, SwiGLU, down_proj + residual) with the same arguments (a bfloat16 cache: the
 * new keys/values rounded as the JavaScript cache write rounds them), so the result is bit for
 * bit the unfused path's (only independent steps run in another order: v is projected before
 * the rotations here). At batch 1 a decoding step is ~15 small kernels
 * per block; each JavaScript round trip (tensor object, pool buffer, N-API call) cost about as
 * much as the kernel itself. Not here: embeddings, the final norm and the output head (llama.ts),
 * argument checks (addon-decode.c). */
#include <string.h>
#include "kernels.h"

/* A prefill of many rows runs the block on groups of whole batch rows of about this many tokens,
 * so its activations (gate and up: rows x intermediate floats each) stay in cache between the
 * kernels instead of streaming through memory five times (batch 64 x 64 tokens: ~25 MB each).
 * Rows are independent (attention reads only its own batch row), so the bits are the same.
 * Batch 64 x 64-token prefill, small shape, 2-vCPU Xeon with AVX-512 + AMX (session 10): 147-160 ms
 * ungrouped, 128 tokens 145-158, 256: 133-139, 512: 117-123, 1024: 118-132, 2048: 127-131.
 * 2-vCPU Zen 5 EPYC (AVX512-BF16), group sizes switched per repetition within one process (a
 * C prefill harness; two series), median ms: batch 64, 512 tokens 219.8 / 201.8, 256: 192.2 / 184.9,
 * 192: 193.1 / -, 128: 193.0 / 184.0, 64: - / 208.9; batch 16, 512: 55.8 / 54.3, 256: 51.1 / 51.5,
 * 128: 49.4 / 48.3
 * (one thread: 512 360, 128 347): there 128, a group's gate and up (~1.5 MB) staying in the L2s.
 * Elsewhere 512: on the AMX Xeon 128 measured ~25% slower (above), and the float32 path was not
 * re-measured. */
#define GROUP_TOKENS 512
#define GROUP_TOKENS_AVX512_BF16 128

/* batch rows per group of `tokens` tokens; a decoding step (one token per row) runs every row at
 * once, so each weight streams through once per step however large the batch */
static int64_t rows_per_group(const sl_decode_shape *s, int64_t tokens) {
  if (s->time <= 1) return s->batch;
  const int64_t group = s->time >= tokens ? 1 : tokens / s->time;
  return group < s->batch ? group : s->batch;
}

static int64_t group_rows(const sl_decode_shape *s) {
  return rows_per_group(s, s->bf16 && sl_bf16_kernel() == SL_BF16_AVX512 ? GROUP_TOKENS_AVX512_BF16 : GROUP_TOKENS);
}

/* Sized for the larger group (GROUP_TOKENS >= GROUP_TOKENS_AVX512_BF16) whatever the weights and
 * the bf16 kernel, so a scratch buffer sized before a kernel switch, or by JavaScript, whose
 * decodeScratchLength does not know the weights' type, is always enough. */
int64_t sl_decode_scratch_length(const sl_decode_shape *s) {
  const int64_t rows = rows_per_group(s, GROUP_TOKENS) * s->time;
  const int64_t q = s->heads * s->head_dim, kv = s->kv_heads * s->head_dim;
  return rows * (2 * s->channels + 2 * q + 2 * kv + 2 * s->intermediate + 1);
}

static void project(const sl_decode_shape *s, const void *w, int64_t rows, int64_t N, int64_t K, const float *x,
                    float *y) {
  if (s->bf16)
    sl_bf16_gemm(0, rows, N, K, x, (const uint16_t *)w, y, 0);
  else
    sl_f32_packed_gemm(rows, N, K, x, (const float *)w, y);
}

/* x += x_in @ w^T (a residual branch's output projection); bf16 products add into x themselves
 * (y += sum: the same bits as projecting into o and sl_add(x, o, x), without the extra pass). */
static void project_add(const sl_decode_shape *s, const void *w, int64_t rows, int64_t N, int64_t K, const float *x_in, float *x, float *o) {
  if (s->bf16) {
    sl_bf16_gemm(0, rows, N, K, x_in, (const uint16_t *)w, x, 1);
    return;
  }
  sl_f32_packed_gemm(rows, N, K, x_in, (const float *)w, o);
  sl_add(x, o, x, rows * N);
}

/* Products of one input with weights[first .. first + count): bf16 weights share its conversion
 * and one parallel loop (sl_bf16_gemm_shared, the same bits as one call each). */
static void project_shared(const sl_decode_shape *s, const void *const weights[SL_DECODE_WEIGHTS], int first, int count, int64_t rows,
                     const int64_t *N, int64_t K, const float *x, float *const *y) {
  if (s->bf16 && count <= SL_BF16_SHARED_MAX) {
    const uint16_t *packed[SL_BF16_SHARED_MAX];
    for (int i = 0; i < count; i++) packed[i] = (const uint16_t *)weights[first + i];
    sl_bf16_gemm_shared(rows, K, x, count, N, packed, y);
    return;
  }
  for (int i = 0; i < count; i++) project(s, weights[first + i], rows, N[i], K, x, y[i]);
}

static void decode_rows(const sl_decode_shape *s, float *x, const float *input_norm, const float *post_norm,
                        const void *const weights[SL_DECODE_WEIGHTS], void *cache_k, void *cache_v,
                        const sl_rope_table *rope, int64_t row0, const int32_t *key_start, float *scratch) {
  const int64_t B = s->batch, T = s->time, rows = B * T, C = s->channels, I = s->intermediate;
  const int64_t H = s->heads, KH = s->kv_heads, D = s->head_dim, HD = H * D, KVD = KH * D;
  float *h = scratch, *q = h + rows * C, *k = q + rows * HD, *v = k + rows * KVD, *a = v + rows * KVD;
  float *o = a + rows * HD, *gate = o + rows * C, *up = gate + rows * I, *rstd = up + rows * I;

  /* attention: x += o_proj(attn(rope(q), rope(k), v)) */
  sl_rmsnorm_forward(x, input_norm, rows, C, s->eps, h, rstd);
  project_shared(s, weights, 0, 3, rows, (const int64_t[]){HD, KVD, KVD}, C, h, (float *const[]){q, k, v});
  sl_rope_apply(rope, q, row0, rows, H, 0, q);
  sl_rope_apply(rope, k, row0, rows, KH, 0, k);
  for (int64_t b = 0; b < B; b++) {
    const int64_t dst = (b * s->capacity + s->past) * KVD, src = b * T * KVD;
    if (s->kv_bf16) {
      sl_bf16_round(k + src, (uint16_t *)cache_k + dst, T * KVD);
      sl_bf16_round(v + src, (uint16_t *)cache_v + dst, T * KVD);
    } else {
      memcpy((float *)cache_k + dst, k + src, (size_t)(T * KVD) * sizeof(float));
      memcpy((float *)cache_v + dst, v + src, (size_t)(T * KVD) * sizeof(float));
    }
  }
  const sl_attention_shape shape = {B, T, s->past + T, H, KH, D, s->capacity};
  if (s->kv_bf16)
    sl_attention_forward_bf16kv(&shape, q, cache_k, cache_v, key_start, a);
  else
    sl_attention_forward(&shape, q, cache_k, cache_v, key_start, NULL, a, NULL);
  project_add(s, weights[3], rows, C, HD, a, x, o);

  /* MLP: x += down(silu(gate(h)) * up(h)) */
  sl_rmsnorm_forward(x, post_norm, rows, C, s->eps, h, rstd);
  project_shared(s, weights, 4, 2, rows, (const int64_t[]){I, I}, C, h, (float *const[]){gate, up});
  sl_swiglu_forward(gate, up, gate, rows * I);
  project_add(s, weights[6], rows, C, I, gate, x, o);
}

void sl_decode_layer(const sl_decode_shape *s, float *x, const float *input_norm, const float *post_norm,
                     const void *const weights[SL_DECODE_WEIGHTS], void *cache_k, void *cache_v,
                     const int32_t *positions, const int32_t *key_start, const float *inv_freq, float *scratch) {
  const int64_t group = group_rows(s), T = s->time, cache_row = s->capacity * s->kv_heads * s->head_dim;
  const size_t element = s->kv_bf16 ? sizeof(uint16_t) : sizeof(float);
  /* one cos/sin table for every group, q and k (per group and tensor it cost ~2% of a batch-64
   * prefill: 32 groups x 2 tables of 64 positions per layer) */
  sl_rope_table rope;
  sl_rope_prepare(positions, inv_freq, s->batch * T, s->head_dim, &rope);
  for (int64_t b0 = 0; b0 < s->batch; b0 += group) {
    sl_decode_shape part = *s;
    part.batch = s->batch - b0 < group ? s->batch - b0 : group;
    decode_rows(&part, x + b0 * T * s->channels, input_norm, post_norm, weights, (char *)cache_k + (size_t)(b0 * cache_row) * element,
                (char *)cache_v + (size_t)(b0 * cache_row) * element, &rope, b0 * T, key_start ? key_start + b0 : NULL, scratch);
  }
  sl_rope_release(&rope);
}
