// aligned.c -- aligned allocation, and the same reduction with aligned and unaligned loads
// (roadmap week 11: 32-byte aligned buffers for AVX2, 64-byte for AVX-512 and cache lines).
//
// _mm256_load_ps (vmovaps) raises a general-protection fault on an address that is not a
// multiple of 32; _mm256_loadu_ps accepts any address and, on current cores, costs the same
// when the data happens to be aligned, more when a load splits a cache line. The aligned
// variant checks its pointer first: a kernel must never be handed an address it faults on.
// Without AVX2 both fall back to a scalar loop.
//
// build: -O3
#include <stdint.h>
#include <stdlib.h>
#include <immintrin.h>

#include "simd_common.h"  // AVX2, cpu_has_avx2_fma, hsum8

void *aligned_buffer(long nbytes, long alignment) {
    void *p = NULL;
    if (alignment < (long)sizeof(void *) || (alignment & (alignment - 1))) return NULL;
    if (posix_memalign(&p, (size_t)alignment, nbytes > 0 ? (size_t)nbytes : 1)) return NULL;
    return p;
}

void aligned_buffer_free(void *p) { free(p); }

static float sum_scalar(const float *x, long n) {
    float s = 0.0f;
    for (long i = 0; i < n; i++) s += x[i];
    return s;
}

AVX2 static float reduce(__m256 a, __m256 b, __m256 c, __m256 d) {
    return hsum8(_mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d)));
}

#define DEFINE_SUM(NAME, LOAD)                                                      \
    AVX2 static float NAME(const float *x, long n) {                                \
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;                 \
        long i = 0;                                                                 \
        for (; i + 32 <= n; i += 32) {                                              \
            s0 = _mm256_add_ps(s0, LOAD(x + i));                                    \
            s1 = _mm256_add_ps(s1, LOAD(x + i + 8));                                \
            s2 = _mm256_add_ps(s2, LOAD(x + i + 16));                               \
            s3 = _mm256_add_ps(s3, LOAD(x + i + 24));                               \
        }                                                                           \
        for (; i + 8 <= n; i += 8) s0 = _mm256_add_ps(s0, LOAD(x + i));             \
        return reduce(s0, s1, s2, s3) + sum_scalar(x + i, n - i);                   \
    }

DEFINE_SUM(sum_avx2_aligned, _mm256_load_ps)
DEFINE_SUM(sum_avx2_unaligned, _mm256_loadu_ps)

int sum_f32_aligned(const float *x, long n, float *result) {
    if ((uintptr_t)x % 32) return -1;
    *result = cpu_has_avx2_fma() ? sum_avx2_aligned(x, n) : sum_scalar(x, n);
    return 0;
}

int sum_f32_unaligned(const float *x, long n, float *result) {
    *result = cpu_has_avx2_fma() ? sum_avx2_unaligned(x, n) : sum_scalar(x, n);
    return 0;
}
