/* RMSNorm (Zhang & Sennrich 2019) forward/backward and rotary position embeddings (RoPE, Su et al.
 * 2021) in the Hugging Face rotate_half layout used by Llama checkpoints.
 * Threaded over rows; the RMSNorm weight gradient is threaded over channel slabs so each dWeight
 * element is summed over rows in a fixed order (deterministic). Not here: the learned weights. */
#include <math.h>
#include <stdlib.h>
#include "kernels.h"
#include "parallel.h"

typedef struct {
  const float *x, *weight, *d_out, *rstd_in;
  float *out, *rstd, *dx, *d_weight;
  int64_t rows, channels;
  float eps;
} rmsnorm_ctx;

static void rmsnorm_forward_range(void *p, int64_t lo, int64_t hi) {
  const rmsnorm_ctx *c = p;
  const int64_t C = c->channels;
  const float *weight = c->weight;
  for (int64_t n = lo; n < hi; n++) {
    const float *xr = c->x + n * C;
    float *yr = c->out + n * C;
    float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
    for (int64_t i = 0; i < C; i++) ss += xr[i] * xr[i];
    const float r = 1.0f / sqrtf(ss / (float)C + c->eps);
    c->rstd[n] = r;
    for (int64_t i = 0; i < C; i++) yr[i] = xr[i] * r * weight[i];
  }
}
void sl_rmsnorm_forward(const float *x, const float *weight, int64_t rows, int64_t channels,
                        float eps, float *out, float *rstd) {
  rmsnorm_ctx c = {x, weight, NULL, NULL, out, rstd, NULL, NULL, rows, channels, eps};
  sl_parallel_for(rows, sl_rows_grain(channels, SL_ELEMENTWISE_GRAIN), rmsnorm_forward_range, &c);
}

/* y_c = x_c r w_c with r = (mean(x^2)+eps)^-1/2, so
 * dx_c = r w_c dy_c - x_c r^3 / C * sum_j dy_j w_j x_j  and  dw_c = sum_n dy_c x_c r. */
static void rmsnorm_dx_range(void *p, int64_t lo, int64_t hi) {
  const rmsnorm_ctx *c = p;
  const int64_t C = c->channels;
  const float *weight = c->weight;
  for (int64_t n = lo; n < hi; n++) {
    const float *xr = c->x + n * C, *dyr = c->d_out + n * C;
    float *dxr = c->dx + n * C;
    const float r = c->rstd_in[n];
    float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
    for (int64_t i = 0; i < C; i++) dot += dyr[i] * weight[i] * xr[i];
    const float k = dot * r * r * r / (float)C;
    for (int64_t i = 0; i < C; i++) dxr[i] = r * weight[i] * dyr[i] - xr[i] * k;
  }
}

/* [lo, hi) is a channel range here. */
static void rmsnorm_dweight_range(void *p, int64_t lo, int64_t hi) {
  const rmsnorm_ctx *c = p;
  const int64_t C = c->channels, rows = c->rows;
  const float *x = c->x, *d_out = c->d_out, *rstd = c->rstd_in;
  float *d_weight = c->d_weight;
  for (int64_t n = 0; n < rows; n++) {
    const float *xr = x + n * C, *dyr = d_out + n * C;
    const float r = rstd[n];
    for (int64_t i = lo; i < hi; i++) d_weight[i] += dyr[i] * xr[i] * r;
  }
}

void sl_rmsnorm_backward(const float *d_out, const float *x, const float *weight,
                         const float *rstd, int64_t rows, int64_t channels, float *dx,
                         float *d_weight) {
  rmsnorm_ctx c = {x, weight, d_out, rstd, NULL, NULL, dx, d_weight, rows, channels, 0};
  sl_parallel_for(rows, sl_rows_grain(channels, SL_ELEMENTWISE_GRAIN), rmsnorm_dx_range, &c);
  const int64_t grain = rows * 32 >= SL_ELEMENTWISE_GRAIN ? 32 : channels;
  sl_parallel_for(channels, grain, rmsnorm_dweight_range, &c);
}

/* cos/sin of the float32-rounded angle pos * inv_freq[i], into row[0..half) and row[half..). */
static void fill_angles(double pos, const float *inv_freq, int64_t half, float *row) {
  for (int64_t i = 0; i < half; i++) {
    const double angle = (float)(pos * (double)inv_freq[i]);
    row[i] = (float)cos(angle);
    row[half + i] = (float)sin(angle);
  }
}

typedef struct {
  const sl_rope_table *t;
  const char *needed;
  const float *x;
  float *out;
  int64_t row0, heads;
  int inverse;
} rope_ctx;

static void rope_table_range(void *p, int64_t lo, int64_t hi) {
  const rope_ctx *c = p;
  const sl_rope_table *t = c->t;
  for (int64_t e = lo; e < hi; e++) {
    if (t->by_position && !c->needed[e]) continue;
    const double pos = t->by_position ? (double)e : (double)t->positions[e];
    fill_angles(pos, t->inv_freq, t->half, t->table + e * t->half * 2);
  }
}

static void rope_rotate_range(void *p, int64_t lo, int64_t hi) {
  const rope_ctx *c = p;
  const sl_rope_table *t = c->t;
  const int64_t half = t->half, D = 2 * half, heads = c->heads;
  const float *x = c->x, *table = t->table;
  const int32_t *positions = t->positions + c->row0;
  float *out = c->out;
  const float sign = c->inverse ? -1.0f : 1.0f;
  const int by_position = t->by_position;
  for (int64_t bt = lo; bt < hi; bt++) {
    const float *row = table + (by_position ? (int64_t)positions[bt] : c->row0 + bt) * half * 2;
    const float *cos_row = row, *sin_row = row + half;
    for (int64_t h = 0; h < heads; h++) {
      const float *src = x + (bt * heads + h) * D;
      float *dst = out + (bt * heads + h) * D;
      /* reads both halves before writing, so out may alias x */
      for (int64_t i = 0; i < half; i++) {
        const float a = src[i], b = src[i + half], co = cos_row[i];
        const float s = sign * sin_row[i];
        dst[i] = a * co - b * s;
        dst[i + half] = b * co + a * s;
      }
    }
  }
}

/* Table-free path (allocation failure only): recomputes each angle where it is used. */
static void rope_direct(const float *x, const int32_t *positions, const float *inv_freq,
                        int64_t batch_time, int64_t heads, int64_t head_dim, int inverse,
                        float *out) {
  const int64_t half = head_dim / 2;
  for (int64_t bt = 0; bt < batch_time; bt++) {
    for (int64_t i = 0; i < half; i++) {
      const double angle = (float)((double)positions[bt] * (double)inv_freq[i]);
      const float co = (float)cos(angle), s = inverse ? -(float)sin(angle) : (float)sin(angle);
      for (int64_t h = 0; h < heads; h++) {
        const int64_t offset = (bt * heads + h) * head_dim;
        const float a = x[offset + i], b = x[offset + i + half];
        out[offset + i] = a * co - b * s;
        out[offset + i + half] = b * co + a * s;
      }
    }
  }
}

void sl_rope_prepare(const int32_t *positions, const float *inv_freq, int64_t batch_time, int64_t head_dim, sl_rope_table *t) {
  *t = (sl_rope_table){positions, inv_freq, NULL, head_dim / 2, 0};
  const int64_t half = t->half;
  if (batch_time <= 0 || half <= 0) return;
  /* The angle is rounded to float32 like Hugging Face's float32 `position * inv_freq` (so
   * PyTorch fixtures match), then cos/sin are taken in double, once per distinct position:
   * training batches repeat 0..T-1 in every row, so a table indexed by position cuts the
   * sin/cos work by the batch size, and decoding steps (one token per row, rows mostly at the
   * same position) compute each distinct position once. Rows with negative or very large
   * positions get their own table entry instead. */
  int32_t max_pos = 0, min_pos = 0;
  for (int64_t i = 0; i < batch_time; i++) {
    if (positions[i] > max_pos) max_pos = positions[i];
    if (positions[i] < min_pos) min_pos = positions[i];
  }
  t->by_position = min_pos >= 0 && (int64_t)max_pos + 1 <= batch_time + 8192;
  const int64_t entries = t->by_position ? (int64_t)max_pos + 1 : batch_time;
  float *table = malloc((size_t)(entries * half * 2) * sizeof(float));
  char *needed = t->by_position ? calloc((size_t)entries, 1) : NULL;
  if (!table || (t->by_position && !needed)) {
    free(table);
    free(needed);
    return;
  }
  t->table = table;
  if (t->by_position)
    for (int64_t i = 0; i < batch_time; i++) needed[positions[i]] = 1;
  rope_ctx c = {t, needed, NULL, NULL, 0, 0, 0};
  sl_parallel_for(entries, sl_rows_grain(half * 8, SL_TRANSCENDENTAL_GRAIN), rope_table_range, &c);
  free(needed);
}

void sl_rope_apply(const sl_rope_table *t, const float *x, int64_t row0, int64_t rows, int64_t heads, int inverse, float *out) {
  if (rows <= 0 || t->half <= 0) return;
  if (!t->table) {
    rope_direct(x, t->positions + row0, t->inv_freq, rows, heads, 2 * t->half, inverse, out);
    return;
  }
  rope_ctx c = {t, NULL, x, out, row0, heads, inverse};
  sl_parallel_for(rows, sl_rows_grain(heads * 2 * t->half, SL_ELEMENTWISE_GRAIN), rope_rotate_range, &c);
}

void sl_rope_release(sl_rope_table *t) {
  free(t->table);
  t->table = NULL;
}

void sl_rope(const float *x, const int32_t *positions, const float *inv_freq, int64_t batch_time,
             int64_t heads, int64_t head_dim, int inverse, float *out) {
  sl_rope_table t;
  sl_rope_prepare(positions, inv_freq, batch_time, head_dim, &t);
  sl_rope_apply(&t, x, 0, batch_time, heads, inverse, out);
  sl_rope_release(&t);
}
