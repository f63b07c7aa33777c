/* Row-wise softmax and fused softmax + cross-entropy (loss and dLogits in one pass over the
 * logits; PyTorch's F.cross_entropy semantics with negative targets ignored and optional row
 * weights). Threaded over rows; the returned loss sum is accumulated over rows in order, in
 * double. Not here: label smoothing, z-loss. */
#include <math.h>
#include <string.h>
#include "kernels.h"
#include "parallel.h"
#include "fastmath.h"

static inline float row_max(const float *x, int64_t V) {
  float mx = x[0];
#pragma omp simd reduction(max : mx)
  for (int64_t i = 1; i < V; i++) mx = x[i] > mx ? x[i] : mx;
  return mx;
}

typedef struct {
  const float *x, *weights;
  const int32_t *targets;
  float *out, *losses;
  int64_t vocab;
  float grad_scale;
} softmax_ctx;

static void softmax_range(void *p, int64_t lo, int64_t hi) {
  const softmax_ctx *c = p;
  const int64_t V = c->vocab;
  for (int64_t n = lo; n < hi; n++) {
    const float *xr = c->x + n * V;
    float *yr = c->out + n * V;
    const float mx = row_max(xr, V);
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < V; i++) {
      const float e = sl_expf(xr[i] - mx);
      yr[i] = e;
      sum += e;
    }
    const float inv = 1.0f / sum;
    for (int64_t i = 0; i < V; i++) yr[i] *= inv;
  }
}

void sl_softmax(const float *x, int64_t rows, int64_t vocab, float *out) {
  if (vocab <= 0) return;
  softmax_ctx c = {x, NULL, NULL, out, NULL, vocab, 0};
  sl_parallel_for(rows, sl_rows_grain(vocab, SL_TRANSCENDENTAL_GRAIN), softmax_range, &c);
}

/* out is dLogits here (may be NULL: losses only). */
static void cross_entropy_range(void *p, int64_t lo, int64_t hi) {
  const softmax_ctx *c = p;
  const int64_t V = c->vocab;
  for (int64_t n = lo; n < hi; n++) {
    const float *xr = c->x + n * V;
    float *dr = c->out ? c->out + n * V : NULL;
    const int32_t target = c->targets[n];
    if (target < 0) {
      c->losses[n] = 0.0f;
      if (dr) memset(dr, 0, (size_t)V * sizeof(float));
      continue;
    }
    const float mx = row_max(xr, V), at_target = xr[target]; /* read before dr (which may be xr) is written */
    float sum = 0.0f;
    if (dr) {
#pragma omp simd reduction(+ : sum)
      for (int64_t i = 0; i < V; i++) {
        const float e = sl_expf(xr[i] - mx);
        dr[i] = e;
        sum += e;
      }
    } else {
#pragma omp simd reduction(+ : sum)
      for (int64_t i = 0; i < V; i++) sum += sl_expf(xr[i] - mx);
    }
    c->losses[n] = mx + logf(sum) - at_target;
    if (dr) {
      const float w = c->weights ? c->weights[n] : 1.0f;
      const float factor = c->grad_scale * w / sum;
      for (int64_t i = 0; i < V; i++) dr[i] *= factor;
      dr[target] -= c->grad_scale * w;
    }
  }
}

double sl_cross_entropy(const float *logits, const int32_t *targets, const float *weights,
                        int64_t rows, int64_t vocab, float *losses, float *d_logits,
                        float grad_scale) {
  if (vocab <= 0) return 0.0;
  softmax_ctx c = {logits, weights, targets, d_logits, losses, vocab, grad_scale};
  sl_parallel_for(rows, sl_rows_grain(vocab, SL_TRANSCENDENTAL_GRAIN), cross_entropy_range, &c);
  double total = 0.0;
  for (int64_t n = 0; n < rows; n++) {
    if (targets[n] < 0) continue;
    total += (double)(weights ? weights[n] : 1.0f) * (double)losses[n];
  }
  return total;
}
