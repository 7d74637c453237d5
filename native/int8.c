// int8.c -- integer dot product, GEMV and GEMM (int8 x int8 -> int32) and INT4 dequantize-and-dot
// (roadmap weeks 9-11: INT8 SIMD, quantized matmul).
//
// AVX2 has no signed x signed byte multiply; _mm256_maddubs_epi16 multiplies unsigned by signed
// bytes and adds neighbouring pairs into int16. So |x| goes in the unsigned operand and w's sign
// is flipped where x is negative (_mm256_sign_epi8): |x| * sign(x)w = x w. With both operands in
// [-127, 127] a pair sums to at most 2 * 127 * 127 = 32258 < 32767, so the int16 step never
// saturates (a -128 could: it is rejected). _mm256_madd_epi16 with ones widens pairs to int32.
// AVX-VNNI / AVX-512 VNNI do the multiply and the 4-way add into int32 in one instruction
// (vpdpbusd). Paths are chosen at run time; each has its own target attribute so the file needs
// no -m flags and the scalar path stays portable.
//
// INT4 GEMV unpacks 16 bytes into 32 nibbles (low nibble = even index), subtracts the +8 bias,
// converts to float and FMAs with x, one group scale per group.
//
// build: -O3
#include <immintrin.h>

#include "simd_common.h"  // AVX2, cpu_has_avx2_fma, hsum8

#define VNNI256 __attribute__((target("avx2,fma,avxvnni")))
#define VNNI512 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vnni")))

enum { PATH_AUTO = 0, PATH_SCALAR = 1, PATH_AVX2 = 2, PATH_VNNI256 = 3, PATH_VNNI512 = 4 };

int int8_cpu_path(int path) {
    int has2 = cpu_has_avx2_fma();
    int has256 = has2 && __builtin_cpu_supports("avxvnni");
    int has512 = has2 && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
    int best = has512 ? PATH_VNNI512 : has256 ? PATH_VNNI256 : has2 ? PATH_AVX2 : PATH_SCALAR;
    if (path == PATH_SCALAR) return PATH_SCALAR;
    if (path == PATH_VNNI512) return best;
    if (path == PATH_VNNI256) return has256 ? PATH_VNNI256 : has2 ? PATH_AVX2 : PATH_SCALAR;
    if (path == PATH_AVX2) return has2 ? PATH_AVX2 : PATH_SCALAR;
    return best;
}

/* ------------------------------------------------------------------ row dots: R rows of w against x */

/* Each variant computes out[r] = sum_j w[r*ldw + j] * x[j] for r < R (R = 1 or 4) and
   returns nonzero when it saw a -128. */

static int rows_scalar(const signed char *w, long ldw, const signed char *x, long k, int rows, int *out) {
    int bad = 0;
    for (int r = 0; r < rows; r++) {
        int acc = 0;
        for (long j = 0; j < k; j++) {
            bad |= (w[r * ldw + j] == -128) | (x[j] == -128);
            acc += w[r * ldw + j] * x[j];
        }
        out[r] = acc;
    }
    return bad;
}

AVX2 static int hsum_epi32_256(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

#define DEFINE_ROWS_256(NAME, ATTR, MULADD)                                                      \
    ATTR static int NAME(const signed char *w, long ldw, const signed char *x, long k, int rows, \
                         int *out) {                                                             \
        const __m256i m128 = _mm256_set1_epi8(-128);                                             \
        __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(),                        \
                          _mm256_setzero_si256(), _mm256_setzero_si256()};                       \
        __m256i bad = _mm256_setzero_si256();                                                    \
        long j = 0;                                                                              \
        for (; j + 32 <= k; j += 32) {                                                           \
            __m256i xv = _mm256_loadu_si256((const __m256i *)(x + j));                           \
            __m256i ax = _mm256_abs_epi8(xv);                                                    \
            bad = _mm256_or_si256(bad, _mm256_cmpeq_epi8(xv, m128));                             \
            for (int r = 0; r < rows; r++) {                                                     \
                __m256i wv = _mm256_loadu_si256((const __m256i *)(w + r * ldw + j));             \
                bad = _mm256_or_si256(bad, _mm256_cmpeq_epi8(wv, m128));                         \
                acc[r] = MULADD(acc[r], ax, _mm256_sign_epi8(wv, xv));                           \
            }                                                                                    \
        }                                                                                        \
        int tail[4] = {0, 0, 0, 0};                                                              \
        int bad_tail = j < k ? rows_scalar(w + j, ldw, x + j, k - j, rows, tail) : 0;            \
        for (int r = 0; r < rows; r++) out[r] = hsum_epi32_256(acc[r]) + tail[r];                \
        return bad_tail | !_mm256_testz_si256(bad, bad);                                         \
    }

AVX2 static inline __m256i muladd_avx2(__m256i acc, __m256i u, __m256i s) {
    __m256i pairs = _mm256_maddubs_epi16(u, s);  // int16: |pair| <= 32258, no saturation
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}
VNNI256 static inline __m256i muladd_vnni256(__m256i acc, __m256i u, __m256i s) {
    return _mm256_dpbusd_avx_epi32(acc, u, s);
}
DEFINE_ROWS_256(rows_avx2, AVX2, muladd_avx2)
DEFINE_ROWS_256(rows_vnni256, VNNI256, muladd_vnni256)

VNNI512 static int rows_vnni512(const signed char *w, long ldw, const signed char *x, long k, int rows, int *out) {
    const __m512i m128 = _mm512_set1_epi8(-128), zero = _mm512_setzero_si512();
    __m512i acc[4] = {zero, zero, zero, zero};
    __mmask64 bad = 0;
    long j = 0;
    for (; j + 64 <= k; j += 64) {
        __m512i xv = _mm512_loadu_si512(x + j);
        __m512i ax = _mm512_abs_epi8(xv);
        __mmask64 negative = _mm512_movepi8_mask(xv);
        bad |= _mm512_cmpeq_epi8_mask(xv, m128);
        for (int r = 0; r < rows; r++) {
            __m512i wv = _mm512_loadu_si512(w + r * ldw + j);
            bad |= _mm512_cmpeq_epi8_mask(wv, m128);
            __m512i sw = _mm512_mask_sub_epi8(wv, negative, zero, wv);  // w * sign(x)
            acc[r] = _mm512_dpbusd_epi32(acc[r], ax, sw);
        }
    }
    int tail[4] = {0, 0, 0, 0};
    int bad_tail = j < k ? rows_avx2(w + j, ldw, x + j, k - j, rows, tail) : 0;
    for (int r = 0; r < rows; r++) out[r] = _mm512_reduce_add_epi32(acc[r]) + tail[r];
    return bad_tail | (bad != 0);
}

typedef int (*rows_fn)(const signed char *, long, const signed char *, long, int, int *);

static rows_fn rows_for(int path) {
    switch (int8_cpu_path(path)) {
        case PATH_VNNI512: return rows_vnni512;
        case PATH_VNNI256: return rows_vnni256;
        case PATH_AVX2: return rows_avx2;
        default: return rows_scalar;
    }
}

int int8_dot(const signed char *a, const signed char *b, long k, int *result, int path) {
    return rows_for(path)(a, 0, b, k, 1, result) ? -2 : 0;
}

int int8_gemv(const signed char *w, long ldw, const signed char *x, int *y, float *y_scaled,
              const float *w_scale, float x_scale, long m, long k, int path) {
    rows_fn rows = rows_for(path);
    int bad = 0;
    for (long i = 0; i < m; i += 4) {  // four rows share each load of x and its |x|
        int count = m - i < 4 ? (int)(m - i) : 4;
        bad |= rows(w + i * ldw, ldw, x, k, count, y + i);
        if (y_scaled)
            for (int r = 0; r < count; r++) y_scaled[i + r] = (float)y[i + r] * (w_scale[i + r] * x_scale);
    }
    return bad ? -2 : 0;
}

int int8_gemm(const signed char *a, long lda, const signed char *w, long ldw, int *c, long ldc,
              long m, long n, long k, int path) {
    rows_fn rows = rows_for(path);
    int bad = 0;
    const long block = 64;  // a block of W's rows stays in L2 while every row of A passes over it
    for (long j0 = 0; j0 < n; j0 += block) {
        long j1 = n - j0 < block ? n : j0 + block;
        for (long i = 0; i < m; i++)
            for (long j = j0; j < j1; j += 4) {
                int count = j1 - j < 4 ? (int)(j1 - j) : 4, out[4];
                bad |= rows(w + j * ldw, ldw, a + i * lda, k, count, out);
                for (int r = 0; r < count; r++) c[i * ldc + j + r] = out[r];
            }
    }
    return bad ? -2 : 0;
}

/* ------------------------------------------------------------------ INT4 */

static float int4_row_scalar(const unsigned char *w, const float *scales, const float *x, long k, long group) {
    float total = 0.0f;
    for (long g0 = 0; g0 < k; g0 += group) {
        float part = 0.0f;
        for (long j = g0; j < g0 + group; j += 2) {
            unsigned char byte = w[j / 2];
            part += (float)((byte & 0x0F) - 8) * x[j] + (float)((byte >> 4) - 8) * x[j + 1];
        }
        total += scales[g0 / group] * part;
    }
    return total;
}

AVX2 static float int4_row_avx2(const unsigned char *w, const float *scales, const float *x, long k, long group) {
    const __m128i low4 = _mm_set1_epi8(0x0F), bias = _mm_set1_epi8(8);
    __m256 total = _mm256_setzero_ps();
    float total_tail = 0.0f;
    const long full = group - group % 32;  // the part of each group the vector loop covers
    // walk groups with incrementing indices: a 64-bit division per group (g0 / group) costs
    // tens of cycles, as much as the 32 multiply-adds of a small group
    for (long g = 0, g0 = 0; g0 < k; g++, g0 += group) {
        // four accumulators: one FMA chain would wait on its own latency every step
        __m256 p0 = _mm256_setzero_ps(), p1 = _mm256_setzero_ps(), p2 = _mm256_setzero_ps(), p3 = _mm256_setzero_ps();
        const unsigned char *bytes_at = w + (g0 >> 1);
        const float *xg = x + g0;
        for (long j = 0; j < full; j += 32, bytes_at += 16) {
            __m128i bytes = _mm_loadu_si128((const __m128i *)bytes_at);
            __m128i lo = _mm_sub_epi8(_mm_and_si128(bytes, low4), bias);                     // even elements
            __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(bytes, 4), low4), bias);  // odd elements
            __m128i first = _mm_unpacklo_epi8(lo, hi), second = _mm_unpackhi_epi8(lo, hi);   // back in order
            p0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(first)), _mm256_loadu_ps(xg + j), p0);
            p1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(first, 8))), _mm256_loadu_ps(xg + j + 8), p1);
            p2 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(second)), _mm256_loadu_ps(xg + j + 16), p2);
            p3 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(second, 8))), _mm256_loadu_ps(xg + j + 24), p3);
        }
        __m256 part = _mm256_add_ps(_mm256_add_ps(p0, p1), _mm256_add_ps(p2, p3));
        total = _mm256_fmadd_ps(_mm256_set1_ps(scales[g]), part, total);
        if (full < group) {  // a group that is not a multiple of 32 ends with a scalar piece
            float one = 1.0f;
            total_tail += scales[g] * int4_row_scalar(bytes_at, &one, xg + full, group - full, group - full);
        }
    }
    return hsum8(total) + total_tail;
}

int int4_gemv(const unsigned char *w, long ldw, const float *scales, long lds, const float *x,
              float *y, long m, long k, long group, int path) {
    if (group <= 0 || group % 2 || k % group) return -1;
    int simd = int8_cpu_path(path) != PATH_SCALAR;
    for (long i = 0; i < m; i++)
        y[i] = simd ? int4_row_avx2(w + i * ldw, scales + i * lds, x, k, group)
                    : int4_row_scalar(w + i * ldw, scales + i * lds, x, k, group);
    return 0;
}
