/* Batched GEMM through cblas_sgemm (OpenBLAS on Linux, Accelerate on macOS), using the BLAS
 * transpose flags instead of materialising transposes. Threading: big products are split over
 * the batch, else into one slab of C per thread, and each piece runs a single-threaded sgemm on
 * the kernels' own pool (parallel.h), so OpenBLAS's pthread pool never competes with it for the
 * cores. Not here: strided/non-dense batches. */
#include <string.h>
#include "blas.h"
#include "kernels.h"
#include "parallel.h"

/* Products below this many multiply-adds run on one thread: splitting a 64x64x64 GEMM costs
 * more in fork/join and duplicated packing than it saves. */
#define SL_GEMM_SPLIT_MIN_MACS (1LL << 18)

/* One product on rows [m0,m1) and columns [n0,n1) of C. Strides follow the dense layout:
 * A is (M,K) or (K,M) when trans_a; B is (K,N) or (N,K) when trans_b; C is (M,N).
 * A single row or column of C goes through sgemv: sgemm would pack the whole other operand
 * first, which triples the memory traffic of a decoding step's matrix-vector products. */
static void gemm_block(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                       const float *A, const float *B, float *C, float beta,
                       int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int64_t rows = m1 - m0, cols = n1 - n0;
  if (rows <= 0 || cols <= 0) return;
  float *c = C + m0 * N + n0;
  if (rows == 1 || cols == 1) {
    /* y = op(matrix) x with beta = 0 meaning "overwrite": clear y so stale NaNs cannot leak */
    const int64_t len = rows == 1 ? cols : rows, incy = rows == 1 ? 1 : N;
    if (beta == 0.0f)
      for (int64_t i = 0; i < len; i++) c[i * incy] = 0.0f;
    if (rows == 1) {
      const float *x = trans_a ? A + m0 : A + m0 * K; /* row m0 of op(A) */
      const int64_t incx = trans_a ? M : 1;
      if (trans_b)
        sl_sgemv(0, cols, K, B + n0 * K, K, x, incx, beta, c, 1);
      else
        sl_sgemv(1, K, cols, B + n0, N, x, incx, beta, c, 1);
    } else {
      const float *x = trans_b ? B + n0 * K : B + n0; /* column n0 of op(B) */
      const int64_t incx = trans_b ? 1 : N;
      if (trans_a)
        sl_sgemv(1, K, rows, A + m0, M, x, incx, beta, c, N);
      else
        sl_sgemv(0, rows, K, A + m0 * K, K, x, incx, beta, c, N);
    }
    return;
  }
  const float *a = trans_a ? A + m0 : A + m0 * K;
  const float *b = trans_b ? B + n0 * K : B + n0;
  sl_sgemm(trans_a, trans_b, rows, cols, K, 1.0f, a, trans_a ? M : K, b, trans_b ? K : N, beta, c, N);
}

typedef struct {
  int trans_a, trans_b, split_rows;
  int64_t M, N, K, a_stride, b_stride, c_stride, slabs;
  const float *A, *B;
  float *C;
  float beta;
} gemm_ctx;

/* [lo, hi) ranges over whole batch entries. */
static void gemm_batch_range(void *p, int64_t lo, int64_t hi) {
  const gemm_ctx *g = p;
  for (int64_t i = lo; i < hi; i++)
    gemm_block(g->trans_a, g->trans_b, g->M, g->N, g->K, g->A + i * g->a_stride,
               g->B + i * g->b_stride, g->C + i * g->c_stride, g->beta, 0, g->M, 0, g->N);
}

/* [lo, hi) ranges over (batch entry, slab) pairs; a slab is a band of rows or columns of C whose
 * edges sit on 16-element boundaries, so every slab but the last uses full-width micro-kernels. */
static void gemm_slab_range(void *p, int64_t lo, int64_t hi) {
  const gemm_ctx *g = p;
  const int64_t extent = g->split_rows ? g->M : g->N;
  for (int64_t job = lo; job < hi; job++) {
    const int64_t i = job / g->slabs, part = job % g->slabs;
    int64_t begin = (extent * part / g->slabs + 15) / 16 * 16;
    int64_t end = part == g->slabs - 1 ? extent : (extent * (part + 1) / g->slabs + 15) / 16 * 16;
    if (begin > extent) begin = extent;
    if (end > extent) end = extent;
    const float *a = g->A + i * g->a_stride, *b = g->B + i * g->b_stride;
    float *c = g->C + i * g->c_stride;
    if (g->split_rows)
      gemm_block(g->trans_a, g->trans_b, g->M, g->N, g->K, a, b, c, g->beta, begin, end, 0, g->N);
    else
      gemm_block(g->trans_a, g->trans_b, g->M, g->N, g->K, a, b, c, g->beta, 0, g->M, begin, end);
  }
}

void sl_gemm(int trans_a, int trans_b, int64_t batch, int64_t M, int64_t N, int64_t K,
             const float *A, const float *B, float *C, int accumulate, int broadcast_b) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  if (K <= 0) {
    /* An empty sum: C = 0 (or unchanged when accumulating). BLAS rejects lda = 0. */
    if (!accumulate) memset(C, 0, (size_t)(batch * M * N) * sizeof(float));
    return;
  }
  const int threads = sl_get_threads();
  gemm_ctx g = {trans_a, trans_b, M >= N, M, N, K, M * K, broadcast_b ? 0 : K * N, M * N, threads,
                A, B, C, accumulate ? 1.0f : 0.0f};
  const long long macs = (long long)batch * M * N * K;
  if (threads <= 1 || macs < SL_GEMM_SPLIT_MIN_MACS) {
    gemm_batch_range(&g, 0, batch);
  } else if (batch >= 2 * threads) {
    sl_parallel_for(batch, 1, gemm_batch_range, &g);
  } else {
    /* Few large products: one slab per thread of each, so a batch of 1 still uses every core. */
    sl_parallel_for(batch * threads, 1, gemm_slab_range, &g);
  }
}
