/* A minimal thread pool for the kernels (see parallel.h for the contract) and the thread-count
 * setting shared with OpenBLAS, which is kept single-threaded: big GEMMs are split into slabs
 * on this pool instead, so two pools never compete for the same cores.
 * Design: one job at a time, published as an atomic claim word [generation | next | total];
 * workers and the caller claim chunks with compare-and-swap and count finished ones; idle workers
 * spin briefly (cheap hand-offs between back-to-back kernels) and then sleep on a condition
 * variable. The thread count is process-wide, as OpenBLAS's is. Not here: kernel math. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include "parallel.h"

#ifdef SL_HAVE_OPENBLAS
void openblas_set_num_threads(int num_threads); /* exported by OpenBLAS */
#endif

#define SL_MAX_THREADS 64
#define SL_MAX_CHUNKS 1024
#define SL_SPIN_NS 200000 /* idle workers spin this long before sleeping */

/* claim word: generation (24 bits) | next chunk (20 bits) | total chunks (20 bits) */
#define NEXT_SHIFT 20
#define GEN_SHIFT 40
#define FIELD_MASK ((UINT64_C(1) << 20) - 1)
#define NEXT_OF(c) (((c) >> NEXT_SHIFT) & FIELD_MASK)
#define TOTAL_OF(c) ((c) & FIELD_MASK)

static struct {
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  _Atomic uint64_t claim;
  _Atomic int64_t done;
  atomic_int sleepers;
  atomic_int busy;    /* 1 while some thread is submitting a job (others then run serially) */
  atomic_int threads; /* configured count, including the caller */
  int started;        /* workers created so far; only touched while holding `busy` */
  /* the current job: written by the submitter before it publishes `claim`, read by workers only
   * after a successful claim, and not rewritten until every chunk has finished */
  sl_range_fn fn;
  void *ctx;
  int64_t n, chunks;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Claims and runs one chunk of the current job; 0 when none is left. */
static int run_one_chunk(void) {
  uint64_t c = atomic_load_explicit(&pool.claim, memory_order_acquire);
  while (NEXT_OF(c) < TOTAL_OF(c)) {
    if (atomic_compare_exchange_weak_explicit(&pool.claim, &c, c + (UINT64_C(1) << NEXT_SHIFT),
                                              memory_order_acq_rel, memory_order_acquire)) {
      const int64_t i = (int64_t)NEXT_OF(c);
      const int64_t begin = pool.n * i / pool.chunks, end = pool.n * (i + 1) / pool.chunks;
      pool.fn(pool.ctx, begin, end);
      atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
      return 1;
    }
  }
  return 0;
}

static int work_available(void) {
  const uint64_t c = atomic_load(&pool.claim);
  return NEXT_OF(c) < TOTAL_OF(c);
}

static void *worker_main(void *arg) {
  (void)arg;
  for (;;) {
    if (run_one_chunk()) continue;
    const int64_t spin_until = now_ns() + SL_SPIN_NS;
    int found = 0;
    for (int i = 1; !found; i++) {
      cpu_relax();
      found = work_available();
      if (!found && (i & 255) == 0) {
        if (now_ns() > spin_until) break;
        sched_yield(); /* let other processes have the core on a busy machine */
      }
    }
    if (found) continue;
    /* Sleep. sleepers is raised before re-checking for work, and the submitter publishes work
     * before reading sleepers (both sequentially consistent), so a wake-up is never missed. */
    pthread_mutex_lock(&pool.mutex);
    atomic_fetch_add(&pool.sleepers, 1);
    while (!work_available()) pthread_cond_wait(&pool.wake, &pool.mutex);
    atomic_fetch_sub(&pool.sleepers, 1);
    pthread_mutex_unlock(&pool.mutex);
  }
  return NULL;
}

/* Creates workers up to threads - 1 (called with `busy` held). Returns how many exist. */
static int ensure_workers(int threads) {
  while (pool.started < threads - 1 && pool.started < SL_MAX_THREADS - 1) {
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    const int failed = pthread_create(&thread, &attr, worker_main, NULL);
    pthread_attr_destroy(&attr);
    if (failed) break; /* fewer threads than asked: still correct, the caller does the rest */
    pool.started++;
  }
  return pool.started;
}

void sl_parallel_for(int64_t n, int64_t min_chunk, sl_range_fn fn, void *ctx) {
  sl_parallel_for_per_thread(n, min_chunk, 4, fn, ctx);
}

void sl_parallel_for_per_thread(int64_t n, int64_t min_chunk, int per_thread, sl_range_fn fn, void *ctx) {
  if (n <= 0) return;
  const int threads = atomic_load_explicit(&pool.threads, memory_order_relaxed);
  int64_t chunks = n / (min_chunk > 0 ? min_chunk : 1);
  if (chunks > (int64_t)threads * per_thread) chunks = (int64_t)threads * per_thread;
  if (chunks > SL_MAX_CHUNKS) chunks = SL_MAX_CHUNKS;
  int expected = 0;
  /* Serial when there is nothing to split, or the pool is in use (another JS thread, or a
   * kernel called from inside a chunk). */
  if (threads <= 1 || chunks < 2 ||
      !atomic_compare_exchange_strong(&pool.busy, &expected, 1)) {
    fn(ctx, 0, n);
    return;
  }
  if (ensure_workers(threads) == 0) {
    atomic_store(&pool.busy, 0);
    fn(ctx, 0, n);
    return;
  }
  pool.fn = fn;
  pool.ctx = ctx;
  pool.n = n;
  pool.chunks = chunks;
  atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
  const uint64_t generation = (atomic_load(&pool.claim) >> GEN_SHIFT) + 1;
  atomic_store(&pool.claim, ((generation & 0xFFFFFF) << GEN_SHIFT) | (uint64_t)chunks);
  if (atomic_load(&pool.sleepers) > 0) {
    pthread_mutex_lock(&pool.mutex);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mutex);
  }
  while (run_one_chunk()) {
  }
  /* Only chunks a worker has already claimed are left; wait for those. */
  for (int i = 1; atomic_load_explicit(&pool.done, memory_order_acquire) < chunks; i++) {
    cpu_relax();
    if ((i & 1023) == 0) sched_yield(); /* the worker was preempted mid-chunk: let it run */
  }
  atomic_store(&pool.busy, 0);
}

void sl_set_threads(int threads) {
  if (threads < 1) threads = 1;
  if (threads > SL_MAX_THREADS) threads = SL_MAX_THREADS;
  atomic_store(&pool.threads, threads);
#ifdef SL_HAVE_OPENBLAS
  openblas_set_num_threads(1);
#endif
}

int sl_get_threads(void) { return atomic_load(&pool.threads); }
