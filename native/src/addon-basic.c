/* N-API wrappers for the basic kernels: threads, GEMM, element-wise ops, embedding. Each checks
 * argument types and every buffer length (and id ranges) and throws a JS error rather than
 * touching memory out of bounds, then calls the plain C kernel. Not here: kernel math. */
#include <stdio.h>
#include "addon.h"
#include "kernels.h"

napi_value js_set_threads(napi_env env, napi_callback_info info) {
  sl_args a;
  int64_t threads;
  TRY(sl_args_init(env, info, "setThreads", 1, &a));
  TRY(sl_arg_dim(&a, 0, "threads", &threads));
  if (threads < 1) TRY(sl_fail(&a, "threads must be >= 1"));
  sl_set_threads((int)(threads > 256 ? 256 : threads));
  return NULL;
}

napi_value js_get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  return sl_number_value(env, sl_get_threads());
}

napi_value js_gemm(napi_env env, napi_callback_info info) {
  sl_args a;
  int ta, tb, acc, bcast;
  int64_t batch, M, N, K, la, lb, lc, sa, sb, sc;
  float *A, *B, *C;
  TRY(sl_args_init(env, info, "gemm", 10, &a));
  TRY(sl_arg_bool(&a, 0, "transA", &ta) && sl_arg_bool(&a, 1, "transB", &tb));
  TRY(sl_arg_dim(&a, 2, "batch", &batch) && sl_arg_dim(&a, 3, "M", &M));
  TRY(sl_arg_dim(&a, 4, "N", &N) && sl_arg_dim(&a, 5, "K", &K));
  TRY(sl_arg_f32(&a, 6, "A", &A, &la) && sl_arg_f32(&a, 7, "B", &B, &lb));
  TRY(sl_arg_f32(&a, 8, "C", &C, &lc));
  TRY(sl_arg_bool(&a, 9, "accumulate", &acc) && sl_arg_bool(&a, 10, "broadcastB", &bcast));
  TRY(sl_mul_checked(&a, M, K, &sa) && sl_mul_checked(&a, sa, batch, &sa));
  TRY(sl_mul_checked(&a, K, N, &sb) && sl_mul_checked(&a, sb, bcast ? 1 : batch, &sb));
  TRY(sl_mul_checked(&a, M, N, &sc) && sl_mul_checked(&a, sc, batch, &sc));
  TRY(sl_check_length(&a, "A", la, sa, "batch*M*K"));
  TRY(sl_check_length(&a, "B", lb, sb, bcast ? "K*N (broadcast)" : "batch*K*N"));
  TRY(sl_check_length(&a, "C", lc, sc, "batch*M*N"));
  sl_gemm(ta, tb, batch, M, N, K, A, B, C, acc, bcast);
  return NULL;
}

/* add / mul: (a, b, out), all the same length. */
static napi_value binary_op(napi_env env, napi_callback_info info, const char *fn, int is_mul) {
  sl_args a;
  float *x, *y, *out;
  int64_t lx, ly, lo;
  TRY(sl_args_init(env, info, fn, 3, &a));
  TRY(sl_arg_f32(&a, 0, "a", &x, &lx) && sl_arg_f32(&a, 1, "b", &y, &ly));
  TRY(sl_arg_f32(&a, 2, "out", &out, &lo));
  TRY(sl_check_length(&a, "a", lx, lo, "out.length") && sl_check_length(&a, "b", ly, lo, "out.length"));
  if (is_mul) sl_mul(x, y, out, lo);
  else sl_add(x, y, out, lo);
  return NULL;
}
napi_value js_add(napi_env env, napi_callback_info info) { return binary_op(env, info, "add", 0); }
napi_value js_mul(napi_env env, napi_callback_info info) { return binary_op(env, info, "mul", 1); }

napi_value js_add_into(napi_env env, napi_callback_info info) {
  sl_args a;
  float *target, *source;
  int64_t lt, ls;
  double scale;
  TRY(sl_args_init(env, info, "addInto", 3, &a));
  TRY(sl_arg_f32(&a, 0, "target", &target, &lt) && sl_arg_f32(&a, 1, "source", &source, &ls));
  TRY(sl_arg_number(&a, 2, "scale", &scale));
  TRY(sl_check_length(&a, "source", ls, lt, "target.length"));
  sl_add_into(target, source, (float)scale, lt);
  return NULL;
}

napi_value js_scale(napi_env env, napi_callback_info info) {
  sl_args a;
  float *x, *out;
  int64_t lx, lo;
  double factor;
  TRY(sl_args_init(env, info, "scale", 3, &a));
  TRY(sl_arg_f32(&a, 0, "a", &x, &lx) && sl_arg_number(&a, 1, "factor", &factor));
  TRY(sl_arg_f32(&a, 2, "out", &out, &lo));
  TRY(sl_check_length(&a, "a", lx, lo, "out.length"));
  sl_scale(x, (float)factor, out, lo);
  return NULL;
}

napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  sl_args a;
  float *x;
  int64_t n;
  TRY(sl_args_init(env, info, "sumSquares", 1, &a));
  TRY(sl_arg_f32(&a, 0, "a", &x, &n));
  return sl_number_value(env, sl_sum_squares(x, n));
}

/* argmaxRows(x, width, out): out.length rows of x */
napi_value js_argmax_rows(napi_env env, napi_callback_info info) {
  sl_args a;
  float *x;
  int32_t *out;
  int64_t lx, width, rows, need;
  TRY(sl_args_init(env, info, "argmaxRows", 3, &a));
  TRY(sl_arg_f32(&a, 0, "x", &x, &lx) && sl_arg_dim(&a, 1, "width", &width));
  TRY(sl_arg_i32(&a, 2, "out", &out, &rows));
  if (width == 0) TRY(sl_fail(&a, "width must be at least 1"));
  TRY(sl_mul_checked(&a, rows, width, &need) && sl_check_length(&a, "x", lx, need, "out.length*width"));
  sl_argmax_rows(x, rows, width, out);
  return NULL;
}

/* embeddingForward(weight, ids, channels, out) / embeddingBackward(dOut, ids, channels, dWeight) */
static napi_value embedding(napi_env env, napi_callback_info info, int backward) {
  sl_args a;
  float *table, *rows_buf;
  int32_t *ids;
  int64_t lt, lr, n, channels, need;
  const char *table_name = backward ? "dWeight" : "weight", *rows_name = backward ? "dOut" : "out";
  TRY(sl_args_init(env, info, backward ? "embeddingBackward" : "embeddingForward", 4, &a));
  TRY(sl_arg_f32(&a, backward ? 3 : 0, table_name, &table, &lt));
  TRY(sl_arg_i32(&a, 1, "ids", &ids, &n) && sl_arg_dim(&a, 2, "channels", &channels));
  TRY(sl_arg_f32(&a, backward ? 0 : 3, rows_name, &rows_buf, &lr));
  if (channels == 0 || lt % channels != 0) TRY(sl_fail(&a, "channels must divide the table length"));
  TRY(sl_mul_checked(&a, n, channels, &need) && sl_check_length(&a, rows_name, lr, need, "ids.length*channels"));
  TRY(sl_check_ids(&a, "ids", ids, n, lt / channels, 0));
  if (backward) sl_embedding_backward(rows_buf, ids, n, channels, table);
  else sl_embedding_forward(table, ids, n, channels, rows_buf);
  return NULL;
}
napi_value js_embedding_forward(napi_env env, napi_callback_info info) { return embedding(env, info, 0); }
napi_value js_embedding_backward(napi_env env, napi_callback_info info) { return embedding(env, info, 1); }


napi_value js_bf16_fast(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_get_boolean(env, sl_bf16_fast() != 0, &result);
  return result;
}

/* bf16Kernel(): the name of the path that runs the bf16 GEMMs; bf16Kernel(name): selects an
 * available one for later calls ("amx", "avx512-bf16", "portable"), for tests and benchmarks that
 * compare the paths on one CPU; throws for an unknown or unavailable name. Returns the name. */
napi_value js_bf16_kernel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc >= 1) {
    napi_valuetype type;
    napi_typeof(env, argv[0], &type);
    if (type != napi_undefined) {
      char name[32];
      size_t length = 0;
      if (type != napi_string || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length) != napi_ok) {
        napi_throw_type_error(env, NULL, "bf16Kernel: name must be a string");
        return NULL;
      }
      const int kind = sl_bf16_kernel_from_name(name);
      if (kind < 0 || !sl_bf16_use_kernel(kind)) {
        char message[96];
        snprintf(message, sizeof message, "bf16Kernel: %s is %s", name, kind < 0 ? "not a bf16 kernel" : "not available on this CPU");
        napi_throw_range_error(env, NULL, message);
        return NULL;
      }
    }
  }
  napi_create_string_utf8(env, sl_bf16_kernel_name(sl_bf16_kernel()), NAPI_AUTO_LENGTH, &result);
  return result;
}

/* bf16Kernels(): the names of the paths this CPU can run, best first as bf16Kernel picks them. */
napi_value js_bf16_kernels(napi_env env, napi_callback_info info) {
  (void)info;
  int kinds[SL_BF16_KERNELS];
  const int count = sl_bf16_kernels(kinds);
  napi_value list, name;
  napi_create_array(env, &list);
  for (int i = 0; i < count; i++) {
    napi_create_string_utf8(env, sl_bf16_kernel_name(kinds[i]), NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, list, (uint32_t)i, name);
  }
  return list;
}

napi_value js_bf16_packed_length(napi_env env, napi_callback_info info) {
  sl_args a;
  int64_t N, K;
  TRY(sl_args_init(env, info, "bf16PackedLength", 2, &a));
  TRY(sl_arg_dim(&a, 0, "N", &N) && sl_arg_dim(&a, 1, "K", &K));
  return sl_number_value(env, (double)sl_bf16_packed_length(N, K));
}

/* bf16Pack(weight (N,K) f32, N, K, out Uint16Array of bf16PackedLength(N, K), transposed?):
 * transposed = weight stored (K,N), its transpose packed */
napi_value js_bf16_pack(napi_env env, napi_callback_info info) {
  sl_args a;
  float *w;
  uint16_t *out;
  int64_t N, K, lw, lo, size;
  TRY(sl_args_init(env, info, "bf16Pack", 4, &a));
  TRY(sl_arg_f32(&a, 0, "weight", &w, &lw) && sl_arg_dim(&a, 1, "N", &N) && sl_arg_dim(&a, 2, "K", &K));
  int transposed;
  TRY(sl_arg_u16(&a, 3, "out", &out, &lo) && sl_arg_bool(&a, 4, "transposed", &transposed));
  TRY(sl_mul_checked(&a, N, K, &size) && sl_check_length(&a, "weight", lw, size, "N*K"));
  TRY(sl_check_length(&a, "out", lo, sl_bf16_packed_length(N, K), "bf16PackedLength(N, K)"));
  sl_bf16_pack(w, N, K, transposed, out);
  return NULL;
}

/* bf16Gemm(M, N, K, x (M,K) f32, packed Uint16Array, y (M,N) f32, accumulate?, transX?):
 * transX = x stored (K,M) */
napi_value js_bf16_gemm(napi_env env, napi_callback_info info) {
  sl_args a;
  float *x, *y;
  uint16_t *packed;
  int64_t M, N, K, lx, lp, ly, sx, sy;
  TRY(sl_args_init(env, info, "bf16Gemm", 6, &a));
  TRY(sl_arg_dim(&a, 0, "M", &M) && sl_arg_dim(&a, 1, "N", &N) && sl_arg_dim(&a, 2, "K", &K));
  TRY(sl_arg_f32(&a, 3, "x", &x, &lx) && sl_arg_u16(&a, 4, "packed", &packed, &lp));
  int acc, tx;
  TRY(sl_arg_f32(&a, 5, "y", &y, &ly) && sl_arg_bool(&a, 6, "accumulate", &acc) && sl_arg_bool(&a, 7, "transX", &tx));
  TRY(sl_mul_checked(&a, M, K, &sx) && sl_mul_checked(&a, M, N, &sy));
  TRY(sl_check_length(&a, "x", lx, sx, "M*K") && sl_check_length(&a, "y", ly, sy, "M*N"));
  TRY(sl_check_length(&a, "packed", lp, sl_bf16_packed_length(N, K), "bf16PackedLength(N, K)"));
  sl_bf16_gemm(tx, M, N, K, x, packed, y, acc);
  return NULL;
}

/* bf16GemmMixed(transA, transB, M, N, K, A, B, C, accumulate): as gemm (batch 1) with bf16 inputs */
napi_value js_bf16_gemm_mixed(napi_env env, napi_callback_info info) {
  sl_args a;
  int ta, tb, acc;
  int64_t M, N, K, la, lb, lc, sa, sb, sc;
  float *A, *B, *C;
  TRY(sl_args_init(env, info, "bf16GemmMixed", 9, &a));
  TRY(sl_arg_bool(&a, 0, "transA", &ta) && sl_arg_bool(&a, 1, "transB", &tb));
  TRY(sl_arg_dim(&a, 2, "M", &M) && sl_arg_dim(&a, 3, "N", &N) && sl_arg_dim(&a, 4, "K", &K));
  TRY(sl_arg_f32(&a, 5, "A", &A, &la) && sl_arg_f32(&a, 6, "B", &B, &lb));
  TRY(sl_arg_f32(&a, 7, "C", &C, &lc) && sl_arg_bool(&a, 8, "accumulate", &acc));
  TRY(sl_mul_checked(&a, M, K, &sa) && sl_mul_checked(&a, K, N, &sb) && sl_mul_checked(&a, M, N, &sc));
  TRY(sl_check_length(&a, "A", la, sa, "M*K") && sl_check_length(&a, "B", lb, sb, "K*N"));
  TRY(sl_check_length(&a, "C", lc, sc, "M*N"));
  sl_bf16_gemm_mixed(ta, tb, M, N, K, A, B, C, acc);
  return NULL;
}

napi_value js_f32_packed_length(napi_env env, napi_callback_info info) {
  sl_args a;
  int64_t N, K;
  TRY(sl_args_init(env, info, "f32PackedLength", 2, &a));
  TRY(sl_arg_dim(&a, 0, "N", &N) && sl_arg_dim(&a, 1, "K", &K));
  return sl_number_value(env, (double)sl_f32_packed_length(N, K));
}

/* f32Pack(weight (N,K) f32, N, K, out Float32Array of f32PackedLength(N, K)) */
napi_value js_f32_pack(napi_env env, napi_callback_info info) {
  sl_args a;
  float *w, *out;
  int64_t N, K, lw, lo, size;
  TRY(sl_args_init(env, info, "f32Pack", 4, &a));
  TRY(sl_arg_f32(&a, 0, "weight", &w, &lw) && sl_arg_dim(&a, 1, "N", &N) && sl_arg_dim(&a, 2, "K", &K));
  TRY(sl_arg_f32(&a, 3, "out", &out, &lo));
  TRY(sl_mul_checked(&a, N, K, &size) && sl_check_length(&a, "weight", lw, size, "N*K"));
  TRY(sl_check_length(&a, "out", lo, sl_f32_packed_length(N, K), "f32PackedLength(N, K)"));
  sl_f32_pack(w, N, K, out);
  return NULL;
}

/* f32PackedGemm(M, N, K, x (M,K) f32, packed Float32Array, y (M,N) f32) */
napi_value js_f32_packed_gemm(napi_env env, napi_callback_info info) {
  sl_args a;
  float *x, *y, *packed;
  int64_t M, N, K, lx, lp, ly, sx, sy;
  TRY(sl_args_init(env, info, "f32PackedGemm", 6, &a));
  TRY(sl_arg_dim(&a, 0, "M", &M) && sl_arg_dim(&a, 1, "N", &N) && sl_arg_dim(&a, 2, "K", &K));
  TRY(sl_arg_f32(&a, 3, "x", &x, &lx) && sl_arg_f32(&a, 4, "packed", &packed, &lp));
  TRY(sl_arg_f32(&a, 5, "y", &y, &ly));
  TRY(sl_mul_checked(&a, M, K, &sx) && sl_mul_checked(&a, M, N, &sy));
  TRY(sl_check_length(&a, "x", lx, sx, "M*K") && sl_check_length(&a, "y", ly, sy, "M*N"));
  TRY(sl_check_length(&a, "packed", lp, sl_f32_packed_length(N, K), "f32PackedLength(N, K)"));
  sl_f32_packed_gemm(M, N, K, x, packed, y);
  return NULL;
}
