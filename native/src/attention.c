/* Fused causal scaled-dot-product attention (Vaswani et al. 2017) with grouped-query heads
 * (Ainslie et al. 2023), left-padding key masks, per-query segment starts (packed rows: each
 * conversation attends only to itself) and KV-cache row strides, forward and backward.
 * Work is split over (batch, kv-head) tasks: a task owns every query head of its group, so dK/dV
 * are summed in a fixed order without atomics (deterministic for any thread count).
 * Prefill/training shapes run in blocks of query rows (a block never spans two packed
 * conversations) that only touch the keys the block can see; the probabilities training keeps
 * are stored per block, only over those keys. On AVX-512 builds with head dims a multiple of 16
 * up to 128 the blocks run in registers (attention_blocks_range, attention_backward_blocks_range);
 * elsewhere through single-threaded BLAS calls that read q/k/v in place via leading dimensions.
 * Short queries (decoding) use a direct loop over each batch row instead.
 * Not here: dropout, ALiBi, sliding windows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "blas.h"
#include "fastmath.h"
#include "kernels.h"
#include "parallel.h"

/* Multiply-adds per task below which one thread is faster than a hand-off to the pool. */
#define SL_ATTENTION_GRAIN 65536
/* Query rows per block: smaller blocks skip more of the causally masked upper triangle, larger
 * ones amortise the per-call BLAS overhead; 32 measured best for T = 64..128. */
#define SL_ROW_BLOCK 32
/* Below this many query rows the direct loop beats BLAS (decode steps). */
#define SL_BLAS_MIN_ROWS 4
/* Keys ahead that the decoding loop prefetches (see attend_query; 8: batch-64 decoding
 * attention -10%, 24: no gain). */
#define PREFETCH_KEYS 8
/* Output sums the bf16 decoding loop keeps in registers (24 of the 32 zmm: 6 heads of D = 64). */
#define PV_REGS 24
/* The bf16 decoding loop's prefetches (a decoding step's caches stream from memory: with every
 * layer's weights they are larger than L3): into L2 the 16 keys PREFETCH_KEYS_BF16 ahead of the 16
 * being scored (in one of the last score passes, the first 16 values instead), into L1 the next
 * pass's 16 keys, and into L2 the next batch row's first PREFETCH_NEXT_ROWS keys and values while
 * this row's values are summed (the first pass of a row already looks 32 ahead). Each is spread
 * over the loop that runs meanwhile (at the measured shape about one line per load of the loop),
 * not issued in one burst: a burst of hundreds of prefetches fills the core's miss queues and
 * stalls its own loads (profiled: ~12% of the loop's samples sat on the burst loops).
 * Batch 16 / 64 x 6 layers of 6 x 64-dim heads over 65-128 keys, 24 caches cycled, 2-vCPU Zen 4,
 * 20 alternating rounds: 2.89 -> 2.54 / 11.4 -> 10.2 ms per step against the old 16 keys ahead
 * into L1 (48 or 64 keys ahead, or L3 as the target, measured no better); then on a 2-vCPU Zen 5,
 * attention alone (6 layers' caches), switched within one process, against the bursts: batch 64
 * 2.12 -> 1.41 ms a step (2 threads), batch 16 0.298 -> 0.276; whole decoding steps 6.37 -> 5.55
 * ms (batch 64), 1.64 -> 1.50 (batch 16). */
#define PREFETCH_KEYS_BF16 32
#define PREFETCH_NEXT_ROWS 32
/* The next pass's keys go into L1 only when a pass is at most this many bytes: measured at 12 KB
 * (16 keys x 6 heads x 64 dims, bf16); a larger cache row (8 kv heads x 128: 32 KB a pass) would
 * fill an L1D, so those passes prefetch into L2 only. */
#define PREFETCH_L1_MAX_BYTES 16384
/* The decoding loop's score rows (H x S floats) up to this size live on the stack (32 heads x 256
 * keys); larger ones, and the bf16 cache widened in memory (non-AVX-512 builds, head dims not a
 * multiple of 32), are malloc'd per call. */
#define DECODE_STACK_FLOATS 8192
#define DECODE_STACK_HEADS 64

#ifdef __AVX512F__
#include <immintrin.h>
/* sl_expf (fastmath.h) on 16 lanes: the same range clamp (NaN stays NaN), reduction and
 * polynomial, as FMAs. */
static inline __m512 expf16(__m512 x) {
  x = _mm512_min_ps(_mm512_set1_ps(88.0f), _mm512_max_ps(_mm512_set1_ps(-87.3f), x)); /* (NaN: the second operand) */
  const __m512 n = _mm512_roundscale_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(0.5f)), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x));
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
  const __m512i scale = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(p, _mm512_castsi512_ps(scale));
}
#endif

/* Softmax of one score row over keys [lo, hi] in place, zero in the rest of [wlo, whi) (the keys a
 * block's products read), all of it zero when hi < lo; entries outside [wlo, whi) are untouched.
 * One compiled copy (noinline): every path (decoding or blocked, with or without probs) gives the
 * same bits. AVX-512 builds run it 16 lanes at a time with masked ends: GCC's `omp simd` max
 * reduction stored scalars to the stack and reloaded them as one vector (a store-forwarding stall
 * on every row: ~25% of the softmax's time, itself ~45% of a training attention forward at the
 * demo's shape, 2-vCPU Zen 5 EPYC). */
static __attribute__((noinline)) void softmax_window(float *p, int64_t lo, int64_t hi, int64_t wlo, int64_t whi) {
  if (hi < lo) {
    if (whi > wlo) memset(p + wlo, 0, (size_t)(whi - wlo) * sizeof(float));
    return;
  }
#ifdef __AVX512F__
  const int64_t n = hi - lo + 1, whole = n / 16 * 16;
  const __mmask16 tail = (__mmask16)((1u << (n - whole)) - 1);
  float *x = p + lo;
  __m512 m = _mm512_set1_ps(-INFINITY);
  for (int64_t i = 0; i < whole; i += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(x + i));
  if (tail) m = _mm512_max_ps(m, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tail, x + whole));
  const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(m));
  __m512 sum = _mm512_setzero_ps();
  for (int64_t i = 0; i < whole; i += 16) {
    const __m512 e = expf16(_mm512_sub_ps(_mm512_loadu_ps(x + i), mx));
    _mm512_storeu_ps(x + i, e);
    sum = _mm512_add_ps(sum, e);
  }
  if (tail) {
    const __m512 e = _mm512_maskz_mov_ps(tail, expf16(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + whole), mx)));
    _mm512_mask_storeu_ps(x + whole, tail, e);
    sum = _mm512_add_ps(sum, e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
  for (int64_t i = 0; i < whole; i += 16) _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), inv));
  if (tail) _mm512_mask_storeu_ps(x + whole, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, x + whole), inv));
#else
  float mx = p[lo];
#pragma omp simd reduction(max : mx)
  for (int64_t s = lo + 1; s <= hi; s++) mx = p[s] > mx ? p[s] : mx;
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int64_t s = lo; s <= hi; s++) {
    p[s] = sl_expf(p[s] - mx);
    sum += p[s];
  }
  const float inv = 1.0f / sum;
  for (int64_t s = lo; s <= hi; s++) p[s] *= inv;
#endif
  if (lo > wlo) memset(p + wlo, 0, (size_t)(lo - wlo) * sizeof(float));
  if (hi + 1 < whi) memset(p + hi + 1, 0, (size_t)(whi - hi - 1) * sizeof(float));
}

/* Softmax of one score row over keys [lo, hi] in place; zero outside, all zero when hi < lo. */
static void softmax_visible(float *p, int64_t lo, int64_t hi, int64_t S) { softmax_window(p, lo, hi, 0, S); }

#ifdef __AVX512F__
#include <immintrin.h>
/* Lane j of the result = the sum of acc[j]'s 16 lanes: pairwise unpacks then 128-bit lane
 * shuffles, ~45 instructions for 16 sums where 16 separate horizontal sums take ~130. */
static inline __m512 sum16_transposed(const __m512 acc[16]) {
  __m512 t[8], u[4];
  for (int j = 0; j < 8; j++) t[j] = _mm512_add_ps(_mm512_unpacklo_ps(acc[2 * j], acc[2 * j + 1]), _mm512_unpackhi_ps(acc[2 * j], acc[2 * j + 1]));
  for (int j = 0; j < 4; j++) {
    const __m512d c = _mm512_castps_pd(t[2 * j]), d = _mm512_castps_pd(t[2 * j + 1]);
    u[j] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(c, d)), _mm512_castpd_ps(_mm512_unpackhi_pd(c, d)));
  }
  /* u[j]'s 128-bit lane L holds lane L's partial sums of acc[4j .. 4j+3] */
  const __m512 w01 = _mm512_add_ps(_mm512_shuffle_f32x4(u[0], u[1], 0x44), _mm512_shuffle_f32x4(u[0], u[1], 0xEE));
  const __m512 w23 = _mm512_add_ps(_mm512_shuffle_f32x4(u[2], u[3], 0x44), _mm512_shuffle_f32x4(u[2], u[3], 0xEE));
  return _mm512_add_ps(_mm512_shuffle_f32x4(w01, w23, 0x88), _mm512_shuffle_f32x4(w01, w23, 0xDD));
}

/* p[0..16) = scale * (q . k_j) for the 16 keys k_j = k0 + j * stride (D floats each, D % 16 == 0) */
static inline void scores16(const float *q, const float *k0, int64_t stride, int64_t D, float scale, float *p) {
  __m512 acc[16];
  for (int j = 0; j < 16; j++) acc[j] = _mm512_setzero_ps();
  for (int64_t d = 0; d < D; d += 16) {
    const __m512 qv = _mm512_loadu_ps(q + d);
    for (int j = 0; j < 16; j++) acc[j] = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k0 + j * stride + d), acc[j]);
  }
  _mm512_storeu_ps(p, _mm512_mul_ps(sum16_transposed(acc), _mm512_set1_ps(scale)));
}
#endif

#ifdef __AVX512F__
/* A bf16 cache row read 32 values at a time: each 32-bit lane holds two neighbours, so the even
 * one widens with a shift and the odd one with a mask (exact, one instruction each, no shuffle);
 * the query and the output are split and merged into the same even / odd order once per head. */
static inline __m512 bf16_even(__m512i pairs) { return _mm512_castsi512_ps(_mm512_slli_epi32(pairs, 16)); }
static inline __m512 bf16_odd(__m512i pairs) { return _mm512_castsi512_ps(_mm512_and_si512(pairs, _mm512_set1_epi32((int)0xFFFF0000u))); }

/* Cache lines a loop prefetches as it goes, one of each stream per load: `l2_count` lines from
 * l2 into L2 and `l1_count` from l1 into L1 (64 bytes apart). */
typedef struct {
  const char *l2, *l1;
  int64_t l2_count, l1_count;
} spread_prefetch;

/* Head h's share of a pass's `lines` lines, `per` a head from line `from` = h * per: 0 to per. */
static inline int64_t head_share(int64_t lines, int64_t from, int64_t per) {
  return lines <= from ? 0 : lines - from < per ? lines - from : per;
}

static inline __attribute__((always_inline)) void spread_step(const spread_prefetch *pf, int64_t i) {
  if (i < pf->l2_count) _mm_prefetch(pf->l2 + 64 * i, _MM_HINT_T1);
  if (i < pf->l1_count) _mm_prefetch(pf->l1 + 64 * i, _MM_HINT_T0);
}

/* 16 keys' (n <= 16, the rest score 0 and are not stored) scaled dot products with one head's
 * query, split into even / odd halves qe, qo (D / 32 vectors each); the same lane sums for every
 * key, whichever pass it falls in. Prefetches pf's lines on the way (up to pairs32 * n of each). */
static inline __attribute__((always_inline)) void scores16_bf16(const __m512 *qe, const __m512 *qo, const uint16_t *k0, int64_t stride, int64_t pairs32,
                                 int n, float scale, float *p, const spread_prefetch *pf) {
  __m512 acc[16];
  for (int j = 0; j < 16; j++) acc[j] = _mm512_setzero_ps();
  /* unrolled: GCC did not on its own and kept the 16 sums on the stack (a load and a store
   * around every FMA pair). Attention alone over 6 layers' caches, old and new switched within one
   * process on the 2-vCPU Zen 5 EPYC, bit-identical outputs: batch 1 (1 thread) 0.0189 -> 0.0173,
   * 0.0255 -> 0.0227, 0.0190 -> 0.0180 ms a step; batch 16 0.263 -> 0.240, 0.235 -> 0.215,
   * 0.204 -> 0.193; batch 64 1.286 -> 1.160, 1.434 -> 1.403, 1.648 -> 1.621 (memory-bound there
   * when the machine ran slow) */
#pragma GCC unroll 4
  for (int64_t c = 0; c < pairs32; c++)
#pragma GCC unroll 16
    for (int j = 0; j < n; j++) {
      spread_step(pf, c * n + j);
      const __m512i kv = _mm512_loadu_si512((const void *)(k0 + j * stride + 32 * c));
      acc[j] = _mm512_fmadd_ps(qo[c], bf16_odd(kv), _mm512_fmadd_ps(qe[c], bf16_even(kv), acc[j]));
    }
  const __m512 sums = _mm512_mul_ps(sum16_transposed(acc), _mm512_set1_ps(scale));
  if (n == 16) _mm512_storeu_ps(p, sums);
  else _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), sums);
}

/* attend_query over a bfloat16 cache (D % 32 == 0, D <= 128), widening in registers: scores 16
 * keys per pass (prefetching ahead, see PREFETCH_KEYS_BF16), then the output with keys in memory order and up to
 * PV_REGS / (D / 16) heads' sums in registers, so each row of values streams through once, while
 * `next_lines` lines of next_k and of next_v (the next batch row's first keys and values; none when
 * 0) are prefetched into L2. The output equals the float kernel on the widened cache up to the
 * order of the score sums. */
static inline __attribute__((always_inline)) void attend_query_bf16_d(const float *q, const uint16_t *kbase, const uint16_t *vbase,
    int64_t H, int64_t KH, int64_t lo, int64_t hi, int64_t S, const int64_t pairs32, float scale, float *const *p, float *out,
    const char *next_k, const char *next_v, int64_t next_lines) {
  const int64_t D = 32 * pairs32, group = H / KH, kv_stride = KH * D;
  if (hi < lo) {
    memset(out, 0, (size_t)(H * D) * sizeof(float));
    for (int64_t h = 0; h < H; h++) memset(p[h], 0, (size_t)S * sizeof(float));
    return;
  }
  const __m512i even_index = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd_index = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  /* a pass's 16 keys (every head's row side by side) are 16 * kv_stride * 2 bytes, pass_lines
   * lines; head h's scores prefetch lines [h * head_lines, (h + 1) * head_lines) of them */
  const int64_t pass_lines = 16 * kv_stride * 2 / 64, head_lines = H > 0 ? (pass_lines + H - 1) / H : 0;
  const int l1_wanted = 16 * kv_stride * 2 <= PREFETCH_L1_MAX_BYTES;
  for (int64_t s = lo; s <= hi; s += 16) {
    const int n = hi - s + 1 < 16 ? (int)(hi - s + 1) : 16;
    /* into L2 the 16 keys PREFETCH_KEYS_BF16 ahead, or in the one pass where that runs past the
     * last key the first 16 values (rows with fewer than PREFETCH_KEYS_BF16 visible keys get
     * neither); into L1 the next pass's keys */
    const char *l2 = s + 15 + PREFETCH_KEYS_BF16 <= hi ? (const char *)(kbase + (s + PREFETCH_KEYS_BF16) * kv_stride)
                     : s + 15 + PREFETCH_KEYS_BF16 <= hi + 16 ? (const char *)(vbase + lo * kv_stride) : NULL;
    const char *l1 = l1_wanted && s + 16 <= hi ? (const char *)(kbase + (s + 16) * kv_stride) : NULL;
    const int64_t l1_keys = hi - s - 15 < 16 ? hi - s - 15 : 16, l1_lines = l1 ? (l1_keys * kv_stride * 2 + 63) / 64 : 0;
    for (int64_t h = 0; h < H; h++) {
      const int64_t from = h * head_lines;
      const int64_t share2 = l2 ? head_share(pass_lines, from, head_lines) : 0, share1 = head_share(l1_lines, from, head_lines);
      const spread_prefetch pf = {share2 > 0 ? l2 + 64 * from : NULL, share1 > 0 ? l1 + 64 * from : NULL, share2, share1};
      __m512 qe[4], qo[4];
      for (int64_t c = 0; c < pairs32; c++) {
        const __m512 a = _mm512_loadu_ps(q + h * D + 32 * c), b = _mm512_loadu_ps(q + h * D + 32 * c + 16);
        qe[c] = _mm512_permutex2var_ps(a, even_index, b);
        qo[c] = _mm512_permutex2var_ps(a, odd_index, b);
      }
      const uint16_t *k0 = kbase + s * kv_stride + (h / group) * D;
      if (n == 16) {
        scores16_bf16(qe, qo, k0, kv_stride, pairs32, 16, scale, p[h] + s, &pf);
        continue;
      }
      /* the last pass's n < 16 keys in runs of 8 / 4 / 2 / 1, each with a constant count so its
       * loop unrolls too (every key's sum runs in the same order whichever lane it takes, so the
       * bits are a single pass's; pf is empty in this pass: both its streams need keys past
       * s + 15) */
      int64_t done = 0;
      if (n & 8) scores16_bf16(qe, qo, k0, kv_stride, pairs32, 8, scale, p[h] + s, &pf), done += 8;
      if (n & 4) scores16_bf16(qe, qo, k0 + done * kv_stride, kv_stride, pairs32, 4, scale, p[h] + s + done, &pf), done += 4;
      if (n & 2) scores16_bf16(qe, qo, k0 + done * kv_stride, kv_stride, pairs32, 2, scale, p[h] + s + done, &pf), done += 2;
      if (n & 1) scores16_bf16(qe, qo, k0 + done * kv_stride, kv_stride, pairs32, 1, scale, p[h] + s + done, &pf);
    }
  }
  for (int64_t h = 0; h < H; h++) softmax_visible(p[h], lo, hi, S);
  /* lane l of the even / odd sums of 32 values holds values 2l and 2l + 1: merged back in order */
  const __m512i low_index = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  const __m512i high_index = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
  const int64_t per_group = PV_REGS / (2 * pairs32);
  for (int64_t h0 = 0; h0 < H; h0 += per_group) {
    const int64_t count = H - h0 < per_group ? H - h0 : per_group;
    const int64_t first = (h0 / group) * D * 2, last = ((h0 + count - 1) / group + 1) * D * 2; /* bytes of a row these heads read */
    __m512 acc[PV_REGS];
    for (int i = 0; i < PV_REGS; i++) acc[i] = _mm512_setzero_ps();
    /* the next row's lines, spread over the first group's keys */
    const int64_t next_per_key = h0 == 0 && next_lines > 0 ? (next_lines + hi - lo) / (hi - lo + 1) : 0;
    int64_t next_done = 0;
    for (int64_t t = lo; t <= hi; t++) {
      const uint16_t *vr = vbase + t * kv_stride;
      for (int64_t i = 0; i < next_per_key && next_done < next_lines; i++, next_done++) {
        _mm_prefetch(next_k + 64 * next_done, _MM_HINT_T1);
        _mm_prefetch(next_v + 64 * next_done, _MM_HINT_T1);
      }
      if (t + PREFETCH_KEYS <= hi)
        for (int64_t f = first; f < last; f += 64) _mm_prefetch((const char *)(vr + PREFETCH_KEYS * kv_stride) + f, _MM_HINT_T0);
      for (int64_t h = 0; h < per_group; h++) {
        if (h >= count) break;
        const __m512 pt = _mm512_set1_ps(p[h0 + h][t]);
        const uint16_t *vh = vr + ((h0 + h) / group) * D;
        __m512 *a = acc + 2 * pairs32 * h;
        for (int64_t c = 0; c < pairs32; c++) {
          const __m512i kv = _mm512_loadu_si512((const void *)(vh + 32 * c));
          a[2 * c] = _mm512_fmadd_ps(pt, bf16_even(kv), a[2 * c]);
          a[2 * c + 1] = _mm512_fmadd_ps(pt, bf16_odd(kv), a[2 * c + 1]);
        }
      }
    }
    for (int64_t h = 0; h < count; h++)
      for (int64_t c = 0; c < pairs32; c++) {
        const __m512 e = acc[2 * pairs32 * h + 2 * c], o = acc[2 * pairs32 * h + 2 * c + 1];
        _mm512_storeu_ps(out + (h0 + h) * D + 32 * c, _mm512_permutex2var_ps(e, low_index, o));
        _mm512_storeu_ps(out + (h0 + h) * D + 32 * c + 16, _mm512_permutex2var_ps(e, high_index, o));
      }
  }
}

/* One instance per head dimension (32, 64, 96, 128), so every register array has a fixed size. */
static void attend_query_bf16(const float *q, const uint16_t *kbase, const uint16_t *vbase, int64_t H, int64_t KH,
                              int64_t lo, int64_t hi, int64_t S, int64_t D, float scale, float *const *p, float *out,
                              const char *next_k, const char *next_v, int64_t next_lines) {
  switch (D / 32) {
    case 1: attend_query_bf16_d(q, kbase, vbase, H, KH, lo, hi, S, 1, scale, p, out, next_k, next_v, next_lines); break;
    case 2: attend_query_bf16_d(q, kbase, vbase, H, KH, lo, hi, S, 2, scale, p, out, next_k, next_v, next_lines); break;
    case 3: attend_query_bf16_d(q, kbase, vbase, H, KH, lo, hi, S, 3, scale, p, out, next_k, next_v, next_lines); break;
    default: attend_query_bf16_d(q, kbase, vbase, H, KH, lo, hi, S, 4, scale, p, out, next_k, next_v, next_lines); break;
  }
}
#endif

/* One query position (decoding), every head at once: scores as dot products against keys
 * [lo, hi] read in place (a transposed copy would cost as much as the scores themselves), softmax
 * into p (H rows of S; zeros outside [lo, hi]), then the output (H, D). The keys are walked in
 * memory order: key s holds every kv head's D floats side by side, so the row's cache streams
 * through once (per head, keys sit KH*D floats apart, which the hardware prefetchers follow
 * poorly: measured 1.5x slower at batch 64). Every head's numbers are those of a head alone. */
static void attend_query(const float *q, const float *kbase, const float *vbase, int64_t H, int64_t KH,
                         int64_t lo, int64_t hi, int64_t S, int64_t D, float scale, float *const *p,
                         float *out) {
  const int64_t group = H / KH, kv_stride = KH * D;
  memset(out, 0, (size_t)(H * D) * sizeof(float));
  if (hi < lo) {
    for (int64_t h = 0; h < H; h++) memset(p[h], 0, (size_t)S * sizeof(float));
    return; /* no visible key (a left-padding query): output zero, not NaN */
  }
  /* four keys per pass: four independent sums (one vector reduction each would otherwise be a
   * chain of dependent FMAs per key; measured ~5x slower on decode steps) */
  int64_t s = lo;
#ifdef __AVX512F__
  /* sixteen keys per pass, their 16 sums reduced together (batch-64 decoding attention, one thread: 0.87 -> 0.78 ms per call) */
  if (D % 16 == 0)
    for (; s + 15 <= hi; s += 16)
      for (int64_t h = 0; h < H; h++) scores16(q + h * D, kbase + s * kv_stride + (h / group) * D, kv_stride, D, scale, p[h] + s);
#endif
  for (; s + 3 <= hi; s += 4) {
    if (s + PREFETCH_KEYS + 3 <= hi)
      for (int64_t f = 0; f < 4 * kv_stride; f += 16) __builtin_prefetch(kbase + (s + PREFETCH_KEYS) * kv_stride + f);
    for (int64_t h = 0; h < H; h++) {
      const float *qrow = q + h * D;
      const float *k0 = kbase + s * kv_stride + (h / group) * D, *k1 = k0 + kv_stride, *k2 = k1 + kv_stride, *k3 = k2 + kv_stride;
      float d0 = 0.0f, d1 = 0.0f, d2 = 0.0f, d3 = 0.0f;
#pragma omp simd reduction(+ : d0, d1, d2, d3)
      for (int64_t d = 0; d < D; d++) {
        d0 += qrow[d] * k0[d];
        d1 += qrow[d] * k1[d];
        d2 += qrow[d] * k2[d];
        d3 += qrow[d] * k3[d];
      }
      float *ph = p[h];
      ph[s] = d0 * scale;
      ph[s + 1] = d1 * scale;
      ph[s + 2] = d2 * scale;
      ph[s + 3] = d3 * scale;
    }
  }
  for (; s <= hi; s++) {
    for (int64_t h = 0; h < H; h++) {
      const float *qrow = q + h * D, *kr = kbase + s * kv_stride + (h / group) * D;
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int64_t d = 0; d < D; d++) dot += qrow[d] * kr[d];
      p[h][s] = dot * scale;
    }
  }
  for (int64_t h = 0; h < H; h++) softmax_visible(p[h], lo, hi, S);
  s = lo;
  for (; s + 3 <= hi; s += 4) {
    if (s + PREFETCH_KEYS + 3 <= hi)
      for (int64_t f = 0; f < 4 * kv_stride; f += 16) __builtin_prefetch(vbase + (s + PREFETCH_KEYS) * kv_stride + f);
    for (int64_t h = 0; h < H; h++) {
      const float *ph = p[h];
      const float p0 = ph[s], p1 = ph[s + 1], p2 = ph[s + 2], p3 = ph[s + 3];
      const float *v0 = vbase + s * kv_stride + (h / group) * D, *v1 = v0 + kv_stride, *v2 = v1 + kv_stride, *v3 = v2 + kv_stride;
      float *orow = out + h * D;
#pragma omp simd
      for (int64_t d = 0; d < D; d++) orow[d] += p0 * v0[d] + p1 * v1[d] + p2 * v2[d] + p3 * v3[d];
    }
  }
  for (; s <= hi; s++) {
    for (int64_t h = 0; h < H; h++) {
      const float ps = p[h][s];
      const float *vr = vbase + s * kv_stride + (h / group) * D;
      float *orow = out + h * D;
#pragma omp simd
      for (int64_t d = 0; d < D; d++) orow[d] += ps * vr[d];
    }
  }
}

typedef struct {
  const sl_attention_shape *shape;
  const float *q, *k, *v, *d_out, *probs_in;
  const int32_t *key_start, *segment_start;
  float *out, *probs, *dq, *dk, *dv;
  const uint16_t *k16, *v16; /* a bfloat16 cache instead of k, v (forward only) */
} attention_ctx;

/* dst[r * dst_stride + i] = the float value of bf16 src[r * src_stride + i], i < width: exact, so a
 * bf16 cache widened into scratch gives the f32 kernels the very numbers it holds. */
static void widen_rows(const uint16_t *src, int64_t src_stride, int64_t rows, int64_t width, float *dst, int64_t dst_stride) {
  for (int64_t r = 0; r < rows; r++) {
    const uint16_t *in = src + r * src_stride;
    float *out = dst + r * dst_stride;
    int64_t i = 0;
#ifdef __AVX512F__
    for (; i + 16 <= width; i += 16)
      _mm512_storeu_si512((void *)(out + i), _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(in + i))), 16));
#endif
    for (; i < width; i++) {
      const uint32_t bits = (uint32_t)in[i] << 16;
      memcpy(out + i, &bits, sizeof bits);
    }
  }
}

/* First visible key of query row t of batch entry b: the row's keyStart, raised to the query's
 * segment start when rows are packed. */
static inline int64_t first_key(const attention_ctx *c, int64_t b, int64_t t, int64_t ks) {
  if (!c->segment_start) return ks;
  const int64_t seg = c->segment_start[b * c->shape->query_length + t];
  return seg > ks ? seg : ks;
}

/* dst (D, S) = the transpose of S rows of D floats `stride` apart (one kv head's keys or values):
 * scores against it are a plain NN product, which BLAS runs ~2.3x faster than the NT product
 * with K read in place at these sizes (OpenBLAS, 32 x 160 x 32: 2.1 us vs 4.8 us). */
static void transpose_rows(const float *src, int64_t stride, int64_t S, int64_t D, float *dst) {
  for (int64_t s = 0; s < S; s++)
    for (int64_t d = 0; d < D; d++) dst[d * S + s] = src[s * stride + d];
}

/* Query rows of the block that starts at row t0: up to SL_ROW_BLOCK, ending early where a packed
 * row's segment changes, so a block's keys are its own conversation's. Forward and backward cut
 * the same blocks (backward reads the probabilities forward wrote for them). */
static inline int64_t block_rows(const attention_ctx *c, int64_t b, int64_t t0) {
  const int64_t T = c->shape->query_length;
  int64_t rows = T - t0 < SL_ROW_BLOCK ? T - t0 : SL_ROW_BLOCK;
  if (c->segment_start) {
    const int32_t *seg = c->segment_start + b * T + t0;
    for (int64_t r = 1; r < rows; r++)
      if (seg[r] != seg[0]) return r;
  }
  return rows;
}

/* Query blocks of one (b, h) (forward and backward walk the same ones): block t0 .. t0 + rows - 1
 * sees keys [lo, kend), lo its lowest first key; `from` is that bound ignoring keyStart (left
 * padding), which backward does not know. The block's probabilities are stored as rows x
 * (kend - from) floats, the blocks of a (b, h) one after another from ((b * H + h) * T * S). */
typedef struct {
  int64_t t0, rows, lo, from, kend;
} attention_block;

static inline void block_window(const attention_ctx *c, int64_t b, int64_t ks, attention_block *blk) {
  const int64_t T = c->shape->query_length, S = c->shape->key_length;
  blk->rows = block_rows(c, b, blk->t0);
  blk->kend = S - T + blk->t0 + blk->rows; /* keys visible to the block's last row: [0, kend) */
  blk->lo = blk->kend;
  blk->from = blk->kend;
  for (int64_t r = 0; r < blk->rows; r++) {
    const int64_t f = first_key(c, b, blk->t0 + r, ks), f0 = first_key(c, b, blk->t0 + r, 0);
    if (f < blk->lo) blk->lo = f;
    if (f0 < blk->from) blk->from = f0;
  }
}

/* Whether the blocked forward and backward run in registers (attention_blocks_range,
 * attention_backward_blocks_range: AVX-512 builds, head dims a multiple of 16 up to 128) rather
 * than through BLAS. */
static inline int register_blocks(int64_t D) {
#ifdef __AVX512F__
  return D % 16 == 0 && D <= 128;
#else
  (void)D;
  return 0;
#endif
}

/* Forward of one (b, h): for each block of query rows, scores for the keys [lo, kend) the block
 * can see -> softmax -> out = P V. The block's probability rows (in probs, or in scratch: room
 * for SL_ROW_BLOCK x S) hold keys [from, kend), zero where masked. kt: this kv head's keys
 * transposed (D, S). */
static void forward_head(const attention_ctx *c, int64_t b, int64_t h, int64_t ks,
                         float *scratch, const float *kt, const float *vb, int64_t v_stride) {
  const sl_attention_shape *sh = c->shape;
  const int64_t T = sh->query_length, S = sh->key_length, H = sh->heads;
  const int64_t D = sh->head_dim;
  const float scale = 1.0f / sqrtf((float)D);
  float *stored = c->probs ? c->probs + (b * H + h) * T * S : NULL;
  attention_block blk;
  for (blk.t0 = 0; blk.t0 < T; blk.t0 += blk.rows) {
    block_window(c, b, ks, &blk);
    const int64_t t0 = blk.t0, rows = blk.rows, lo = blk.lo, kend = blk.kend, w = kend - blk.from;
    float *p = stored ? stored : scratch; /* rows x w: p[r * w + (s - from)] */
    if (stored) stored += rows * w;
    const float *qb = c->q + ((b * T + t0) * H + h) * D;
    float *ob = c->out + ((b * T + t0) * H + h) * D;
    if (kend > lo) sl_sgemm(0, 0, rows, kend - lo, D, scale, qb, H * D, kt + lo, S, 0.0f, p + (lo - blk.from), w);
    for (int64_t r = 0; r < rows; r++)
      softmax_window(p + r * w, first_key(c, b, t0 + r, ks) - blk.from, S - T + t0 + r - blk.from, 0, w);
    if (kend > lo)
      sl_sgemm(0, 0, rows, D, kend - lo, 1.0f, p + (lo - blk.from), w, vb + lo * v_stride, v_stride, 0.0f, ob, H * D);
    else
      for (int64_t r = 0; r < rows; r++) memset(ob + r * H * D, 0, (size_t)D * sizeof(float));
  }
}

/* [lo, hi) ranges over (batch, kv-head) tasks. */
static void attention_forward_range(void *p, int64_t lo, int64_t hi) {
  const attention_ctx *c = p;
  const sl_attention_shape *sh = c->shape;
  const int64_t S = sh->key_length, KH = sh->kv_heads, group = sh->heads / KH;
  const int64_t D = sh->head_dim, cap = sh->kv_capacity;
  /* one block of score rows, the task's keys transposed (D,S), and (bf16 cache) its values widened (S,D) */
  const int64_t S1 = S > 0 ? S : 1;
  float *scratch = malloc((size_t)((SL_ROW_BLOCK + (c->k16 ? 2 * D : D)) * S1) * sizeof(float));
  if (!scratch) abort(); /* tens of KB: out of memory here is unrecoverable anyway */
  float *kt = scratch + SL_ROW_BLOCK * S1, *wide = kt + D * S1;
  for (int64_t task = lo; task < hi; task++) {
    const int64_t b = task / KH, kh = task % KH, base = (b * cap * KH + kh) * D;
    int64_t ks = c->key_start ? c->key_start[b] : 0;
    if (ks < 0) ks = 0;
    if (ks > S) ks = S;
    const float *vb = c->v + (c->k16 ? 0 : base);
    int64_t v_stride = KH * D;
    if (c->k16) {
      widen_rows(c->k16 + base, KH * D, S, D, wide, D);
      transpose_rows(wide, D, S, D, kt);
      widen_rows(c->v16 + base, KH * D, S, D, wide, D);
      vb = wide;
      v_stride = D;
    } else {
      transpose_rows(c->k + base, KH * D, S, D, kt);
    }
    for (int64_t g = 0; g < group; g++) forward_head(c, b, kh * group + g, ks, scratch, kt, vb, v_stride);
  }
  free(scratch);
}

#ifdef __AVX512F__
/* The blocked forward (prefill over a cache, training with probabilities kept) in registers instead
 * of BLAS: at these sizes (blocks of up to 32 query rows over a few hundred keys at most, head dim
 * 32-64) each single-threaded sgemm call cost more in setup and packing than in arithmetic (batch-64
 * x 64-token prefill over a bf16 cache, small shape, 2-vCPU Zen 5 EPYC: ~20 ms of its ~170 in
 * attention, ~45 GFLOP/s). There, in three alternating runs of 20 prefills, the main thread's
 * attention time was 0.46-0.78x the BLAS path's (batch 16: 0.63-0.92x); a training forward at the
 * demo's shape (32 x 160 tokens, 4 heads of 32, probabilities kept), old and new alternating in one
 * process: 1.50-1.61x faster on 1 and 2 threads with softmax_window's AVX-512 loop. Per (batch,
 * kv-head) task the keys are transposed into a (D, Sp) scratch (a bf16 cache widened exactly, and
 * its values into (S, D)); per head and block of query rows (forward_head's blocks), scores 8 rows
 * x 32 (or 16) keys at a time with the 16 sums in registers, softmax_window per row (and the
 * block's probabilities stored as forward_head stores them), then the output PV_ROWS(DV) rows x D
 * at a time. The same numbers as the BLAS path up to the order of the float sums. */

/* p[r * ps + s] = scale * (q_r . k_s) for 8 query rows, interleaved in qt (qt[d * 8 + r]), and
 * keys s in [s0, s1) (s1 - s0 a multiple of 16), kt the keys transposed (D rows, kts floats apart). */
static void prefill_scores8(const float *qt, const float *kt, int64_t kts, int64_t D, int64_t s0, int64_t s1,
                            float scale, float *p, int64_t ps) {
  const __m512 sc = _mm512_set1_ps(scale);
  int64_t s = s0;
  for (; s + 32 <= s1; s += 32) {
    __m512 a0[8], a1[8];
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) a0[r] = a1[r] = _mm512_setzero_ps();
    const float *k = kt + s;
    for (int64_t d = 0; d < D; d++, k += kts) {
      const __m512 k0 = _mm512_loadu_ps(k), k1 = _mm512_loadu_ps(k + 16);
#pragma GCC unroll 8
      for (int r = 0; r < 8; r++) {
        const __m512 qv = _mm512_set1_ps(qt[d * 8 + r]);
        a0[r] = _mm512_fmadd_ps(qv, k0, a0[r]);
        a1[r] = _mm512_fmadd_ps(qv, k1, a1[r]);
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) {
      _mm512_storeu_ps(p + r * ps + s, _mm512_mul_ps(a0[r], sc));
      _mm512_storeu_ps(p + r * ps + s + 16, _mm512_mul_ps(a1[r], sc));
    }
  }
  if (s < s1) {
    __m512 a0[8];
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) a0[r] = _mm512_setzero_ps();
    const float *k = kt + s;
    for (int64_t d = 0; d < D; d++, k += kts) {
      const __m512 k0 = _mm512_loadu_ps(k);
#pragma GCC unroll 8
      for (int r = 0; r < 8; r++) a0[r] = _mm512_fmadd_ps(_mm512_set1_ps(qt[d * 8 + r]), k0, a0[r]);
    }
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) _mm512_storeu_ps(p + r * ps + s, _mm512_mul_ps(a0[r], sc));
  }
}

/* dst[j * dst_stride + i] = r[i] lane j: 16 rows of 16 floats stored transposed. */
static inline void transpose16_store(__m512 r[16], float *dst, int64_t dst_stride) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  /* r[4g + j] lane L holds rows 4g..4g+3 of column 4L + j: combine 128-bit lanes across groups */
  for (int j = 0; j < 4; j++) {
    t[j] = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);
    t[4 + j] = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);
    t[8 + j] = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
    t[12 + j] = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);
  }
  for (int j = 0; j < 4; j++) {
    r[j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0x88);
    r[8 + j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0xDD);
    r[4 + j] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0x88);
    r[12 + j] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0xDD);
  }
  for (int i = 0; i < 16; i++) _mm512_storeu_ps(dst + i * dst_stride, r[i]); /* r[i]: column i's 16 rows */
}

/* dst (D, dst_stride) columns [s0, s1) = keys s0 .. s1 - 1 (rows of D values, src_stride apart,
 * float or bfloat16 widened exactly) transposed: 16 x 16 in registers, the last < 16 one by one. */
static void transpose_keys(const float *k, const uint16_t *k16, int64_t src_stride, int64_t s0, int64_t s1, int64_t D, float *dst, int64_t dst_stride) {
  int64_t s = s0;
  for (; s + 16 <= s1; s += 16)
    for (int64_t d = 0; d < D; d += 16) {
      __m512 r[16];
      for (int i = 0; i < 16; i++)
        r[i] = k16 ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(k16 + (s + i) * src_stride + d))), 16))
                   : _mm512_loadu_ps(k + (s + i) * src_stride + d);
      transpose16_store(r, dst + d * dst_stride + s, dst_stride);
    }
  for (; s < s1; s++)
    for (int64_t d = 0; d < D; d++) {
      float value;
      if (k16) {
        const uint32_t bits = (uint32_t)k16[s * src_stride + d] << 16;
        memcpy(&value, &bits, sizeof bits);
      } else value = k[s * src_stride + d];
      dst[d * dst_stride + s] = value;
    }
}

/* Output rows a PV pass sums at once: R * DV sums + DV values within the 32 zmm registers. */
#define PV_ROWS(DV) ((DV) <= 2 ? 12 : (DV) == 3 ? 8 : (DV) == 4 ? 6 : (DV) <= 6 ? 4 : (DV) == 7 ? 3 : 2)

/* out[r] (D = 16 * DV floats) = (out[r] + when accumulate) the sum over s in [lo, hi) of
 * p[r * ps + s * pi] * v[s * vs ..], for rows r < rows (<= PV_ROWS(DV)); p holds PV_ROWS(DV)
 * readable rows. The forward's output (p: probabilities, v: values) and the backward's dQ (dS, K),
 * dK (dS transposed, Q) and dV (P transposed, dO). */
static inline __attribute__((always_inline)) void prefill_pv_d(const float *p, int64_t ps, int64_t pi, const float *v, int64_t vs, int64_t lo,
                                                               int64_t hi, const int DV, int rows, float *const *out, int accumulate) {
  enum { MAX_ACC = 24 };
  const int R = PV_ROWS(DV);
  __m512 acc[MAX_ACC];
#pragma GCC unroll 24
  for (int i = 0; i < R * DV; i++) acc[i] = _mm512_setzero_ps();
  for (int64_t s = lo; s < hi; s++) {
    __m512 vv[8];
#pragma GCC unroll 8
    for (int c = 0; c < DV; c++) vv[c] = _mm512_loadu_ps(v + s * vs + 16 * c);
#pragma GCC unroll 12
    for (int r = 0; r < R; r++) {
      const __m512 pr = _mm512_set1_ps(p[r * ps + s * pi]);
#pragma GCC unroll 8
      for (int c = 0; c < DV; c++) acc[r * DV + c] = _mm512_fmadd_ps(pr, vv[c], acc[r * DV + c]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < R; r++)
    if (r < rows)
      for (int c = 0; c < DV; c++)
        _mm512_storeu_ps(out[r] + 16 * c, accumulate ? _mm512_add_ps(_mm512_loadu_ps(out[r] + 16 * c), acc[r * DV + c]) : acc[r * DV + c]);
}

static void prefill_pv(const float *p, int64_t ps, int64_t pi, const float *v, int64_t vs, int64_t lo, int64_t hi, int64_t D, int rows,
                       float *const *out, int accumulate) {
  switch (D / 16) {
    case 1: prefill_pv_d(p, ps, pi, v, vs, lo, hi, 1, rows, out, accumulate); break;
    case 2: prefill_pv_d(p, ps, pi, v, vs, lo, hi, 2, rows, out, accumulate); break;
    case 3: prefill_pv_d(p, ps, pi, v, vs, lo, hi, 3, rows, out, accumulate); break;
    case 4: prefill_pv_d(p, ps, pi, v, vs, lo, hi, 4, rows, out, accumulate); break;
    case 5: prefill_pv_d(p, ps, pi, v, vs, lo, hi, 5, rows, out, accumulate); break;
    case 6: prefill_pv_d(p, ps, pi, v, vs, lo, hi, 6, rows, out, accumulate); break;
    case 7: prefill_pv_d(p, ps, pi, v, vs, lo, hi, 7, rows, out, accumulate); break;
    default: prefill_pv_d(p, ps, pi, v, vs, lo, hi, 8, rows, out, accumulate); break;
  }
}

/* p rows [r0, r0 + rows) (r0 a multiple of 8, stride ps) x keys [s0, s1) = scale * x kt, x the
 * query-shaped rows x0 + r * xs (D floats; a short last group of 8 repeats its first row),
 * interleaved into qt 8 rows at a time: Q K^T (forward) or dO V^T (backward). */
static void block_scores(const float *x0, int64_t xs, int64_t rows, const float *kt, int64_t kts, int64_t D, int64_t s0, int64_t s1,
                         float scale, float *qt, float *p, int64_t ps) {
  for (int64_t r0 = 0; r0 < rows; r0 += 8) {
    for (int r = 0; r < 8; r++) {
      const float *xr = x0 + (r0 + r < rows ? r0 + r : r0) * xs;
      for (int64_t d = 0; d < D; d++) qt[d * 8 + r] = xr[d];
    }
    prefill_scores8(qt, kt, kts, D, s0, s1, scale, p + r0 * ps, ps);
  }
}

/* [lo, hi) ranges over (batch, kv-head) tasks: the blocked forward (forward_head's blocks, the
 * same stored probabilities) in registers; float or bf16 keys and values, D % 16 == 0, D <= 128. */
static void attention_blocks_range(void *arg, int64_t lo, int64_t hi) {
  const attention_ctx *c = arg;
  const sl_attention_shape *sh = c->shape;
  const int64_t T = sh->query_length, S = sh->key_length, H = sh->heads, KH = sh->kv_heads, group = H / KH;
  const int64_t D = sh->head_dim, cap = sh->kv_capacity, Sp = (S + 31) / 32 * 32, kv_stride = KH * D;
  const float scale = 1.0f / sqrtf((float)D);
  /* kt (D, Sp), (bf16) the values widened (S, D), score rows: a block of SL_ROW_BLOCK padded to
   * whole score groups (8) and PV groups (<= 12); padding rows hold zeros or an earlier block's
   * numbers, and what they sum is never stored */
  const int64_t p_rows = SL_ROW_BLOCK + 16;
  float *kt = calloc((size_t)(D * Sp + (c->k16 ? S * D : 0) + p_rows * Sp + 8 * D), sizeof(float));
  if (!kt) abort();
  float *vw = kt + D * Sp, *p = vw + (c->k16 ? S * D : 0), *qt = p + p_rows * Sp;
  for (int64_t task = lo; task < hi; task++) {
    const int64_t b = task / KH, kh = task % KH, base = (b * cap * KH + kh) * D;
    int64_t ks = c->key_start ? c->key_start[b] : 0;
    if (ks < 0) ks = 0;
    if (ks > S) ks = S;
    /* keys [ks, S) transposed from ks rounded down to 16 (the keys before ks, in this row, only
     * reach scores softmax_window overwrites); score passes read columns up to S rounded up to 16
     * (zero: no task writes past S) */
    transpose_keys(c->k16 ? NULL : c->k + base, c->k16 ? c->k16 + base : NULL, kv_stride, ks / 16 * 16, S, D, kt, Sp);
    const float *vb = c->k16 ? vw : c->v + base;
    const int64_t vs = c->k16 ? D : kv_stride;
    if (c->k16 && ks < S) widen_rows(c->v16 + base + ks * kv_stride, kv_stride, S - ks, D, vw + ks * D, D);
    for (int64_t g = 0; g < group; g++) {
      const int64_t h = kh * group + g;
      float *stored = c->probs ? c->probs + (b * H + h) * T * S : NULL;
      attention_block blk;
      for (blk.t0 = 0; blk.t0 < T; blk.t0 += blk.rows) {
        block_window(c, b, ks, &blk);
        const int64_t t0 = blk.t0, rows = blk.rows, first = blk.lo, kend = blk.kend, from = blk.from, w = kend - from;
        /* scores over keys [first, kend) in passes of 16 from s0; the rows' zeros over [wlo, s1) */
        const int64_t s0 = first / 16 * 16, s1 = (kend + 15) / 16 * 16, wlo = from < s0 ? from : s0;
        if (kend > first) block_scores(c->q + ((b * T + t0) * H + h) * D, H * D, rows, kt, Sp, D, s0, s1, scale, qt, p, Sp);
        for (int64_t r = 0; r < rows; r++) {
          softmax_window(p + r * Sp, first_key(c, b, t0 + r, ks), S - T + t0 + r, wlo, s1 > kend ? s1 : kend);
          if (stored) memcpy(stored + r * w, p + r * Sp + from, (size_t)w * sizeof(float));
        }
        if (stored) stored += rows * w;
        const int R = (int)PV_ROWS(D / 16);
        for (int64_t r0 = 0; r0 < rows; r0 += R) {
          const int n = rows - r0 < R ? (int)(rows - r0) : R;
          float *out[12];
          for (int r = 0; r < n; r++) out[r] = c->out + ((b * T + t0 + r0 + r) * H + h) * D;
          if (kend > first) prefill_pv(p + r0 * Sp, Sp, 1, vb, vs, first, kend, D, n, out, 0);
          else
            for (int r = 0; r < n; r++) memset(out[r], 0, (size_t)D * sizeof(float));
        }
      }
    }
  }
  free(kt);
}
#endif

/* Decoding shapes (few query rows): [lo, hi) ranges over batch rows, every head of a row at once
 * (see attend_query). */
static void attention_decode_range(void *p, int64_t lo, int64_t hi) {
  const attention_ctx *c = p;
  const sl_attention_shape *sh = c->shape;
  const int64_t T = sh->query_length, S = sh->key_length, H = sh->heads, KH = sh->kv_heads;
  const int64_t D = sh->head_dim, cap = sh->kv_capacity;
  const float scale = 1.0f / sqrtf((float)D);
#ifdef __AVX512F__
  const int in_registers = c->k16 && D % 32 == 0 && D <= 128; /* bf16 cache widened in registers */
#else
  const int in_registers = 0;
#endif
  /* H score rows, and (a bf16 cache widened in memory) one row's keys and values, (S, KH, D) each */
  const int64_t S1 = S > 0 ? S : 1, kv_row = KH * D;
  /* on the stack when the score rows fit (DECODE_STACK_FLOATS): no allocation per step there */
  float stack_scratch[DECODE_STACK_FLOATS], *stack_rows[DECODE_STACK_HEADS];
  const int64_t floats = (H + (c->k16 && !in_registers ? 2 * kv_row : 0)) * S1;
  float *scratch = floats <= DECODE_STACK_FLOATS ? stack_scratch : malloc((size_t)floats * sizeof(float));
  float **rows = H <= DECODE_STACK_HEADS ? stack_rows : malloc((size_t)H * sizeof(float *));
  if (!scratch || !rows) abort();
  float *kwide = scratch + H * S1, *vwide = kwide + kv_row * S1;
  for (int64_t b = lo; b < hi; b++) {
    int64_t ks = c->key_start ? c->key_start[b] : 0;
    if (ks < 0) ks = 0;
    if (ks > S) ks = S;
#ifdef __AVX512F__
    if (in_registers) {
      /* the next row's first keys and values, into L2 while this row's last query runs */
      const char *next_k = NULL, *next_v = NULL;
      int64_t next_lines = 0;
      if (b + 1 < hi) {
        const int64_t next = c->key_start && c->key_start[b + 1] > 0 ? c->key_start[b + 1] : 0;
        const int64_t count = S - next < PREFETCH_NEXT_ROWS ? S - next : PREFETCH_NEXT_ROWS;
        next_k = (const char *)(c->k16 + ((b + 1) * cap + next) * kv_row);
        next_v = (const char *)(c->v16 + ((b + 1) * cap + next) * kv_row);
        next_lines = count > 0 ? (count * kv_row * 2 + 63) / 64 : 0;
      }
      for (int64_t t = 0; t < T; t++) {
        for (int64_t h = 0; h < H; h++) rows[h] = scratch + h * S1;
        const int64_t row = (b * T + t) * H, last = t == T - 1;
        attend_query_bf16(c->q + row * D, c->k16 + b * cap * kv_row, c->v16 + b * cap * kv_row, H, KH, first_key(c, b, t, ks),
                          S - T + t, S, D, scale, rows, c->out + row * D, next_k, next_v, last ? next_lines : 0);
      }
      continue;
    }
#endif
    const float *kb = c->k16 ? kwide : c->k + b * cap * kv_row, *vb = c->k16 ? vwide : c->v + b * cap * kv_row;
    if (c->k16 && ks < S) { /* only the visible keys [ks, S), at their own positions */
      widen_rows(c->k16 + (b * cap + ks) * kv_row, kv_row, S - ks, kv_row, kwide + ks * kv_row, kv_row);
      widen_rows(c->v16 + (b * cap + ks) * kv_row, kv_row, S - ks, kv_row, vwide + ks * kv_row, kv_row);
    }
    attention_block blk = {0, 0, 0, 0, 0};
    int64_t stored = 0; /* offset of blk's probabilities in each (b, h) region (see forward_head) */
    for (int64_t t = 0; t < T; t++) {
      for (int64_t h = 0; h < H; h++) rows[h] = scratch + h * S1;
      const int64_t row = (b * T + t) * H;
      attend_query(c->q + row * D, kb, vb, H, KH, first_key(c, b, t, ks), S - T + t, S, D, scale, rows, c->out + row * D);
      if (!c->probs) continue;
      if (t >= blk.t0 + blk.rows) { /* the next block: probabilities stored as the blocked forward does */
        stored += blk.rows * (blk.kend - blk.from);
        blk.t0 = t;
        block_window(c, b, ks, &blk);
      }
      const int64_t w = blk.kend - blk.from;
      for (int64_t h = 0; h < H; h++)
        memcpy(c->probs + (b * H + h) * T * S + stored + (t - blk.t0) * w, rows[h] + blk.from, (size_t)w * sizeof(float));
    }
  }
  if (rows != stack_rows) free(rows);
  if (scratch != stack_scratch) free(scratch);
}

static void forward(const attention_ctx *ctx);

void sl_attention_forward(const sl_attention_shape *shape, const float *q, const float *k,
                          const float *v, const int32_t *key_start, const int32_t *segment_start,
                          float *out, float *probs) {
  attention_ctx c = {shape, q, k, v, NULL, NULL, key_start, segment_start, out, probs, NULL, NULL, NULL, NULL, NULL};
  forward(&c);
}

/* Attention over a bfloat16 cache, which streams half the bytes of a float one (decoding attention
 * is bound by that stream). Decoding rows on AVX-512 builds (headDim % 32 == 0, <= 128) widen the
 * values in registers (attend_query_bf16), prefill blocks (headDim % 16 == 0, <= 128) widen the
 * keys and values into the register kernels' scratch (attention_blocks_range); other shapes widen
 * each task's keys and values into float scratch (exact) and run the float kernels. Equal to
 * sl_attention_forward on the widened cache up to float summation order. */
void sl_attention_forward_bf16kv(const sl_attention_shape *shape, const float *q, const uint16_t *k,
                                 const uint16_t *v, const int32_t *key_start, float *out) {
  attention_ctx c = {shape, q, NULL, NULL, NULL, NULL, key_start, NULL, out, NULL, NULL, NULL, NULL, k, v};
  forward(&c);
}

static void forward(const attention_ctx *ctx) {
  attention_ctx c = *ctx;
  const sl_attention_shape *shape = c.shape;
  if (shape->query_length < SL_BLAS_MIN_ROWS) {
    const int64_t per_row = shape->heads * shape->query_length * shape->key_length * shape->head_dim;
    sl_parallel_for(shape->batch, per_row >= SL_ATTENTION_GRAIN ? 1 : SL_ATTENTION_GRAIN / (per_row + 1) + 1,
                    attention_decode_range, &c);
    return;
  }
  const int64_t tasks = shape->batch * shape->kv_heads;
  const int64_t per_task = (shape->heads / shape->kv_heads) * shape->query_length *
                           shape->key_length * shape->head_dim;
  sl_range_fn range = attention_forward_range;
#ifdef __AVX512F__
  if (register_blocks(shape->head_dim)) range = attention_blocks_range;
#endif
  sl_parallel_for(tasks, per_task >= SL_ATTENTION_GRAIN ? 1 : SL_ATTENTION_GRAIN / (per_task + 1) + 1, range, &c);
}

/* A backward task's dK and dV rows (S rows of D floats, `stride` apart) set to zero before its
 * heads add into them. */
static void zero_kv_rows(float *dk, float *dv, int64_t S, int64_t stride, int64_t D) {
  for (int64_t s = 0; s < S; s++) {
    memset(dk + s * stride, 0, (size_t)D * sizeof(float));
    memset(dv + s * stride, 0, (size_t)D * sizeof(float));
  }
}

/* With P the probabilities and dP = dO V^T:  dS = P * (dP - rowsum(P * dP)),
 * dQ = scale dS K,  dK = scale dS^T Q,  dV = P^T dO. Per block of query rows only the keys
 * [lo, kend) are visible (lo: the block's lowest segment start), so every product is restricted
 * to them. Left padding needs no range here: its probabilities are zero. */
static void attention_backward_range(void *p, int64_t lo, int64_t hi) {
  const attention_ctx *c = p;
  const sl_attention_shape *sh = c->shape;
  const int64_t T = sh->query_length, S = sh->key_length, H = sh->heads, KH = sh->kv_heads;
  const int64_t D = sh->head_dim, group = H / KH, kv_stride = KH * D;
  const float scale = 1.0f / sqrtf((float)D);
  /* one block of dS rows, then the task's values transposed (D, S) (dP = dO V^T as an NN product) */
  const int64_t S1 = S > 0 ? S : 1;
  float *ds = malloc((size_t)((SL_ROW_BLOCK + D) * S1) * sizeof(float));
  if (!ds) abort();
  float *vt = ds + SL_ROW_BLOCK * S1;
  for (int64_t task = lo; task < hi; task++) {
    const int64_t b = task / KH, kh = task % KH;
    const int64_t base = (b * S * KH + kh) * D;
    const float *kb = c->k + base, *vb = c->v + base;
    transpose_rows(vb, kv_stride, S, D, vt);
    float *dkb = c->dk + base, *dvb = c->dv + base;
    zero_kv_rows(dkb, dvb, S, kv_stride, D);
    for (int64_t g = 0; g < group; g++) {
      const int64_t h = kh * group + g;
      const float *stored = c->probs_in + (b * H + h) * T * S;
      attention_block blk;
      for (blk.t0 = 0; blk.t0 < T; blk.t0 += blk.rows) {
        block_window(c, b, 0, &blk);
        const int64_t t0 = blk.t0, rows = blk.rows, lo = blk.from, kend = blk.kend, w = kend - lo;
        const float *pb = stored; /* the block's probabilities, rows x w (see forward_head) */
        stored += rows * w;
        if (lo >= kend) {
          for (int64_t r = 0; r < rows; r++) memset(c->dq + ((b * T + t0 + r) * H + h) * D, 0, (size_t)D * sizeof(float));
          continue;
        }
        const int64_t row0 = (b * T + t0) * H + h;
        const float *dob = c->d_out + row0 * D, *qb = c->q + row0 * D;
        float *dqb = c->dq + row0 * D;
        /* dP (rows x w, keys [lo, kend)) = dO V^T, then dS in place */
        sl_sgemm(0, 0, rows, w, D, 1.0f, dob, H * D, vt + lo, S, 0.0f, ds, w);
        for (int64_t r = 0; r < rows; r++) {
          const float *pr = pb + r * w;
          float *dr = ds + r * w;
          const int64_t first = first_key(c, b, t0 + r, 0) - lo, last = S - T + t0 + r - lo;
          float rowsum = 0.0f;
#pragma omp simd reduction(+ : rowsum)
          for (int64_t s = first; s <= last; s++) rowsum += pr[s] * dr[s];
          for (int64_t s = 0; s < first && s < w; s++) dr[s] = 0.0f;
#pragma omp simd
          for (int64_t s = first; s <= last; s++) dr[s] = pr[s] * (dr[s] - rowsum) * scale;
          for (int64_t s = (last + 1 > 0 ? last + 1 : 0); s < w; s++) dr[s] = 0.0f;
        }
        sl_sgemm(0, 0, rows, D, w, 1.0f, ds, w, kb + lo * kv_stride, kv_stride, 0.0f, dqb, H * D);
        sl_sgemm(1, 0, w, D, rows, 1.0f, ds, w, qb, H * D, 1.0f, dkb + lo * kv_stride, kv_stride);
        sl_sgemm(1, 0, w, D, rows, 1.0f, pb, w, dob, H * D, 1.0f, dvb + lo * kv_stride, kv_stride);
      }
    }
  }
  free(ds);
}

#ifdef __AVX512F__
/* attention_backward_range's blocks in registers (AVX-512, D % 16 == 0, D <= 128): per block
 * dP = dO V^T (block_scores over V transposed), dS in place, dQ = dS K, then dK += dS^T Q and
 * dV += P^T dO PV_ROWS keys at a time (prefill_pv with dS / P read transposed), in a fixed order
 * per task as before (deterministic for any thread count). */
static void attention_backward_blocks_range(void *arg, int64_t lo, int64_t hi) {
  const attention_ctx *c = arg;
  const sl_attention_shape *sh = c->shape;
  const int64_t T = sh->query_length, S = sh->key_length, H = sh->heads, KH = sh->kv_heads;
  const int64_t D = sh->head_dim, group = H / KH, kv_stride = KH * D, Sp = (S + 31) / 32 * 32;
  const float scale = 1.0f / sqrtf((float)D);
  const int R = (int)PV_ROWS(D / 16);
  /* V transposed (D, Sp); a block's dS and its P (rows x Sp, padded as the forward's scores:
   * reads run up to PV_ROWS - 1 columns past a block's last key, into the next row) */
  const int64_t p_rows = SL_ROW_BLOCK + 16;
  float *vt = calloc((size_t)(D * Sp + 2 * p_rows * Sp + 8 * D), sizeof(float));
  if (!vt) abort();
  float *ds = vt + D * Sp, *pp = ds + p_rows * Sp, *qt = pp + p_rows * Sp;
  for (int64_t task = lo; task < hi; task++) {
    const int64_t b = task / KH, kh = task % KH;
    const int64_t base = (b * S * KH + kh) * D;
    const float *kb = c->k + base;
    transpose_keys(c->v + base, NULL, kv_stride, 0, S, D, vt, Sp);
    float *dkb = c->dk + base, *dvb = c->dv + base;
    zero_kv_rows(dkb, dvb, S, kv_stride, D);
    for (int64_t g = 0; g < group; g++) {
      const int64_t h = kh * group + g;
      const float *stored = c->probs_in + (b * H + h) * T * S;
      attention_block blk;
      for (blk.t0 = 0; blk.t0 < T; blk.t0 += blk.rows) {
        block_window(c, b, 0, &blk);
        const int64_t t0 = blk.t0, rows = blk.rows, first = blk.from, kend = blk.kend, w = kend - first;
        const float *pb = stored; /* the block's probabilities, rows x w (see forward_head) */
        stored += rows * w;
        const int64_t row0 = (b * T + t0) * H + h;
        const float *dob = c->d_out + row0 * D, *qb = c->q + row0 * D;
        if (first >= kend) {
          for (int64_t r = 0; r < rows; r++) memset(c->dq + (row0 + r * H) * D, 0, (size_t)D * sizeof(float));
          continue;
        }
        block_scores(dob, H * D, rows, vt, Sp, D, first / 16 * 16, (kend + 15) / 16 * 16, 1.0f, qt, ds, Sp);
        for (int64_t r = 0; r < rows; r++) {
          const float *pr = pb + r * w; /* pr[s - first]: key s */
          float *dr = ds + r * Sp;
          const int64_t from = first_key(c, b, t0 + r, 0), last = S - T + t0 + r;
          float rowsum = 0.0f;
#pragma omp simd reduction(+ : rowsum)
          for (int64_t s = from; s <= last; s++) rowsum += pr[s - first] * dr[s];
          for (int64_t s = first; s < from && s < kend; s++) dr[s] = 0.0f;
#pragma omp simd
          for (int64_t s = from; s <= last; s++) dr[s] = pr[s - first] * (dr[s] - rowsum) * scale;
          for (int64_t s = last + 1 > first ? last + 1 : first; s < kend; s++) dr[s] = 0.0f;
          memcpy(pp + r * Sp + first, pr, (size_t)w * sizeof(float));
        }
        for (int64_t r0 = 0; r0 < rows; r0 += R) {
          const int n = rows - r0 < R ? (int)(rows - r0) : R;
          float *out[12];
          for (int r = 0; r < n; r++) out[r] = c->dq + (row0 + (r0 + r) * H) * D;
          prefill_pv(ds + r0 * Sp, Sp, 1, kb, kv_stride, first, kend, D, n, out, 0);
        }
        for (int64_t s0 = first; s0 < kend; s0 += R) {
          const int n = kend - s0 < R ? (int)(kend - s0) : R;
          float *dk_rows[12], *dv_rows[12];
          for (int r = 0; r < n; r++) dk_rows[r] = dkb + (s0 + r) * kv_stride, dv_rows[r] = dvb + (s0 + r) * kv_stride;
          prefill_pv(ds + s0, 1, Sp, qb, H * D, 0, rows, D, n, dk_rows, 1);
          prefill_pv(pp + s0, 1, Sp, dob, H * D, 0, rows, D, n, dv_rows, 1);
        }
      }
    }
  }
  free(vt);
}
#endif

void sl_attention_backward(const sl_attention_shape *shape, const float *d_out, const float *q,
                           const float *k, const float *v, const float *probs,
                           const int32_t *segment_start, float *dq, float *dk, float *dv) {
  attention_ctx c = {shape, q, k, v, d_out, probs, NULL, segment_start, NULL, NULL, dq, dk, dv, NULL, NULL};
  const int64_t tasks = shape->batch * shape->kv_heads;
  const int64_t per_task = 2 * (shape->heads / shape->kv_heads) * shape->query_length *
                           shape->key_length * shape->head_dim;
  sl_range_fn range = attention_backward_range;
#ifdef __AVX512F__
  if (register_blocks(shape->head_dim)) range = attention_backward_blocks_range;
#endif
  sl_parallel_for(tasks, per_task >= SL_ATTENTION_GRAIN ? 1 : SL_ATTENTION_GRAIN / (per_task + 1) + 1, range, &c);
}
