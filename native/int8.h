/* Integer kernels (native/int8.c): int8 x int8 -> int32 dot/GEMV/GEMM, and INT4 GEMV.
   int8 values must lie in [-127, 127] (symmetric quantization); a -128 makes the function
   return -2 without a usable result. K may be at most 131072 (2^17): 2^17 * 127 * 127 < 2^31,
   so the int32 accumulators cannot overflow. Returns 0 on success.
   path: 0 = choose at run time (AVX-512 VNNI > AVX-VNNI > AVX2 > scalar), 1 = scalar,
         2 = AVX2 maddubs/madd, 3 = AVX-VNNI (256-bit), 4 = AVX-512 VNNI (each falls back). */
int int8_cpu_path(int path);
int int8_dot(const signed char *a, const signed char *b, long k, int *result, int path);
/* y[i] = sum_j w[i*ldw + j] * x[j] for i < m; y_scaled (if not NULL) = y * w_scale[i] * x_scale. */
int int8_gemv(const signed char *w, long ldw, const signed char *x, int *y, float *y_scaled,
              const float *w_scale, float x_scale, long m, long k, int path);
/* c[i*ldc + j] = sum_p a[i*lda + p] * w[j*ldw + p]: A [m,k] times W^T, W [n,k] (nn.Linear layout). */
int int8_gemm(const signed char *a, long lda, const signed char *w, long ldw, int *c, long ldc,
              long m, long n, long k, int path);
/* INT4: row i of w holds k/2 bytes, byte j = element 2j in its low nibble and element 2j+1
   in its high nibble, each stored as q + 8 (q in [-8, 7]). scales [m, k/group] (row stride lds).
   y[i] = sum_g scales[i, g] * sum_{j in group g} q[i, j] * x[j].  k % group == 0, group even. */
int int4_gemv(const unsigned char *w, long ldw, const float *scales, long lds, const float *x,
              float *y, long m, long k, long group, int path);
