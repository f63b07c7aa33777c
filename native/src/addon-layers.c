/* N-API wrappers for the layer kernels: RMSNorm, RoPE, attention, SwiGLU, softmax,
 * cross-entropy and AdamW. Same contract as addon-basic.c: validate everything, throw JS errors,
 * never read or write out of bounds. Not here: kernel math. */
#include <stdio.h>
#include "addon.h"
#include "kernels.h"

napi_value js_rmsnorm_forward(napi_env env, napi_callback_info info) {
  sl_args a;
  float *x, *w, *out, *rstd;
  int64_t lx, lw, lo, lr, channels;
  double eps;
  TRY(sl_args_init(env, info, "rmsnormForward", 6, &a));
  TRY(sl_arg_f32(&a, 0, "x", &x, &lx) && sl_arg_f32(&a, 1, "weight", &w, &lw));
  TRY(sl_arg_dim(&a, 2, "channels", &channels) && sl_arg_number(&a, 3, "eps", &eps));
  TRY(sl_arg_f32(&a, 4, "out", &out, &lo) && sl_arg_f32(&a, 5, "rstd", &rstd, &lr));
  if (channels == 0 || lx % channels != 0) TRY(sl_fail(&a, "channels must divide x.length"));
  TRY(sl_check_length(&a, "weight", lw, channels, "channels"));
  TRY(sl_check_length(&a, "out", lo, lx, "x.length"));
  TRY(sl_check_length(&a, "rstd", lr, lx / channels, "rows"));
  sl_rmsnorm_forward(x, w, lx / channels, channels, (float)eps, out, rstd);
  return NULL;
}

napi_value js_rmsnorm_backward(napi_env env, napi_callback_info info) {
  sl_args a;
  float *dy, *x, *w, *rstd, *dx, *dw;
  int64_t ldy, lx, lw, lr, ldx, ldw, channels;
  TRY(sl_args_init(env, info, "rmsnormBackward", 7, &a));
  TRY(sl_arg_f32(&a, 0, "dOut", &dy, &ldy) && sl_arg_f32(&a, 1, "x", &x, &lx));
  TRY(sl_arg_f32(&a, 2, "weight", &w, &lw) && sl_arg_f32(&a, 3, "rstd", &rstd, &lr));
  TRY(sl_arg_dim(&a, 4, "channels", &channels));
  TRY(sl_arg_f32(&a, 5, "dx", &dx, &ldx) && sl_arg_f32(&a, 6, "dWeight", &dw, &ldw));
  if (channels == 0 || lx % channels != 0) TRY(sl_fail(&a, "channels must divide x.length"));
  TRY(sl_check_length(&a, "dOut", ldy, lx, "x.length") && sl_check_length(&a, "dx", ldx, lx, "x.length"));
  TRY(sl_check_length(&a, "weight", lw, channels, "channels"));
  TRY(sl_check_length(&a, "dWeight", ldw, channels, "channels"));
  TRY(sl_check_length(&a, "rstd", lr, lx / channels, "rows"));
  sl_rmsnorm_backward(dy, x, w, rstd, lx / channels, channels, dx, dw);
  return NULL;
}

napi_value js_rope(napi_env env, napi_callback_info info) {
  sl_args a;
  float *x, *inv, *out;
  int32_t *pos;
  int64_t lx, lp, li, lo, bt, heads, dim, need;
  int inverse;
  TRY(sl_args_init(env, info, "rope", 8, &a));
  TRY(sl_arg_f32(&a, 0, "x", &x, &lx) && sl_arg_i32(&a, 1, "positions", &pos, &lp));
  TRY(sl_arg_f32(&a, 2, "invFreq", &inv, &li) && sl_arg_dim(&a, 3, "batchTime", &bt));
  TRY(sl_arg_dim(&a, 4, "heads", &heads) && sl_arg_dim(&a, 5, "headDim", &dim));
  TRY(sl_arg_bool(&a, 6, "inverse", &inverse) && sl_arg_f32(&a, 7, "out", &out, &lo));
  if (dim % 2 != 0) TRY(sl_fail(&a, "headDim must be even"));
  TRY(sl_mul_checked(&a, bt, heads, &need) && sl_mul_checked(&a, need, dim, &need));
  TRY(sl_check_length(&a, "x", lx, need, "batchTime*heads*headDim"));
  TRY(sl_check_length(&a, "out", lo, need, "batchTime*heads*headDim"));
  TRY(sl_check_length(&a, "positions", lp, bt, "batchTime"));
  TRY(sl_check_length(&a, "invFreq", li, dim / 2, "headDim/2"));
  sl_rope(x, pos, inv, bt, heads, dim, inverse, out);
  return NULL;
}


/* Reads and checks an AttentionShape; kv_capacity defaults to key_length. */
static int read_shape(sl_args *a, sl_attention_shape *s) {
  if (!(sl_arg_dim_property(a, 0, "batch", 0, 0, &s->batch) &&
        sl_arg_dim_property(a, 0, "queryLength", 0, 0, &s->query_length) &&
        sl_arg_dim_property(a, 0, "keyLength", 0, 0, &s->key_length) &&
        sl_arg_dim_property(a, 0, "heads", 0, 0, &s->heads) &&
        sl_arg_dim_property(a, 0, "kvHeads", 0, 0, &s->kv_heads) &&
        sl_arg_dim_property(a, 0, "headDim", 0, 0, &s->head_dim)))
    return 0;
  if (!sl_arg_dim_property(a, 0, "kvCapacity", 1, s->key_length, &s->kv_capacity)) return 0;
  if (s->key_length < s->query_length) return sl_fail(a, "keyLength must be >= queryLength");
  if (s->kv_heads == 0 || s->heads % s->kv_heads != 0) return sl_fail(a, "kvHeads must divide heads");
  if (s->head_dim == 0) return sl_fail(a, "headDim must be > 0");
  if (s->kv_capacity < s->key_length) return sl_fail(a, "kvCapacity must be >= keyLength");
  return 1;
}

/* Dense sizes: q/out (B,T,H,D), k/v (B,cap,KH,D), probs B*H*T*S floats (attention.c's per-block layout within it). */
static int shape_sizes(sl_args *a, const sl_attention_shape *s, int64_t *q_size, int64_t *kv_size,
                       int64_t *probs_size) {
  return sl_mul_checked(a, s->batch, s->query_length, q_size) &&
         sl_mul_checked(a, *q_size, s->heads, q_size) &&
         sl_mul_checked(a, *q_size, s->head_dim, q_size) &&
         sl_mul_checked(a, s->batch, s->kv_capacity, kv_size) &&
         sl_mul_checked(a, *kv_size, s->kv_heads, kv_size) &&
         sl_mul_checked(a, *kv_size, s->head_dim, kv_size) &&
         sl_mul_checked(a, s->batch, s->heads, probs_size) &&
         sl_mul_checked(a, *probs_size, s->query_length, probs_size) &&
         sl_mul_checked(a, *probs_size, s->key_length, probs_size);
}

napi_value js_attention_forward(napi_env env, napi_callback_info info) {
  sl_args a;
  sl_attention_shape s;
  float *q, *k, *v, *out, *probs;
  int32_t *key_start, *segment_start;
  int64_t lq, lk, lv, ls, lo, lp, lseg, q_size, kv_size, probs_size;
  TRY(sl_args_init(env, info, "attentionForward", 7, &a));
  TRY(read_shape(&a, &s) && shape_sizes(&a, &s, &q_size, &kv_size, &probs_size));
  TRY(sl_arg_f32(&a, 1, "q", &q, &lq) && sl_arg_f32(&a, 2, "k", &k, &lk));
  TRY(sl_arg_f32(&a, 3, "v", &v, &lv) && sl_arg_i32_or_null(&a, 4, "keyStart", &key_start, &ls));
  TRY(sl_arg_f32(&a, 5, "out", &out, &lo) && sl_arg_f32_or_null(&a, 6, "probs", &probs, &lp));
  TRY(sl_check_length(&a, "q", lq, q_size, "B*T*H*D") && sl_check_length(&a, "out", lo, q_size, "B*T*H*D"));
  TRY(sl_check_length(&a, "k", lk, kv_size, "B*kvCapacity*KH*D"));
  TRY(sl_check_length(&a, "v", lv, kv_size, "B*kvCapacity*KH*D"));
  if (key_start) TRY(sl_check_length(&a, "keyStart", ls, s.batch, "B"));
  if (probs) TRY(sl_check_length(&a, "probs", lp, probs_size, "B*H*T*S"));
  TRY(sl_arg_i32_or_null(&a, 7, "segmentStart", &segment_start, &lseg));
  if (segment_start) TRY(sl_check_length(&a, "segmentStart", lseg, s.batch * s.query_length, "B*T"));
  sl_attention_forward(&s, q, k, v, key_start, segment_start, out, probs);
  return NULL;
}

/* attentionForwardBf16Kv(shape, q, k, v, keyStart, out): k, v Uint16Arrays of bfloat16 bits */
napi_value js_attention_forward_bf16kv(napi_env env, napi_callback_info info) {
  sl_args a;
  sl_attention_shape s;
  float *q, *out;
  uint16_t *k, *v;
  int32_t *key_start;
  int64_t lq, lk, lv, ls, lo, q_size, kv_size, probs_size;
  TRY(sl_args_init(env, info, "attentionForwardBf16Kv", 6, &a));
  TRY(read_shape(&a, &s) && shape_sizes(&a, &s, &q_size, &kv_size, &probs_size));
  TRY(sl_arg_f32(&a, 1, "q", &q, &lq) && sl_arg_u16(&a, 2, "k", &k, &lk));
  TRY(sl_arg_u16(&a, 3, "v", &v, &lv) && sl_arg_i32_or_null(&a, 4, "keyStart", &key_start, &ls));
  TRY(sl_arg_f32(&a, 5, "out", &out, &lo));
  TRY(sl_check_length(&a, "q", lq, q_size, "B*T*H*D") && sl_check_length(&a, "out", lo, q_size, "B*T*H*D"));
  TRY(sl_check_length(&a, "k", lk, kv_size, "B*kvCapacity*KH*D"));
  TRY(sl_check_length(&a, "v", lv, kv_size, "B*kvCapacity*KH*D"));
  if (key_start) TRY(sl_check_length(&a, "keyStart", ls, s.batch, "B"));
  sl_attention_forward_bf16kv(&s, q, k, v, key_start, out);
  return NULL;
}

napi_value js_attention_backward(napi_env env, napi_callback_info info) {
  sl_args a;
  sl_attention_shape s;
  float *dout, *q, *k, *v, *probs, *dq, *dk, *dv;
  int32_t *segment_start;
  int64_t ldo, lq, lk, lv, lp, ldq, ldk, ldv, lseg, q_size, kv_size, probs_size;
  TRY(sl_args_init(env, info, "attentionBackward", 9, &a));
  TRY(read_shape(&a, &s) && shape_sizes(&a, &s, &q_size, &kv_size, &probs_size));
  if (s.kv_capacity != s.key_length) TRY(sl_fail(&a, "kvCapacity must equal keyLength in backward"));
  TRY(sl_arg_f32(&a, 1, "dOut", &dout, &ldo) && sl_arg_f32(&a, 2, "q", &q, &lq));
  TRY(sl_arg_f32(&a, 3, "k", &k, &lk) && sl_arg_f32(&a, 4, "v", &v, &lv));
  TRY(sl_arg_f32(&a, 5, "probs", &probs, &lp) && sl_arg_f32(&a, 6, "dq", &dq, &ldq));
  TRY(sl_arg_f32(&a, 7, "dk", &dk, &ldk) && sl_arg_f32(&a, 8, "dv", &dv, &ldv));
  TRY(sl_check_length(&a, "dOut", ldo, q_size, "B*T*H*D") && sl_check_length(&a, "q", lq, q_size, "B*T*H*D"));
  TRY(sl_check_length(&a, "dq", ldq, q_size, "B*T*H*D"));
  TRY(sl_check_length(&a, "k", lk, kv_size, "B*S*KH*D") && sl_check_length(&a, "v", lv, kv_size, "B*S*KH*D"));
  TRY(sl_check_length(&a, "dk", ldk, kv_size, "B*S*KH*D") && sl_check_length(&a, "dv", ldv, kv_size, "B*S*KH*D"));
  TRY(sl_check_length(&a, "probs", lp, probs_size, "B*H*T*S"));
  TRY(sl_arg_i32_or_null(&a, 9, "segmentStart", &segment_start, &lseg));
  if (segment_start) TRY(sl_check_length(&a, "segmentStart", lseg, s.batch * s.query_length, "B*T"));
  sl_attention_backward(&s, dout, q, k, v, probs, segment_start, dq, dk, dv);
  return NULL;
}

napi_value js_swiglu_forward(napi_env env, napi_callback_info info) {
  sl_args a;
  float *gate, *up, *out;
  int64_t lg, lu, lo;
  TRY(sl_args_init(env, info, "swigluForward", 3, &a));
  TRY(sl_arg_f32(&a, 0, "gate", &gate, &lg) && sl_arg_f32(&a, 1, "up", &up, &lu));
  TRY(sl_arg_f32(&a, 2, "out", &out, &lo));
  TRY(sl_check_length(&a, "gate", lg, lo, "out.length") && sl_check_length(&a, "up", lu, lo, "out.length"));
  sl_swiglu_forward(gate, up, out, lo);
  return NULL;
}

napi_value js_swiglu_backward(napi_env env, napi_callback_info info) {
  sl_args a;
  float *dout, *gate, *up, *dgate, *dup;
  int64_t ld, lg, lu, ldg, ldu;
  TRY(sl_args_init(env, info, "swigluBackward", 5, &a));
  TRY(sl_arg_f32(&a, 0, "dOut", &dout, &ld) && sl_arg_f32(&a, 1, "gate", &gate, &lg));
  TRY(sl_arg_f32(&a, 2, "up", &up, &lu) && sl_arg_f32(&a, 3, "dGate", &dgate, &ldg));
  TRY(sl_arg_f32(&a, 4, "dUp", &dup, &ldu));
  TRY(sl_check_length(&a, "gate", lg, ld, "dOut.length") && sl_check_length(&a, "up", lu, ld, "dOut.length"));
  TRY(sl_check_length(&a, "dGate", ldg, ld, "dOut.length") && sl_check_length(&a, "dUp", ldu, ld, "dOut.length"));
  sl_swiglu_backward(dout, gate, up, dgate, dup, ld);
  return NULL;
}

napi_value js_cross_entropy(napi_env env, napi_callback_info info) {
  sl_args a;
  float *logits, *weights, *losses, *dlogits;
  int32_t *targets;
  int64_t ll, lt, lw, lloss, ld, vocab, need;
  double grad_scale;
  TRY(sl_args_init(env, info, "crossEntropy", 7, &a));
  TRY(sl_arg_f32(&a, 0, "logits", &logits, &ll) && sl_arg_i32(&a, 1, "targets", &targets, &lt));
  TRY(sl_arg_f32_or_null(&a, 2, "weights", &weights, &lw) && sl_arg_dim(&a, 3, "vocab", &vocab));
  TRY(sl_arg_f32(&a, 4, "losses", &losses, &lloss) && sl_arg_f32_or_null(&a, 5, "dLogits", &dlogits, &ld));
  TRY(sl_arg_number(&a, 6, "gradScale", &grad_scale));
  if (vocab == 0) TRY(sl_fail(&a, "vocab must be > 0"));
  TRY(sl_mul_checked(&a, lt, vocab, &need) && sl_check_length(&a, "logits", ll, need, "targets.length*vocab"));
  TRY(sl_check_length(&a, "losses", lloss, lt, "targets.length"));
  if (weights) TRY(sl_check_length(&a, "weights", lw, lt, "targets.length"));
  if (dlogits) TRY(sl_check_length(&a, "dLogits", ld, need, "targets.length*vocab"));
  TRY(sl_check_ids(&a, "targets", targets, lt, vocab, 1));
  double total = sl_cross_entropy(logits, targets, weights, lt, vocab, losses, dlogits, (float)grad_scale);
  return sl_number_value(env, total);
}

napi_value js_softmax(napi_env env, napi_callback_info info) {
  sl_args a;
  float *x, *out;
  int64_t lx, lo, vocab;
  TRY(sl_args_init(env, info, "softmax", 3, &a));
  TRY(sl_arg_f32(&a, 0, "x", &x, &lx) && sl_arg_dim(&a, 1, "vocab", &vocab));
  TRY(sl_arg_f32(&a, 2, "out", &out, &lo));
  if (vocab == 0 || lx % vocab != 0) TRY(sl_fail(&a, "vocab must divide x.length"));
  TRY(sl_check_length(&a, "out", lo, lx, "x.length"));
  sl_softmax(x, lx / vocab, vocab, out);
  return NULL;
}

napi_value js_adamw(napi_env env, napi_callback_info info) {
  sl_args a;
  float *p, *g, *m, *v;
  int64_t lp, lg, lm, lv;
  double lr, beta1, beta2, eps, wd, step;
  TRY(sl_args_init(env, info, "adamw", 10, &a));
  TRY(sl_arg_f32(&a, 0, "param", &p, &lp) && sl_arg_f32(&a, 1, "grad", &g, &lg));
  TRY(sl_arg_f32(&a, 2, "m", &m, &lm) && sl_arg_f32(&a, 3, "v", &v, &lv));
  TRY(sl_arg_number(&a, 4, "lr", &lr) && sl_arg_number(&a, 5, "beta1", &beta1));
  TRY(sl_arg_number(&a, 6, "beta2", &beta2) && sl_arg_number(&a, 7, "eps", &eps));
  TRY(sl_arg_number(&a, 8, "weightDecay", &wd) && sl_arg_number(&a, 9, "step", &step));
  if (!(step >= 1)) TRY(sl_fail(&a, "step must be >= 1"));
  TRY(sl_check_length(&a, "grad", lg, lp, "param.length") && sl_check_length(&a, "m", lm, lp, "param.length"));
  TRY(sl_check_length(&a, "v", lv, lp, "param.length"));
  sl_adamw(p, g, m, v, lp, lr, beta1, beta2, eps, wd, step);
  return NULL;
}
