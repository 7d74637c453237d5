// calibrate.c -- how fast this core can go: peak fp32 FMA throughput and memory bandwidth.
//
// Peak: 12 independent FMA chains on registers only (no loads), enough to cover FMA latency
// (4 cycles) on two FMA ports, timed with CLOCK_MONOTONIC; 2 flops per lane per FMA.
// Bandwidth: STREAM's triad a[i] = b[i] + s * c[i], counting 3 * 4 bytes per element (two
// reads and one write, no write-allocate traffic, as STREAM reports it). The arrays should be
// larger than the last-level cache share to measure memory rather than cache.
// Both report the best of `repeats` runs: other processes only ever make a run slower.
//
// build: -O2
#include <time.h>
#include <immintrin.h>

#include "simd_common.h"  // AVX2, AVX512, cpu_has_avx2_fma

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

// fma_avx2 and fma_avx512 are the same loop at two widths and stay two spelled-out functions:
// nearly every line differs in type, intrinsic or asm constraint ("+x" ymm, "+v" zmm), so one
// macro taking all of those would read worse than the twins, and these loops are what a
// reader checks the peak figure against.

AVX2 static double fma_avx2(long iterations) {
    __m256 m = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-7f);
#define DECL(i) __m256 r##i = _mm256_set1_ps(1.0f + i);
    CHAINS(DECL)
#undef DECL
    double t0 = now();
    for (long it = 0; it < iterations; it++) {
#define STEP(i) r##i = _mm256_fmadd_ps(r##i, m, add); __asm__ volatile("" : "+x"(r##i));
        CHAINS(STEP)
#undef STEP
    }
    double elapsed = now() - t0;
    __m256 sum = _mm256_setzero_ps();
#define ADD(i) sum = _mm256_add_ps(sum, r##i);
    CHAINS(ADD)
#undef ADD
    volatile float sink = _mm256_cvtss_f32(sum);
    (void)sink;
    return 12.0 * 8 * 2 * iterations / elapsed * 1e-9;
}

AVX512 static double fma_avx512(long iterations) {
    __m512 m = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-7f);
#define DECL(i) __m512 r##i = _mm512_set1_ps(1.0f + i);
    CHAINS(DECL)
#undef DECL
    double t0 = now();
    for (long it = 0; it < iterations; it++) {
#define STEP(i) r##i = _mm512_fmadd_ps(r##i, m, add); __asm__ volatile("" : "+v"(r##i));
        CHAINS(STEP)
#undef STEP
    }
    double elapsed = now() - t0;
    __m512 sum = _mm512_setzero_ps();
#define ADD(i) sum = _mm512_add_ps(sum, r##i);
    CHAINS(ADD)
#undef ADD
    volatile float sink = _mm512_reduce_add_ps(sum);
    (void)sink;
    return 12.0 * 16 * 2 * iterations / elapsed * 1e-9;
}

double peak_fma_gflops(int width, long iterations, int repeats) {
    if (!cpu_has_avx2_fma()) return 0.0;
    if (width == 16 && !__builtin_cpu_supports("avx512f")) return 0.0;
    double best = 0.0;
    for (int r = 0; r < repeats; r++) {
        double rate = width == 16 ? fma_avx512(iterations) : fma_avx2(iterations);
        if (rate > best) best = rate;
    }
    return best;
}

double triad_gbytes(float *a, const float *b, const float *c, long n, int repeats) {
    const float s = 3.0f;
    double best = 0.0;
    for (int r = 0; r < repeats; r++) {
        double t0 = now();
        for (long i = 0; i < n; i++) a[i] = b[i] + s * c[i];
        double elapsed = now() - t0;
        double rate = 3.0 * sizeof(float) * n / elapsed * 1e-9;
        if (rate > best) best = rate;
    }
    return best;
}
