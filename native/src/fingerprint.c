/* A 64-bit fingerprint of a buffer's bytes, for telling whether weights changed since they were
 * packed (src/model/llama.ts reuses a decoding run's packed weights while every fingerprint
 * matches). Not cryptographic: it guards against accidental staleness, not an adversary. Each
 * 64 KiB chunk runs 64 lanes of 64-bit h = (h ^ word) * P (a bijection of h for a fixed word,
 * so a changed word changes its lane unless a later changed word cancels it exactly), then folds
 * them; chunks are combined in order, so the value does not depend on threads. Reads the buffer
 * once (memory-bound, ~20x cheaper than packing it). Not here: the packing. */
#include <stdlib.h>
#include <string.h>
#include "kernels.h"
#include "parallel.h"

#define CHUNK_BYTES 65536
#define LANES 64 /* independent multiply chains: enough to hide the multiply latency (8 vectors of 8) */
#define PRIME 0x100000001b3ULL /* FNV-1a's 64-bit prime */
#define SEED 0xcbf29ce484222325ULL

static inline uint64_t mix(uint64_t h) { /* splitmix64 finaliser */
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

typedef uint64_t v8u __attribute__((vector_size(64), aligned(8))); /* 8 lanes; two ymm or one zmm */
#define VECTORS (LANES / 8)

static uint64_t chunk_hash(const unsigned char *p, int64_t bytes) {
  v8u lane[VECTORS];
  for (int v = 0; v < VECTORS; v++)
    for (int l = 0; l < 8; l++) lane[v][l] = SEED + (uint64_t)(8 * v + l);
  int64_t i = 0;
  for (; i + LANES * 8 <= bytes; i += LANES * 8) {
    for (int v = 0; v < VECTORS; v++) {
      v8u w;
      memcpy(&w, p + i + 64 * v, sizeof w);
      lane[v] = (lane[v] ^ w) * PRIME;
    }
  }
  if (i < bytes) { /* tail, zero-padded; the length below tells it from real zeros */
    unsigned char tail[LANES * 8] = {0};
    memcpy(tail, p + i, (size_t)(bytes - i));
    for (int v = 0; v < VECTORS; v++) {
      v8u w;
      memcpy(&w, tail + 64 * v, sizeof w);
      lane[v] = (lane[v] ^ w) * PRIME;
    }
  }
  uint64_t h = (uint64_t)bytes;
  for (int v = 0; v < VECTORS; v++)
    for (int l = 0; l < 8; l++) h = mix(h ^ lane[v][l]);
  return h;
}

typedef struct {
  const unsigned char *data;
  int64_t bytes;
  uint64_t *out;
} fingerprint_ctx;

static void fingerprint_range(void *p, int64_t lo, int64_t hi) {
  const fingerprint_ctx *c = p;
  for (int64_t k = lo; k < hi; k++) {
    const int64_t start = k * CHUNK_BYTES, end = start + CHUNK_BYTES < c->bytes ? start + CHUNK_BYTES : c->bytes;
    c->out[k] = chunk_hash(c->data + start, end - start);
  }
}

uint64_t sl_fingerprint(const void *data, int64_t bytes) {
  const int64_t chunks = (bytes + CHUNK_BYTES - 1) / CHUNK_BYTES;
  uint64_t h = mix(SEED ^ (uint64_t)bytes);
  uint64_t small[64];
  uint64_t *out = chunks <= 64 ? small : malloc((size_t)chunks * sizeof(uint64_t));
  if (out == NULL) { /* no memory for the chunk list: the same value, one chunk at a time */
    for (int64_t k = 0; k < chunks; k++) {
      const int64_t start = k * CHUNK_BYTES, end = start + CHUNK_BYTES < bytes ? start + CHUNK_BYTES : bytes;
      h = mix(h ^ chunk_hash((const unsigned char *)data + start, end - start));
    }
    return h;
  }
  fingerprint_ctx c = {data, bytes, out};
  sl_parallel_for(chunks, 4, fingerprint_range, &c);
  for (int64_t k = 0; k < chunks; k++) h = mix(h ^ out[k]);
  if (out != small) free(out);
  return h;
}
