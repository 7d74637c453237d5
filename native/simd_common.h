/* simd_common.h -- small SIMD helpers shared by the kernel families in native/.
 *
 * Not a family of its own (there is no simd_common.c, and nothing here is exported to
 * Python): a family's .c includes it with `#include "simd_common.h"`, and
 * aigc_bench.native.source_hash hashes it with that family, so editing a helper rebuilds
 * every family that uses it.
 *
 * The families are built two ways: some with `-mavx2 -mfma` for the whole file
 * (attention, engine, quant), others with no -m flags and a target attribute per
 * function, so that their scalar path stays portable (aligned, calibrate, gemm, int8).
 * The helpers therefore carry the AVX2 attribute themselves: that lets them be inlined
 * into callers of either kind (a callee may be inlined into any caller whose instruction
 * set includes its own), and they compile to the same instructions as the copies they
 * replace.
 */
#ifndef AIGC_SIMD_COMMON_H
#define AIGC_SIMD_COMMON_H

#include <immintrin.h>

/* Per-function instruction sets, for files built without -m flags. */
#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f,avx2,fma")))

/* Whether this CPU runs the AVX2+FMA paths (the check every family's dispatcher starts with). */
static inline int cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* The sum of the 8 floats of v: the two halves added, then pairs, then the last two. */
AVX2 static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 8 int8 at w (unaligned) -> 8 floats. */
AVX2 static inline __m256 widen8(const signed char *w) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)w)));
}

#endif
