/* Attention and softmax kernels with AVX2/FMA intrinsics (native/attention.c).
 *
 * Arrays are C-contiguous; the Python adapters (impls/avx2/attention.py,
 * impls/avx2/softmax.py) flatten leading batch dimensions and copy
 * non-contiguous inputs first. Built by cffi through aigc_bench.native.load
 * ("attention") with the flags on attention.c's `// build:` line.
 *
 * attention_f32 / attention_f64:
 *   out[b, i, :] = softmax_j(q[b, i, :] . k[b, j, :] / sqrt(d)) @ v[b, :, :]
 *   over the keys j that query i may see: j <= i + (lk - lq) when `causal`,
 *   and allowed[b, i, j] != 0 when `allowed` is not NULL ([batch, lq, lk]).
 *   A query that may see no key gets zeros. Returns 0, or -1 when out of memory.
 *
 * softmax_rows_*: out[r, :] = softmax(x[r, :]) for each of `rows` rows of n.
 * softmax_backward_rows_*: out = y * (g - sum(g * y)) row by row (the
 *   vector-Jacobian product of softmax, given y = softmax(x) and g = dL/dy).
 */

int attention_f32(const float *q, const float *k, const float *v, const unsigned char *allowed, float *out,
                  long batch, long lq, long lk, long d, long dv, int causal);
int attention_f64(const double *q, const double *k, const double *v, const unsigned char *allowed, double *out,
                  long batch, long lq, long lk, long d, long dv, int causal);

void softmax_rows_f32(const float *x, float *out, long rows, long n);
void softmax_rows_f64(const double *x, double *out, long rows, long n);
void softmax_backward_rows_f32(const float *y, const float *g, float *out, long rows, long n);
void softmax_backward_rows_f64(const double *y, const double *g, double *out, long rows, long n);
