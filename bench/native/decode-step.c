/* Kernel-level timings of bf16 generation on the benchmark's small shape (6 layers, hidden 384,
 * 6 heads of 64, intermediate 1536, vocab 4096), compiled straight from the addon's sources so a
 * kernel change can be measured without Node and with far less noise than the end-to-end bench:
 *
 *   step       decoding steps through sl_decode_layer (6 layers) + the output head, B rows, 63
 *              steps over 65 to 127 keys, bf16 weights and KV cache (6 layers' keys and values,
 *              read in turn as in a run)
 *   attention  the same steps' attention alone (sl_attention_forward_bf16kv over the caches)
 *   products   the same steps' products alone (q/k/v, o, gate/up, down per layer + the head)
 *   prefill    a B x 64-token prefill through sl_decode_layer (6 layers, no head)
 *
 * Prints the median and quartiles of `reps` repetitions (ms per step, or per prefill). Numbers
 * are random-ish constants, not a model: only the time means anything. Not built by npm; build
 * and run (from the repository root, on the machine being measured):
 *
 *   gcc -std=c11 -O3 -march=native -fno-math-errno -fno-trapping-math -ffp-contract=fast -fopenmp-simd \
 *     -DSL_HAVE_OPENBLAS -Inative/src bench/native/decode-step.c \
 *     native/src/{decode,bf16,pool,attention,norm,elementwise,softmax,f32-packed,gemm}.c \
 *     -lopenblas -lpthread -lm -o /tmp/decode-step
 *   /tmp/decode-step step 64 2 40      # mode, batch, threads, reps
 *
 * To compare two versions of a kernel, build one binary per version and alternate them (the
 * machines here drift by 10-30% within minutes), or switch inside one process. */
#define _POSIX_C_SOURCE 199309L /* clock_gettime under -std=c11 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kernels.h"

enum { L = 6, C = 384, I = 1536, V = 4096, H = 6, D = 64, PROMPT = 64, STEPS = 63, CAP = PROMPT + STEPS + 1 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void *aligned(size_t bytes) {
  void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (p == NULL) {
    fprintf(stderr, "decode-step: out of memory (%zu bytes)\n", bytes);
    exit(1);
  }
  return p;
}

static uint16_t *packed_weight(int64_t n, int64_t k, int seed) {
  float *w = aligned(sizeof(float) * (size_t)(n * k));
  for (int64_t j = 0; j < n * k; j++) w[j] = 0.02f * sinf(0.37f * (float)j + (float)seed);
  uint16_t *p = aligned(sizeof(uint16_t) * (size_t)sl_bf16_packed_length(n, k));
  sl_bf16_pack(w, n, k, 0, p);
  free(w);
  return p;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "step";
  const int B = argc > 2 ? atoi(argv[2]) : 16, threads = argc > 3 ? atoi(argv[3]) : 2, reps = argc > 4 ? atoi(argv[4]) : 20;
  const int step_mode = !strcmp(mode, "step"), attention_mode = !strcmp(mode, "attention"), products_mode = !strcmp(mode, "products"),
            prefill_mode = !strcmp(mode, "prefill");
  if (!(step_mode || attention_mode || products_mode || prefill_mode) || B < 1 || B > 4096 || threads < 1 || reps < 1) {
    fprintf(stderr, "usage: decode-step step|attention|products|prefill [batch 1-4096] [threads >= 1] [reps >= 1]\n");
    return 2;
  }
  sl_set_threads(threads);
  if (!sl_bf16_fast()) fprintf(stderr, "decode-step: no fast bf16 kernel on this CPU (%s): timings are the portable path's\n",
                               sl_bf16_kernel_name(sl_bf16_kernel()));

  static const int64_t rows_out[SL_DECODE_WEIGHTS] = {C, C, C, C, I, I, C}, inputs[SL_DECODE_WEIGHTS] = {C, C, C, C, C, C, I};
  const void *weights[L][SL_DECODE_WEIGHTS];
  for (int l = 0; l < L; l++)
    for (int i = 0; i < SL_DECODE_WEIGHTS; i++) weights[l][i] = packed_weight(rows_out[i], inputs[i], 7 * l + i);
  const uint16_t *head = packed_weight(V, C, 99);
  uint16_t *keys[L], *values[L];
  const size_t cache = (size_t)B * CAP * C;
  for (int l = 0; l < L; l++) {
    keys[l] = aligned(cache * sizeof(uint16_t));
    values[l] = aligned(cache * sizeof(uint16_t));
    for (size_t j = 0; j < cache; j++) {
      keys[l][j] = (uint16_t)(0x3c00 + j % 97);
      values[l][j] = (uint16_t)(0x3c00 + j % 89);
    }
  }
  float norm[C], inv_freq[D / 2];
  for (int i = 0; i < C; i++) norm[i] = 1.0f;
  for (int i = 0; i < D / 2; i++) inv_freq[i] = powf(10000.0f, -2.0f * (float)i / D);

  const int64_t T = prefill_mode ? PROMPT : 1;
  sl_decode_shape shape = {B, T, C, H, H, D, I, CAP, 0, 1e-5f, 1, 1};
  float *x = aligned(sizeof(float) * (size_t)(B * T * I)), *logits = aligned(sizeof(float) * (size_t)B * V);
  float *scratch = aligned(sizeof(float) * (size_t)sl_decode_scratch_length(&shape));
  float *out[3];
  for (int i = 0; i < 3; i++) out[i] = aligned(sizeof(float) * (size_t)B * I);
  int32_t *positions = aligned(sizeof(int32_t) * (size_t)(B * T));
  double *times = aligned(sizeof(double) * (size_t)reps);

  for (int r = -1; r < reps; r++) { /* r = -1: warm-up */
    for (int64_t i = 0; i < B * T * C; i++) x[i] = 0.1f * sinf(0.01f * (float)i + (float)r);
    const double started = now();
    if (prefill_mode) {
      shape.past = 0;
      for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) positions[b * T + t] = t;
      for (int l = 0; l < L; l++) sl_decode_layer(&shape, x, norm, norm, weights[l], keys[l], values[l], positions, NULL, inv_freq, scratch);
    } else {
      for (int step = 0; step < STEPS; step++) {
        shape.past = PROMPT + step;
        for (int b = 0; b < B; b++) positions[b] = PROMPT + step;
        if (attention_mode) {
          const sl_attention_shape a = {B, 1, PROMPT + step + 1, H, H, D, CAP};
          for (int l = 0; l < L; l++) sl_attention_forward_bf16kv(&a, x, keys[l], values[l], NULL, out[0]);
          continue;
        }
        if (products_mode) {
          for (int l = 0; l < L; l++) {
            sl_bf16_gemm_shared(B, C, x, 3, (const int64_t[]){C, C, C}, (const uint16_t *const[]){weights[l][0], weights[l][1], weights[l][2]}, out);
            sl_bf16_gemm(0, B, C, C, x, weights[l][3], out[0], 0);
            sl_bf16_gemm_shared(B, C, x, 2, (const int64_t[]){I, I}, (const uint16_t *const[]){weights[l][4], weights[l][5]}, out);
            sl_bf16_gemm(0, B, C, I, x, weights[l][6], out[2], 0);
          }
        } else {
          for (int l = 0; l < L; l++) sl_decode_layer(&shape, x, norm, norm, weights[l], keys[l], values[l], positions, NULL, inv_freq, scratch);
        }
        sl_bf16_gemm(0, B, V, C, x, head, logits, 0);
      }
    }
    if (r >= 0) times[r] = (now() - started) * 1e3 / (prefill_mode ? 1 : STEPS);
  }
  qsort(times, (size_t)reps, sizeof(double), by_value);
  printf("{\"mode\":\"%s\",\"batch\":%d,\"threads\":%d,\"reps\":%d,\"msMedian\":%.3f,\"msQ1\":%.3f,\"msQ3\":%.3f,\"per\":\"%s\",\"bf16Kernel\":\"%s\"}\n",
         mode, B, threads, reps, times[reps / 2], times[reps / 4], times[(3 * reps) / 4], prefill_mode ? "prefill" : "step",
         sl_bf16_kernel_name(sl_bf16_kernel()));
  return 0;
}
