/* Float32 training GEMMs on our own register-tiled micro-kernel: C (M,N) = op(A) op(B) (+ C),
 * batch 1, for the tall-skinny products of a training step (5,120 packed token rows x a hidden
 * size of 128-384: forwards NT, input gradients NN, weight gradients TN with K = the token rows).
 * OpenBLAS (SkylakeX sgemm) reaches 210-320 GFLOPS on these shapes on a 2-vCPU Xeon; the same
 * idea as the decoding kernel (f32-packed.c: op(B) packed into panels of NR outputs, 12 x 32 tile
 * of zmm accumulators) runs them at ~360-400. sl_gemm calls this for large enough products.
 *
 * Numbers: every C[m][n] is one float32 fused multiply-add chain over k = 0..K-1 in order,
 * starting from 0 (or from C when accumulating), so results do not depend on the thread count or
 * split; they differ from sgemm only in summation order. K is walked in blocks of KC (the chain
 * is carried through C between blocks, exactly: a stored float32 reloads as itself).
 * Not here: batched products, decoding (f32-packed.c), bf16 (bf16.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"
#include "parallel.h"

#if defined(__AVX512F__)
#define VW 16
#define MR 12
#elif defined(__AVX__)
#define VW 8
#define MR 6
#else
#define VW 4
#define MR 6
#endif
#define NR (2 * VW)
#define MC 96  /* rows of op(A) per job */
#define KC 512 /* k per block: an MC x KC slab of A and a KC x NR panel slice stay in L2 */

typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));

static inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/* Scratch for the packed op(B): reused across calls (no page faults per product). One caller at
 * a time (the JS thread); a nested or concurrent call gets its own allocation. */
static float *scratch;
static int64_t scratch_len;
static volatile int scratch_busy;

typedef struct {
  int trans_a, trans_b, accumulate;
  int64_t M, N, K, npanels;
  const float *A, *B;
  float *C, *panels;
} train_ctx;

/* panel p, element [k][n] = op(B)[k][NR p + n], zero past N */
static void pack_range(void *p, int64_t lo, int64_t hi) {
  const train_ctx *c = p;
  const int64_t N = c->N, K = c->K;
  for (int64_t panel = lo; panel < hi; panel++) {
    float *dst = c->panels + panel * NR * K;
    const int64_t n0 = panel * NR, valid = N - n0 < NR ? N - n0 : NR;
    if (c->trans_b) { /* B is (N,K) */
      for (int64_t k = 0; k < K; k++) {
        float *d = dst + k * NR;
        for (int64_t n = 0; n < valid; n++) d[n] = c->B[(n0 + n) * K + k];
        for (int64_t n = valid; n < NR; n++) d[n] = 0.0f;
      }
    } else { /* B is (K,N) */
      for (int64_t k = 0; k < K; k++) {
        float *d = dst + k * NR;
        memcpy(d, c->B + k * N + n0, (size_t)valid * sizeof(float));
        for (int64_t n = valid; n < NR; n++) d[n] = 0.0f;
      }
    }
  }
}

/* rows x NR outputs over k in [k0, k1): x(i, k) = ta ? A[k M + m + i] : A[(m + i) K + k].
 * load: start from C (a later K block, or accumulate), else from 0. */
static inline __attribute__((always_inline)) void tile(const int rows, const int ta, const int load, const train_ctx *c,
                                                       int64_t m, int64_t k0, int64_t k1, const float *w, float *y,
                                                       int64_t cols) {
  vf acc[MR][2];
  const int64_t N = c->N;
  if (load) {
    if (cols == NR) {
      for (int i = 0; i < rows; i++) {
        acc[i][0] = *(const vf *)(y + i * N);
        acc[i][1] = *(const vf *)(y + i * N + VW);
      }
    } else {
      float tmp[NR];
      for (int i = 0; i < rows; i++) {
        memset(tmp, 0, sizeof tmp);
        memcpy(tmp, y + i * N, (size_t)cols * sizeof(float));
        acc[i][0] = *(const vf *)tmp;
        acc[i][1] = *(const vf *)(tmp + VW);
      }
    }
  } else {
    for (int i = 0; i < rows; i++) acc[i][0] = acc[i][1] = (vf){0};
  }
  const float *a = ta ? c->A + m : c->A + m * c->K;
  for (int64_t k = k0; k < k1; k++) {
    const vf w0 = *(const vf *)(w + k * NR), w1 = *(const vf *)(w + k * NR + VW);
    for (int i = 0; i < rows; i++) {
      const float s = ta ? a[k * c->M + i] : a[i * c->K + k];
      acc[i][0] += s * w0;
      acc[i][1] += s * w1;
    }
  }
  if (cols == NR) {
    for (int i = 0; i < rows; i++) {
      *(vf *)(y + i * N) = acc[i][0];
      *(vf *)(y + i * N + VW) = acc[i][1];
    }
  } else {
    float tmp[NR];
    for (int i = 0; i < rows; i++) {
      *(vf *)tmp = acc[i][0];
      *(vf *)(tmp + VW) = acc[i][1];
      memcpy(y + i * N, tmp, (size_t)cols * sizeof(float));
    }
  }
}

#define TILE_CASE(r)                                           \
  case r:                                                      \
    if (ta) {                                                  \
      if (load) tile(r, 1, 1, c, m, k0, k1, w, y, cols);       \
      else tile(r, 1, 0, c, m, k0, k1, w, y, cols);            \
    } else {                                                   \
      if (load) tile(r, 0, 1, c, m, k0, k1, w, y, cols);       \
      else tile(r, 0, 0, c, m, k0, k1, w, y, cols);            \
    }                                                          \
    break;

static void tile_rows(int rows, int ta, int load, const train_ctx *c, int64_t m, int64_t k0, int64_t k1,
                      const float *w, float *y, int64_t cols) {
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

/* Jobs [lo, hi) over (row block, panel), panel fastest: a block of A stays hot across panels. */
static void gemm_range(void *p, int64_t lo, int64_t hi) {
  const train_ctx *c = p;
  for (int64_t job = lo; job < hi; job++) {
    const int64_t block = job / c->npanels, panel = job % c->npanels;
    const int64_t m0 = block * MC, m1 = m0 + MC < c->M ? m0 + MC : c->M;
    const int64_t n0 = panel * NR, cols = c->N - n0 < NR ? c->N - n0 : NR;
    const float *w = c->panels + panel * NR * c->K;
    for (int64_t k0 = 0; k0 < c->K; k0 += KC) {
      const int64_t k1 = k0 + KC < c->K ? k0 + KC : c->K;
      const int load = k0 > 0 || c->accumulate;
      for (int64_t m = m0; m < m1; m += MR) {
        const int rows = m1 - m < MR ? (int)(m1 - m) : MR;
        tile_rows(rows, c->trans_a, load, c, m, k0, k1, w, c->C + m * c->N + n0, cols);
      }
    }
  }
}

int sl_f32_train_gemm(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, const float *A, const float *B,
                      float *C, int accumulate) {
  if (M <= 0 || N <= 0 || K <= 0) return 0;
  train_ctx c = {trans_a, trans_b, accumulate, M, N, K, round_up(N, NR) / NR, A, B, C, NULL};
  const int64_t need = c.npanels * NR * K + 16;
  float *buffer = NULL;
  int own = 0;
  if (!__sync_lock_test_and_set(&scratch_busy, 1)) {
    if (scratch_len < need) {
      free(scratch);
      scratch = NULL;
      scratch_len = 0;
      if (posix_memalign((void **)&scratch, 64, (size_t)need * sizeof(float)) != 0) {
        scratch = NULL;
        __sync_lock_release(&scratch_busy);
        return 0;
      }
      scratch_len = need;
    }
    buffer = scratch;
  } else {
    if (posix_memalign((void **)&buffer, 64, (size_t)need * sizeof(float)) != 0) return 0;
    own = 1;
  }
  c.panels = buffer;
  sl_parallel_for(c.npanels, 1, pack_range, &c);
  const int64_t jobs = (M + MC - 1) / MC * c.npanels;
  const int64_t per_job = (M < MC ? M : MC) * NR * K;
  sl_parallel_for(jobs, 65536 / per_job + 1, gemm_range, &c);
  if (own) free(buffer);
  else __sync_lock_release(&scratch_busy);
  return 1;
}
