// gemm.c -- fp32 dot product, matrix-vector and matrix-matrix product (roadmap week 11:
// dot_avx2 and matmul_avx2).
//
// GEMM follows the BLIS/GotoBLAS structure: the k dimension is cut into KC-deep slices,
// B's slice is packed into NR-wide column panels and A's into MR-tall row panels (zero
// padded), so that the register-blocked micro-kernel streams both from cache with unit
// stride; packing also absorbs any input strides (transposed or strided views cost nothing
// extra). Micro-kernels: AVX2+FMA 6x16 (12 ymm accumulators) and AVX-512F 12x32 (24 zmm
// accumulators), compiled per function with __attribute__((target)) so the file itself
// needs no -m flags and the scalar fallback stays portable; the path is chosen at run time
// with __builtin_cpu_supports. GEMV keeps x in cache and streams A row blocks (4 rows at a
// time share each load of x); dot uses four independent accumulators to hide FMA latency.
//
// build: -O3
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>

#include "simd_common.h"  // AVX2, AVX512, cpu_has_avx2_fma, hsum8

enum { PATH_AUTO = 0, PATH_SCALAR = 1, PATH_AVX2 = 2, PATH_AVX512 = 3 };

int gemm_cpu_path(int path) {
    int has2 = cpu_has_avx2_fma();
    int has512 = has2 && __builtin_cpu_supports("avx512f");
    if (path == PATH_SCALAR) return PATH_SCALAR;
    if (path == PATH_AVX512) return has512 ? PATH_AVX512 : (has2 ? PATH_AVX2 : PATH_SCALAR);
    if (path == PATH_AVX2) return has2 ? PATH_AVX2 : PATH_SCALAR;
    return has512 ? PATH_AVX512 : (has2 ? PATH_AVX2 : PATH_SCALAR);
}

/* ------------------------------------------------------------------ dot */

AVX2 static float dot_avx2(const float *x, const float *y, long n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    long i = 0;
    for (; i + 32 <= n; i += 32) {  // four chains: FMA latency 4, two ports
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), acc1);
        acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), acc2);
        acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), acc3);
    }
    for (; i + 8 <= n; i += 8)
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc0);
    float sum = hsum8(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
    for (; i < n; i++) sum += x[i] * y[i];  // the tail: fewer than 8 left
    return sum;
}

static float dot_scalar(const float *x, const float *y, long n) {
    double sum = 0.0;  // the portable path favours accuracy over speed
    for (long i = 0; i < n; i++) sum += (double)x[i] * y[i];
    return (float)sum;
}

int dot_f32(const float *x, const float *y, long n, float *result, int path) {
    *result = gemm_cpu_path(path) == PATH_SCALAR ? dot_scalar(x, y, n) : dot_avx2(x, y, n);
    return 0;
}

/* ------------------------------------------------------------------ gemv */

AVX2 static void gemv_avx2(const float *a, long lda, const float *x, float *y, long m, long k) {
    long i = 0;
    for (; i + 4 <= m; i += 4) {  // four rows share every load of x
        const float *r0 = a + i * lda, *r1 = r0 + lda, *r2 = r1 + lda, *r3 = r2 + lda;
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
        long j = 0;
        for (; j + 8 <= k; j += 8) {
            __m256 xv = _mm256_loadu_ps(x + j);
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + j), xv, s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + j), xv, s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + j), xv, s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + j), xv, s3);
        }
        float t0 = hsum8(s0), t1 = hsum8(s1), t2 = hsum8(s2), t3 = hsum8(s3);
        for (; j < k; j++) {
            t0 += r0[j] * x[j]; t1 += r1[j] * x[j]; t2 += r2[j] * x[j]; t3 += r3[j] * x[j];
        }
        y[i] = t0; y[i + 1] = t1; y[i + 2] = t2; y[i + 3] = t3;
    }
    for (; i < m; i++) y[i] = dot_avx2(a + i * lda, x, k);
}

int gemv_f32(const float *a, long lda, const float *x, float *y, long m, long k, int path) {
    if (gemm_cpu_path(path) == PATH_SCALAR) {
        for (long i = 0; i < m; i++) y[i] = dot_scalar(a + i * lda, x, k);
    } else {
        gemv_avx2(a, lda, x, y, m, k);
    }
    return 0;
}

/* ------------------------------------------------------------------ gemm */

#define KC 256
#define MC 144   /* multiple of both MR (6 and 12) */
#define NC 2048

/* A[i0:i0+mc, p0:p0+kc] into MR-tall panels: panel r holds kc columns of MR values. */
static void pack_a(const float *a, long rs, long cs, long mc, long kc, int mr, float *out) {
    for (long i0 = 0; i0 < mc; i0 += mr) {
        long rows = mc - i0 < mr ? mc - i0 : mr;
        for (long p = 0; p < kc; p++) {
            for (long i = 0; i < rows; i++) out[p * mr + i] = a[(i0 + i) * rs + p * cs];
            for (long i = rows; i < mr; i++) out[p * mr + i] = 0.0f;
        }
        out += kc * mr;
    }
}

/* B[p0:p0+kc, j0:j0+nc] into NR-wide panels: panel holds kc rows of NR values. */
static void pack_b(const float *b, long rs, long cs, long kc, long nc, int nr, float *out) {
    for (long j0 = 0; j0 < nc; j0 += nr) {
        long cols = nc - j0 < nr ? nc - j0 : nr;
        for (long p = 0; p < kc; p++) {
            const float *src = b + p * rs + j0 * cs;
            if (cs == 1) memcpy(out + p * nr, src, cols * sizeof(float));
            else for (long j = 0; j < cols; j++) out[p * nr + j] = src[j * cs];
            for (long j = cols; j < nr; j++) out[p * nr + j] = 0.0f;
        }
        out += kc * nr;
    }
}

/* C[0:rows, 0:cols] (+)= tile, where tile is an MR x NR block computed in full. */
static void store_edge(const float *tile, int nr, float *c, long ldc, long rows, long cols, int accumulate) {
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++)
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i * nr + j] : tile[i * nr + j];
}

AVX2 static void kernel_6x16(long kc, const float *a, const float *b, float *c, long ldc,
                             long rows, long cols, int accumulate) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (long p = 0; p < kc; p++, a += 6, b += 16) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);  // packed panels are 64-byte aligned
        __m256 av;
        av = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);
    }
    __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    if (rows == 6 && cols == 16) {
        for (int i = 0; i < 6; i++) {
            float *row = c + i * ldc;
            __m256 lo = acc[2 * i], hi = acc[2 * i + 1];
            if (accumulate) { lo = _mm256_add_ps(lo, _mm256_loadu_ps(row)); hi = _mm256_add_ps(hi, _mm256_loadu_ps(row + 8)); }
            _mm256_storeu_ps(row, lo);
            _mm256_storeu_ps(row + 8, hi);
        }
    } else {  // an edge tile: compute in full, store only the part inside C
        float tile[6 * 16] __attribute__((aligned(32)));
        for (int i = 0; i < 6; i++) { _mm256_store_ps(tile + 16 * i, acc[2 * i]); _mm256_store_ps(tile + 16 * i + 8, acc[2 * i + 1]); }
        store_edge(tile, 16, c, ldc, rows, cols, accumulate);
    }
}

AVX512 static void kernel_12x32(long kc, const float *a, const float *b, float *c, long ldc,
                                long rows, long cols, int accumulate) {
    __m512 acc[24];
    for (int r = 0; r < 24; r++) acc[r] = _mm512_setzero_ps();
    for (long p = 0; p < kc; p++, a += 12, b += 32) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
        for (int i = 0; i < 12; i++) {  // unrolled by the compiler: acc stays in registers
            __m512 av = _mm512_set1_ps(a[i]);
            acc[2 * i] = _mm512_fmadd_ps(av, b0, acc[2 * i]);
            acc[2 * i + 1] = _mm512_fmadd_ps(av, b1, acc[2 * i + 1]);
        }
    }
    if (rows == 12 && cols == 32) {
        for (int i = 0; i < 12; i++) {
            float *row = c + i * ldc;
            __m512 lo = acc[2 * i], hi = acc[2 * i + 1];
            if (accumulate) { lo = _mm512_add_ps(lo, _mm512_loadu_ps(row)); hi = _mm512_add_ps(hi, _mm512_loadu_ps(row + 16)); }
            _mm512_storeu_ps(row, lo);
            _mm512_storeu_ps(row + 16, hi);
        }
    } else {
        float tile[12 * 32] __attribute__((aligned(64)));
        for (int i = 0; i < 12; i++) { _mm512_store_ps(tile + 32 * i, acc[2 * i]); _mm512_store_ps(tile + 32 * i + 16, acc[2 * i + 1]); }
        store_edge(tile, 32, c, ldc, rows, cols, accumulate);
    }
}

static void kernel_scalar(long kc, const float *a, const float *b, float *c, long ldc,
                          long rows, long cols, int accumulate) {
    float tile[6 * 16] = {0};
    for (long p = 0; p < kc; p++)
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 16; j++) tile[i * 16 + j] += a[p * 6 + i] * b[p * 16 + j];
    store_edge(tile, 16, c, ldc, rows, cols, accumulate);
}

typedef void (*micro_kernel)(long, const float *, const float *, float *, long, long, long, int);

int matmul_f32(const float *a, long ars, long acs, const float *b, long brs, long bcs,
               float *c, long ldc, long m, long k, long n, int path) {
    int chosen = gemm_cpu_path(path);
    int mr = chosen == PATH_AVX512 ? 12 : 6, nr = chosen == PATH_AVX512 ? 32 : 16;
    micro_kernel kernel = chosen == PATH_AVX512 ? kernel_12x32 : chosen == PATH_AVX2 ? kernel_6x16 : kernel_scalar;
    if (k == 0) {  // an empty sum: C is zero
        for (long i = 0; i < m; i++) memset(c + i * ldc, 0, n * sizeof(float));
        return 0;
    }
    long nc_max = n < NC ? n : NC;
    float *bp = aligned_alloc(64, (size_t)(KC * ((nc_max + nr - 1) / nr * nr) * sizeof(float) + 64));
    float *ap = aligned_alloc(64, (size_t)(KC * (MC + 12) * sizeof(float) + 64));
    if (!bp || !ap) { free(bp); free(ap); return -1; }
    for (long jc = 0; jc < n; jc += NC) {
        long nc = n - jc < NC ? n - jc : NC;
        for (long pc = 0; pc < k; pc += KC) {
            long kc = k - pc < KC ? k - pc : KC;
            pack_b(b + pc * brs + jc * bcs, brs, bcs, kc, nc, nr, bp);
            for (long ic = 0; ic < m; ic += MC) {
                long mc = m - ic < MC ? m - ic : MC;
                pack_a(a + ic * ars + pc * acs, ars, acs, mc, kc, mr, ap);
                for (long jr = 0; jr < nc; jr += nr)
                    for (long ir = 0; ir < mc; ir += mr)
                        kernel(kc, ap + ir * kc, bp + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc,
                               mc - ir < mr ? mc - ir : mr, nc - jr < nr ? nc - jr : nr, pc > 0);
            }
        }
    }
    free(bp);
    free(ap);
    return 0;
}

void matmul_avx2(const float *A, const float *B, float *C, int m, int k, int n) {
    matmul_f32(A, k, 1, B, n, 1, C, n, m, k, n, PATH_AVX2);
}
