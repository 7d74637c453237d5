/* The inference engine's decode-step kernels (native/engine.c).
 *
 * engine_w8a16: y[i, j] = scale[j] * sum_p x[i, p] * w[j, p]
 *   x [m, k] float32 activations (the rows of one decode step), w [n, k] int8 weights
 *   (nn.Linear layout, one symmetric scale per output channel j), y [m, n]. All
 *   C-contiguous. Meant for small m (a decode batch): each block of 4 weight rows is
 *   read from memory once and reused from L1 for every activation row.
 */
void engine_w8a16(const float *x, long m, long k, const signed char *w, const float *scale, long n, float *y);
