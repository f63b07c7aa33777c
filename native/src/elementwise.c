/* Element-wise kernels: add, scale, mul, sum of squares, SwiGLU and the AdamW update, threaded
 * over contiguous chunks (parallel.h). The sum of squares uses a fixed chunk count (not the
 * thread count), so it is bit-identical for any thread setting.
 * Not here: broadcasting (the tensor layer expands shapes before calling in). */
#include <math.h>
#include "kernels.h"
#include "parallel.h"
#include "fastmath.h"

typedef struct {
  const float *a, *b;
  float *out;
  float scale;
} binary_ctx;

/* Range functions copy the context's pointers into locals first: through `c` the compiler
 * must assume every store may change them, which blocks vectorisation. */
static void add_range(void *p, int64_t lo, int64_t hi) {
  const binary_ctx *c = p;
  const float *a = c->a, *b = c->b;
  float *out = c->out;
  for (int64_t i = lo; i < hi; i++) out[i] = a[i] + b[i];
}
void sl_add(const float *a, const float *b, float *out, int64_t n) {
  binary_ctx c = {a, b, out, 0};
  sl_parallel_for(n, SL_ELEMENTWISE_GRAIN, add_range, &c);
}

/* out is the target, a the source */
static void add_into_range(void *p, int64_t lo, int64_t hi) {
  const binary_ctx *c = p;
  const float s = c->scale, *a = c->a;
  float *out = c->out;
  if (s == 1.0f)
    for (int64_t i = lo; i < hi; i++) out[i] += a[i];
  else
    for (int64_t i = lo; i < hi; i++) out[i] += s * a[i];
}
void sl_add_into(float *target, const float *source, float scale, int64_t n) {
  binary_ctx c = {source, NULL, target, scale};
  sl_parallel_for(n, SL_ELEMENTWISE_GRAIN, add_into_range, &c);
}

static void mul_range(void *p, int64_t lo, int64_t hi) {
  const binary_ctx *c = p;
  const float *a = c->a, *b = c->b;
  float *out = c->out;
  for (int64_t i = lo; i < hi; i++) out[i] = a[i] * b[i];
}
void sl_mul(const float *a, const float *b, float *out, int64_t n) {
  binary_ctx c = {a, b, out, 0};
  sl_parallel_for(n, SL_ELEMENTWISE_GRAIN, mul_range, &c);
}

static void scale_range(void *p, int64_t lo, int64_t hi) {
  const binary_ctx *c = p;
  const float s = c->scale, *a = c->a;
  float *out = c->out;
  for (int64_t i = lo; i < hi; i++) out[i] = s * a[i];
}
void sl_scale(const float *a, float factor, float *out, int64_t n) {
  binary_ctx c = {a, NULL, out, factor};
  sl_parallel_for(n, SL_ELEMENTWISE_GRAIN, scale_range, &c);
}

/* Per row, the index of its largest value, the first on ties; NaN never wins (a NaN first value
 * is kept), exactly as the js backend's argmaxAt (`if (x[i] > best value) best = i`). */
typedef struct {
  const float *x;
  int64_t width;
  int32_t *out;
} argmax_ctx;

/* The scalar rule: a running maximum from row[0] that only a strictly larger value replaces. */
static int64_t argmax_scalar(const float *row, int64_t width) {
  int64_t best = 0;
  float value = row[0];
  for (int64_t i = 1; i < width; i++)
    if (row[i] > value) {
      value = row[i];
      best = i;
    }
  return best;
}

#ifdef __AVX512F__
#include <immintrin.h>
/* The same index 16 lanes at a time: each lane keeps the first index of its largest value
 * (strictly larger replaces, so NaN never does), then the lanes' largest value, lowest index on
 * ties. That is the scalar rule's answer whenever row[0] is not NaN and some value is above
 * -inf; the other rows (rare: a NaN first value, or nothing above -inf) take the scalar loop. */
static int64_t argmax_avx512(const float *row, int64_t width) {
  __m512 best = _mm512_set1_ps(-INFINITY);
  __m512i at = _mm512_setzero_si512(), index = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i step = _mm512_set1_epi32(16);
  int64_t i = 0;
  for (; i + 16 <= width; i += 16) {
    const __m512 x = _mm512_loadu_ps(row + i);
    const __mmask16 up = _mm512_cmp_ps_mask(x, best, _CMP_GT_OQ);
    best = _mm512_mask_mov_ps(best, up, x);
    at = _mm512_mask_mov_epi32(at, up, index);
    index = _mm512_add_epi32(index, step);
  }
  if (i < width) {
    const __mmask16 tail = (__mmask16)((1u << (width - i)) - 1);
    const __m512 x = _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tail, row + i);
    const __mmask16 up = _mm512_mask_cmp_ps_mask(tail, x, best, _CMP_GT_OQ);
    best = _mm512_mask_mov_ps(best, up, x);
    at = _mm512_mask_mov_epi32(at, up, index);
  }
  const float top = _mm512_reduce_max_ps(best);
  if (row[0] != row[0] || top == -INFINITY) return argmax_scalar(row, width);
  /* lowest index among the lanes holding the top value */
  const __mmask16 hit = _mm512_cmp_ps_mask(best, _mm512_set1_ps(top), _CMP_EQ_OQ);
  return _mm512_mask_reduce_min_epi32(hit, at);
}
#endif

static void argmax_range(void *p, int64_t lo, int64_t hi) {
  const argmax_ctx *c = p;
  for (int64_t r = lo; r < hi; r++) {
    const float *row = c->x + r * c->width;
#ifdef __AVX512F__
    c->out[r] = (int32_t)argmax_avx512(row, c->width);
#else
    c->out[r] = (int32_t)argmax_scalar(row, c->width);
#endif
  }
}
void sl_argmax_rows(const float *x, int64_t rows, int64_t width, int32_t *out) {
  if (width <= 0) return;
  argmax_ctx c = {x, width, out};
  sl_parallel_for(rows, sl_rows_grain(width, SL_ELEMENTWISE_GRAIN), argmax_range, &c);
}

/* Fixed 16 chunks, each summed in double, partials added in order: deterministic and accurate. */
#define SL_SUM_CHUNKS 16
typedef struct {
  const float *a;
  int64_t n;
  double partial[SL_SUM_CHUNKS];
} sum_ctx;

static void sum_squares_range(void *p, int64_t lo, int64_t hi) {
  sum_ctx *c = p;
  const float *a = c->a;
  for (int64_t k = lo; k < hi; k++) {
    const int64_t begin = c->n * k / SL_SUM_CHUNKS, end = c->n * (k + 1) / SL_SUM_CHUNKS;
    double acc = 0.0;
#pragma omp simd reduction(+ : acc)
    for (int64_t i = begin; i < end; i++) acc += (double)a[i] * (double)a[i];
    c->partial[k] = acc;
  }
}
double sl_sum_squares(const float *a, int64_t n) {
  sum_ctx c = {a, n, {0}};
  sl_parallel_for(SL_SUM_CHUNKS, n >= 4 * SL_ELEMENTWISE_GRAIN ? 1 : SL_SUM_CHUNKS, sum_squares_range, &c);
  double total = 0.0;
  for (int k = 0; k < SL_SUM_CHUNKS; k++) total += c.partial[k];
  return total;
}

typedef struct {
  const float *d_out, *gate, *up;
  float *out, *d_gate, *d_up;
} swiglu_ctx;

/* The exponentials go through a small buffer first: written as one expression, GCC if-converts
 * sl_expf's clamps and evaluates the division for the clamped input on every element too, and
 * g / (1 + e^88) is a denormal for every |g| < 2, which costs a microcode assist per vector on
 * Intel cores (measured 7-9 ns per element instead of < 1 on a Xeon with AVX-512). Same results. */
#define SWIGLU_BLOCK 256

/* silu(g) = g * sigmoid(g), in float with the vectorisable sl_expf; 512-bit vectors where the
 * build has them (GCC's default for AVX-512 targets is 256: 64 x 1536 elements 43.5 -> 33.6 us). */
#ifdef __AVX512F__
__attribute__((target("prefer-vector-width=512")))
#endif
static void swiglu_forward_range(void *p, int64_t lo, int64_t hi) {
  const swiglu_ctx *c = p;
  const float *gate = c->gate, *up = c->up;
  float *out = c->out;
  float e[SWIGLU_BLOCK];
  for (int64_t i0 = lo; i0 < hi; i0 += SWIGLU_BLOCK) {
    const int64_t n = hi - i0 < SWIGLU_BLOCK ? hi - i0 : SWIGLU_BLOCK;
    for (int64_t j = 0; j < n; j++) e[j] = sl_expf(-gate[i0 + j]);
    for (int64_t j = 0; j < n; j++) out[i0 + j] = gate[i0 + j] / (1.0f + e[j]) * up[i0 + j];
  }
}
void sl_swiglu_forward(const float *gate, const float *up, float *out, int64_t n) {
  swiglu_ctx c = {NULL, gate, up, out, NULL, NULL};
  sl_parallel_for(n, SL_TRANSCENDENTAL_GRAIN, swiglu_forward_range, &c);
}

/* d/dg silu(g) = sig * (1 + g * (1 - sig)). */
static void swiglu_backward_range(void *p, int64_t lo, int64_t hi) {
  const swiglu_ctx *c = p;
  const float *d_out = c->d_out, *gate = c->gate, *up = c->up;
  float *d_gate = c->d_gate, *d_up = c->d_up;
  float e[SWIGLU_BLOCK];
  for (int64_t i0 = lo; i0 < hi; i0 += SWIGLU_BLOCK) {
    const int64_t n = hi - i0 < SWIGLU_BLOCK ? hi - i0 : SWIGLU_BLOCK;
    for (int64_t j = 0; j < n; j++) e[j] = sl_expf(-gate[i0 + j]);
    for (int64_t j = 0; j < n; j++) {
      const int64_t i = i0 + j;
      const float g = gate[i], d = d_out[i];
      const float sig = 1.0f / (1.0f + e[j]);
      const float silu = g * sig;
      d_up[i] = d * silu;
      d_gate[i] = d * up[i] * (sig + silu * (1.0f - sig));
    }
  }
}
void sl_swiglu_backward(const float *d_out, const float *gate, const float *up, float *d_gate,
                        float *d_up, int64_t n) {
  swiglu_ctx c = {d_out, gate, up, NULL, d_gate, d_up};
  sl_parallel_for(n, SL_TRANSCENDENTAL_GRAIN, swiglu_backward_range, &c);
}

typedef struct {
  float *param, *m, *v;
  const float *grad;
  float b1, b2, one_minus_b1, one_minus_b2, inv_bc1, inv_sqrt_bc2, lr, decay, eps;
} adamw_ctx;

static void adamw_range(void *p, int64_t lo, int64_t hi) {
  const adamw_ctx *c = p;
  float *param = c->param, *m = c->m, *v = c->v;
  const float *grad = c->grad;
  const float b1 = c->b1, b2 = c->b2, omb1 = c->one_minus_b1, omb2 = c->one_minus_b2;
  const float inv_bc1 = c->inv_bc1, inv_sqrt_bc2 = c->inv_sqrt_bc2, eps = c->eps;
  const float lr = c->lr, decay = c->decay;
  for (int64_t i = lo; i < hi; i++) {
    const float g = grad[i];
    const float mi = b1 * m[i] + omb1 * g;
    const float vi = b2 * v[i] + omb2 * g * g;
    m[i] = mi;
    v[i] = vi;
    const float w = param[i];
    const float update = (mi * inv_bc1) / (sqrtf(vi) * inv_sqrt_bc2 + eps);
    param[i] = w - lr * update - decay * w;
  }
}

/* AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization"), PyTorch's
 * formulation: p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p), with the weight-decay term using
 * the pre-update parameter. Scalars are folded in double, the per-element math runs in float. */
void sl_adamw(float *param, const float *grad, float *m, float *v, int64_t n, double lr,
              double beta1, double beta2, double eps, double weight_decay, double step) {
  adamw_ctx c = {param, m, v, grad, (float)beta1, (float)beta2, (float)(1.0 - beta1),
                 (float)(1.0 - beta2), (float)(1.0 / (1.0 - pow(beta1, step))),
                 (float)(1.0 / sqrt(1.0 - pow(beta2, step))), (float)lr,
                 (float)(lr * weight_decay), (float)eps};
  sl_parallel_for(n, SL_ELEMENTWISE_GRAIN, adamw_range, &c);
}
