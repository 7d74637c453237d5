/* fp32 dot, GEMV and GEMM (native/gemm.c). Row-major; strides count elements.
   Every function returns 0, or -1 when an allocation failed.
   path: 0 = choose at run time (AVX-512F > AVX2+FMA > scalar), 1 = scalar only,
         2 = AVX2+FMA (falls back to scalar when the CPU lacks it), 3 = AVX-512F (falls back). */
int gemm_cpu_path(int path);
int dot_f32(const float *x, const float *y, long n, float *result, int path);
int gemv_f32(const float *a, long lda, const float *x, float *y, long m, long k, int path);
int matmul_f32(const float *a, long a_row_stride, long a_col_stride,
               const float *b, long b_row_stride, long b_col_stride,
               float *c, long ldc, long m, long k, long n, int path);
/* The roadmap's signature: C[m,n] = A[m,k] @ B[k,n], all contiguous row-major. */
void matmul_avx2(const float *A, const float *B, float *C, int m, int k, int n);
