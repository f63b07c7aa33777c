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

/* rows x NR outputs (rows <= MR, a compile-time constant after inlining) from one panel. With
 * pf non-null, also prefetches the panel at pf (the next one) alongside: a core streams the
 * weights from memory faster with two streams in flight than with one. */
static inline __attribute__((always_inline)) void tile(const int rows, const int prefetch, int64_t K, const float *x,
                                                       int64_t ldx, const float *w, const float *pf, float *y,
                                                       int64_t ldy, int64_t cols) {
  vf acc[MR][2];
  for (int i = 0; i < rows; i++) acc[i][0] = acc[i][1] = (vf){0};
  for (int64_t k = 0; k < K; k++) {
    if (prefetch) {
      __builtin_prefetch(pf + k * NR);
      if (NR > 16) __builtin_prefetch(pf + k * NR + 16);
    }
    const vf w0 = *(const vf *)(w + k * NR), w1 = *(const vf *)(w + k * NR + VW);
    for (int i = 0; i < rows; i++) {
      const float s = x[i * ldx + k];
      acc[i][0] += s * w0;
      acc[i][1] += s * w1;
    }
  }
  if (cols == NR) {
    for (int i = 0; i < rows; i++) {
      *(vf *)(y + i * ldy) = acc[i][0];
      *(vf *)(y + i * ldy + VW) = acc[i][1];
    }
  } else {
    float tmp[NR];
    for (int i = 0; i < rows; i++) {
      *(vf *)tmp = acc[i][0];
      *(vf *)(tmp + VW) = acc[i][1];
      memcpy(y + i * ldy, tmp, (size_t)cols * sizeof(float));
    }
  }
}

#define TILE_CASE(r)                                    \
  case r:                                               \
    if (pf) tile(r, 1, K, x, K, w, pf, y, N, cols);     \
    else tile(r, 0, K, x, K, w, NULL, y, N, cols);      \
    break;

static void tile_rows(int rows, int64_t K, int64_t N, const float *x, const float *w, const float *pf, float *y,
                      int64_t cols) {
  switch (rows) {
    TILE_CASE(1) TILE_CASE(2) TILE_CASE(3) TILE_CASE(4) TILE_CASE(5) TILE_CASE(6)
#if MR > 6
    TILE_CASE(7) TILE_CASE(8)
#endif
#if MR > 8
    TILE_CASE(9) TILE_CASE(10) TILE_CASE(11) TILE_CASE(12)
#endif
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
