// engine.c -- the INT8 weight-only (W8A16) product of the inference engine's decode steps
// (impls/numpy/engine.py, Int8Linear).
//
// Decoding is memory bound: every weight is read once per step, so the kernel is built
// to read each weight byte from memory exactly once per step and keep the arithmetic off
// the critical path. Weights are taken 4 output rows at a time; for every activation row
// of the step, four independent AVX2 FMA chains (one per weight row) consume 8 int8
// weights each per iteration (sign-extended to int32, converted to float), sharing one
// load of the activations. The 4 weight rows (4k bytes) stay in L1 across the activation
// rows of a batch. The per-channel scale is applied once per output.
//
// build: -O3 -mavx2 -mfma
#include <immintrin.h>

#include "simd_common.h"  // hsum8, widen8

void engine_w8a16(const float *x, long m, long k, const signed char *w, const float *scale, long n, float *y) {
    long j = 0;
    for (; j + 4 <= n; j += 4) {
        const signed char *w0 = w + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        for (long i = 0; i < m; i++) {
            const float *xi = x + i * k;
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
            long p = 0;
            for (; p + 8 <= k; p += 8) {
                __m256 xv = _mm256_loadu_ps(xi + p);
                a0 = _mm256_fmadd_ps(xv, widen8(w0 + p), a0);
                a1 = _mm256_fmadd_ps(xv, widen8(w1 + p), a1);
                a2 = _mm256_fmadd_ps(xv, widen8(w2 + p), a2);
                a3 = _mm256_fmadd_ps(xv, widen8(w3 + p), a3);
            }
            float s0 = hsum8(a0), s1 = hsum8(a1), s2 = hsum8(a2), s3 = hsum8(a3);
            for (; p < k; p++) {
                s0 += xi[p] * w0[p];
                s1 += xi[p] * w1[p];
                s2 += xi[p] * w2[p];
                s3 += xi[p] * w3[p];
            }
            float *yi = y + i * n + j;
            yi[0] = s0 * scale[j];
            yi[1] = s1 * scale[j + 1];
            yi[2] = s2 * scale[j + 2];
            yi[3] = s3 * scale[j + 3];
        }
    }
    for (; j < n; j++) {  // the last n % 4 rows
        const signed char *wj = w + j * k;
        for (long i = 0; i < m; i++) {
            const float *xi = x + i * k;
            __m256 a = _mm256_setzero_ps();
            long p = 0;
            for (; p + 8 <= k; p += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(xi + p), widen8(wj + p), a);
            float s = hsum8(a);
            for (; p < k; p++) s += xi[p] * wj[p];
            y[i * n + j] = s * scale[j];
        }
    }
}
