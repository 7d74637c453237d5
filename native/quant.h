/* Quantization kernels (native/quant.c): group-wise INT8/INT4 quantize and dequantize,
   nibble packing, and the weight-only W8A16 matmul. Arrays are C-contiguous.
   A "groups" matrix is [G, g]: each row shares one scale (see aigc_bench/quantization.py). */

/* q[r, c] = clamp(rint(x[r, c] / scale[r]), -qmax, qmax). When compute_scale is nonzero,
   scale[r] = max_c |x[r, c]| / qmax is written first; a zero scale gives q = 0. */
void quant_symmetric(const float *x, long rows, long g, int qmax, int compute_scale, float *scale, int *q);
/* Asymmetric: range [min(x, 0), max(x, 0)] onto [0, levels]; q = clamp(rint(x/scale) + zp). */
void quant_asymmetric(const float *x, long rows, long g, int levels, int *q, float *scale, int *zero_point);
/* out[r, c] = (codes[r, c] - zp[r, c / (n/G)]) * scale[r, c / (n/G)]; codes are int8 when
   is_signed, else uint8. zero_point may be NULL (0). */
void quant_dequantize(const void *codes, int is_signed, long rows, long n, long groups,
                      const float *scale, const int *zero_point, float *out);
/* 4-bit codes [count] (count even) -> bytes [count/2], element 2i in the low nibble; and back. */
void quant_pack_int4(const unsigned char *codes, long count, unsigned char *packed);
void quant_unpack_int4(const unsigned char *packed, long bytes, unsigned char *codes);
/* out[i, j] = sum_g scale[j, g] * sum_{p in group g} x[i, p] * w[j, p]: x [m, k] float,
   w [n, k] int8, scale [n, groups]. */
void quant_matmul_w8a16(const float *x, const signed char *w, const float *scale,
                        long m, long n, long k, long groups, float *out);
