/* Float32 decoding weights: y (M,N) = x (M,K) @ W^T with W (N,K) packed once into panels of NR
 * outputs, for the small-M products of KV-cache decoding (M = rows being decoded). OpenBLAS's
 * sgemm re-packs the whole weight on every call, which at M = 16 costs twice the multiply itself
 * (measured: sgemm_incopy 33% of a batch-16 decoding run, the kernel 17%); here the weight is
 * packed once per decoding run and streamed straight into a register-tiled micro-kernel.
 *
 * Numbers: every y[m][n] is one float32 fused multiply-add chain over k = 0..K-1 in order, so a
 * row's result does not depend on M, on the row's position in the batch, on the thread split or
 * on which micro-kernel height ran it (batched decoding = one row at a time, bit for bit). It
 * differs from sgemm only in summation order. Vector width follows the build's -march (AVX-512:
 * 16 floats, AVX/AVX2: 8, else 4) through GCC/clang vector extensions, so an x86-64-v3 build uses
 * no zmm registers. Packed layout: panel p (outputs [NR p, NR p + NR)) at p * NR * K floats from
 * the first 64-byte boundary of the buffer, element [k][n] = W[NR p + n][k], N padded with zeros.
 * Not here: when the model uses it (src/model/llama.ts), training GEMMs (gemm.c). */
#include <stdint.h>
#include <string.h>
#if defined(__AVX__)
#include <immintrin.h>
#endif
#include "kernels.h"
#include "parallel.h"

#if defined(__AVX512F__)
#define VW 16
#define MR 12 /* 24 accumulators of the 32 zmm registers */
#elif defined(__AVX__)
#define VW 8
#define MR 6 /* 12 accumulators of the 16 ymm registers */
#else
#define VW 4
#define MR 6
#endif
#define NR (2 * VW)
#define ALIGN_FLOATS 16 /* 64 bytes of slack so the panels can start on a cache line */
#define MC 96           /* rows of x per block: MC x K floats stay in L2 while the panels stream */

typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));

static inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

static inline float *panels_of(const float *buffer) {
  const uintptr_t p = (uintptr_t)buffer, aligned = (p + 63) & ~(uintptr_t)63;
  return (float *)aligned;
}

int64_t sl_f32_packed_length(int64_t N, int64_t K) { return round_up(N, NR) * K + ALIGN_FLOATS; }

int sl_f32_panel_width(void) { return NR; }

typedef struct {
  const float *w;
  float *out;
  int64_t N, K;
} pack_ctx;

/* k outer, n inner: the panel is written in order while NR rows of W are read side by side. */
static void pack_range(void *p, int64_t lo, int64_t hi) {
  const pack_ctx *c = p;
  const float *rows[NR];
  for (int64_t panel = lo; panel < hi; panel++) {
    float *dst = c->out + panel * NR * c->K;
    const int64_t valid = c->N - panel * NR < NR ? c->N - panel * NR : NR;
    for (int64_t n = 0; n < valid; n++) rows[n] = c->w + (panel * NR + n) * c->K;
    for (int64_t k = 0; k < c->K; k++) {
      float *d = dst + k * NR;
      for (int64_t n = 0; n < valid; n++) d[n] = rows[n][k];
      for (int64_t n = valid; n < NR; n++) d[n] = 0.0f;
    }
  }
}

void sl_f32_pack(const float *W, int64_t N, int64_t K, float *out) {
  float *panels = panels_of(out);
  memset(out, 0, (size_t)(panels - out) * sizeof(float));
  pack_ctx c = {W, panels, N, K};
  sl_parallel_for(round_up(N, NR) / NR, 2, pack_range, &c);
}

/* Loads the first `cols` (< VW) floats at p, zero above: masked, so a B read in place never
 * touches memory past its last column. */
static inline vf load_partial(const float *p, int64_t cols) {
  if (cols <= 0) return (vf){0};
#if defined(__AVX512F__)
  return (vf)_mm512_maskz_loadu_ps((__mmask16)((1u << cols) - 1), p);
#elif defined(__AVX__)
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return (vf)_mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols), lanes));
#else
  vf v = {0};
  memcpy(&v, p, (size_t)cols * sizeof(float));
  return v;
#endif
}

/* rows x NR outputs (rows <= MR, a compile-time constant after inlining) of x times w, w's k-th
 * row of NR floats at w + k * ldw and x[i][k] at x[i * xr + k * xc]. Packed panels pass
 * ldw = NR, xc = 1 and `scaled` 0: y = the sums. The strided form (sl_f32_small_gemm) passes
 * `scaled` 1: y = alpha * sums, plus y's old value when `accumulate`; `partial` (cols < NR) reads
 * w's row through masked loads. With pf non-null, also prefetches the panel at pf (the next one)
 * alongside: a core streams the weights from memory faster with two streams in flight than with
 * one. */
static inline __attribute__((always_inline)) void tile(const int rows, const int prefetch, const int partial,
                                                       const int scaled, int64_t K, const float *x, int64_t xr,
                                                       int64_t xc, const float *w, int64_t ldw, const float *pf,
                                                       float *y, int64_t ldy, int64_t cols, float alpha,
                                                       int accumulate) {
  vf acc[MR][2];
  for (int i = 0; i < rows; i++) acc[i][0] = acc[i][1] = (vf){0};
  for (int64_t k = 0; k < K; k++) {
    if (prefetch) {
      __builtin_prefetch(pf + k * NR);
      if (NR > 16) __builtin_prefetch(pf + k * NR + 16);
    }
    const float *wk = w + k * ldw;
    const vf w0 = partial ? (cols >= VW ? *(const vf *)wk : load_partial(wk, cols)) : *(const vf *)wk;
    const vf w1 = partial ? load_partial(wk + VW, cols - VW) : *(const vf *)(wk + VW);
    for (int i = 0; i < rows; i++) {
      const float s = x[i * xr + k * xc];
      acc[i][0] += s * w0;
      acc[i][1] += s * w1;
    }
  }
  for (int i = 0; i < rows; i++) {
    float tmp[NR] = {0};
    float *out = cols == NR ? y + i * ldy : tmp;
    if (scaled) {
      if (accumulate && cols < NR) memcpy(tmp, y + i * ldy, (size_t)cols * sizeof(float));
      acc[i][0] *= alpha;
      acc[i][1] *= alpha;
      if (accumulate) {
        acc[i][0] += *(const vf *)out;
        acc[i][1] += *(const vf *)(out + VW);
      }
    }
    *(vf *)out = acc[i][0];
    *(vf *)(out + VW) = acc[i][1];
    if (cols < NR) memcpy(y + i * ldy, tmp, (size_t)cols * sizeof(float));
  }
}

/* X(1) .. X(MR): one case per tile height, each a compile-time constant for tile() */
#if MR > 8
#define ROW_CASES(X) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12)
#elif MR > 6
#define ROW_CASES(X) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8)
#else
#define ROW_CASES(X) X(1) X(2) X(3) X(4) X(5) X(6)
#endif

#define TILE_CASE(r)                                                                \
  case r:                                                                           \
    if (pf) tile(r, 1, 0, 0, K, x, K, 1, w, NR, pf, y, N, cols, 1.0f, 0);           \
    else tile(r, 0, 0, 0, K, x, K, 1, w, NR, NULL, y, N, cols, 1.0f, 0);            \
    break;

static void tile_rows(int rows, int64_t K, int64_t N, const float *x, const float *w, const float *pf, float *y,
                      int64_t cols) {
  switch (rows) {
    ROW_CASES(TILE_CASE)
    default: break;
  }
}

typedef struct {
  const float *x, *panels;
  float *y;
  int64_t M, N, K, npanels;
} gemm_ctx;

/* Jobs [lo, hi) over (row block, panel), panel fastest: a block of x stays hot across panels. */
static void gemm_range(void *p, int64_t lo, int64_t hi) {
  const gemm_ctx *c = p;
  for (int64_t job = lo; job < hi; job++) {
    const int64_t block = job / c->npanels, panel = job % c->npanels;
    const int64_t m0 = block * MC, m1 = m0 + MC < c->M ? m0 + MC : c->M;
    const int64_t n0 = panel * NR, cols = c->N - n0 < NR ? c->N - n0 : NR;
    const float *w = c->panels + panel * NR * c->K;
    /* the first pass over a panel brings it in from memory: fetch the next panel with it */
    const float *next = panel + 1 < c->npanels ? w + NR * c->K : NULL; /* 2 or 3 ahead: slower */
    for (int64_t m = m0; m < m1; m += MR) {
      const int rows = m1 - m < MR ? (int)(m1 - m) : MR;
      tile_rows(rows, c->K, c->N, c->x + m * c->K, w, m == m0 ? next : NULL, c->y + m * c->N + n0, cols);
    }
  }
}

void sl_f32_packed_gemm(int64_t M, int64_t N, int64_t K, const float *x, const float *packed, float *y) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) { /* an empty sum */
    memset(y, 0, (size_t)(M * N) * sizeof(float));
    return;
  }
  gemm_ctx c = {x, panels_of(packed), y, M, N, K, round_up(N, NR) / NR};
  const int64_t jobs = (M + MC - 1) / MC * c.npanels;
  /* a hand-off to the pool costs ~1-2 us: give each chunk at least ~64k multiply-adds */
  const int64_t per_job = (M < MC ? M : MC) * NR * K;
  sl_parallel_for(jobs, 65536 / per_job + 1, gemm_range, &c);
}

/* The strided product for attention's blocks: one rows x NR tile of C. */
#define SMALL_CASE(r)                                                                                     \
  case r:                                                                                                 \
    if (cols < NR) tile(r, 0, 1, 1, K, x, a_row, a_col, w, ldb, NULL, y, ldc, cols, alpha, accumulate);   \
    else tile(r, 0, 0, 1, K, x, a_row, a_col, w, ldb, NULL, y, ldc, NR, alpha, accumulate);               \
    break;

static void small_tile(int rows, int64_t K, float alpha, const float *x, int64_t a_row, int64_t a_col, const float *w,
                       int64_t ldb, int accumulate, float *y, int64_t ldc, int64_t cols) {
  switch (rows) {
    ROW_CASES(SMALL_CASE)
    default: break;
  }
}

void sl_f32_small_gemm(int64_t M, int64_t N, int64_t K, float alpha, const float *a, int64_t a_row, int64_t a_col,
                       const float *b, int64_t ldb, int accumulate, float *c, int64_t ldc) {
  for (int64_t n0 = 0; n0 < N; n0 += NR) {
    const int64_t cols = N - n0 < NR ? N - n0 : NR;
    for (int64_t m = 0; m < M; m += MR) {
      const int rows = M - m < MR ? (int)(M - m) : MR;
      small_tile(rows, K, alpha, a + m * a_row, a_row, a_col, b + n0, ldb, accumulate, c + m * ldc + n0, ldc, cols);
    }
  }
}
