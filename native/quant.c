// quant.c -- group-wise quantization kernels for the week 8-10 quantization skills:
// symmetric and asymmetric quantize of a groups matrix [G, g] (one scale per row), dequantize
// with per-row group scales and zero points, INT4 nibble packing (element 2i in the low
// nibble), and a weight-only W8A16 matmul that never builds the float weight: each group's
// int8 codes are widened to float in registers (AVX2 cvtepi8_epi32 -> cvtepi32_ps), FMA'd
// with x, and the group's partial sum is scaled once.
// The int8 x int8 GEMM and the INT4 GEMV live in native/int8.c (week 11) and are reused.
//
// Rounding is rintf (round half to even in the default mode), as NumPy's np.rint.
//
// build: -O3 -mavx2 -mfma
#include <immintrin.h>
#include <math.h>

#include "simd_common.h"  // hsum8, widen8

static inline float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

void quant_symmetric(const float *x, long rows, long g, int qmax, int compute_scale, float *scale, int *q) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * g;
        if (compute_scale) {
            float amax = 0.0f;
            for (long c = 0; c < g; c++) amax = fmaxf(amax, fabsf(row[c]));
            scale[r] = amax / (float)qmax;
        }
        float inv = scale[r] > 0.0f ? 1.0f / scale[r] : 0.0f;  // all-zero group: q = 0
        for (long c = 0; c < g; c++)
            q[r * g + c] = (int)clampf(rintf(row[c] * inv), (float)-qmax, (float)qmax);
    }
}

void quant_asymmetric(const float *x, long rows, long g, int levels, int *q, float *scale, int *zero_point) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * g;
        float lo = 0.0f, hi = 0.0f;  // the range always contains 0, so 0.0 is exact
        for (long c = 0; c < g; c++) {
            lo = fminf(lo, row[c]);
            hi = fmaxf(hi, row[c]);
        }
        scale[r] = (hi - lo) / (float)levels;
        float inv = scale[r] > 0.0f ? 1.0f / scale[r] : 0.0f;
        int zp = (int)clampf(rintf(-lo * inv), 0.0f, (float)levels);
        zero_point[r] = zp;
        for (long c = 0; c < g; c++)
            q[r * g + c] = (int)clampf(rintf(row[c] * inv) + (float)zp, 0.0f, (float)levels);
    }
}

void quant_dequantize(const void *codes, int is_signed, long rows, long n, long groups,
                      const float *scale, const int *zero_point, float *out) {
    const signed char *s8 = (const signed char *)codes;
    const unsigned char *u8 = (const unsigned char *)codes;
    long width = n / groups;
    for (long r = 0; r < rows; r++)
        for (long gi = 0; gi < groups; gi++) {
            float s = scale[r * groups + gi];
            float zp = zero_point ? (float)zero_point[r * groups + gi] : 0.0f;
            for (long c = gi * width; c < (gi + 1) * width; c++) {
                float v = is_signed ? (float)s8[r * n + c] : (float)u8[r * n + c];
                out[r * n + c] = (v - zp) * s;
            }
        }
}

void quant_pack_int4(const unsigned char *codes, long count, unsigned char *packed) {
    for (long i = 0; i < count / 2; i++)
        packed[i] = (unsigned char)((codes[2 * i] & 0x0F) | (codes[2 * i + 1] << 4));
}

void quant_unpack_int4(const unsigned char *packed, long bytes, unsigned char *codes) {
    for (long i = 0; i < bytes; i++) {
        codes[2 * i] = packed[i] & 0x0F;
        codes[2 * i + 1] = packed[i] >> 4;
    }
}

void quant_matmul_w8a16(const float *x, const signed char *w, const float *scale,
                        long m, long n, long k, long groups, float *out) {
    long width = k / groups;
    for (long i = 0; i < m; i++) {
        const float *xi = x + i * k;
        for (long j = 0; j < n; j++) {
            const signed char *wj = w + j * k;
            float total = 0.0f;
            for (long gi = 0; gi < groups; gi++) {
                long p = gi * width, end = p + width;
                __m256 acc = _mm256_setzero_ps();
                for (; p + 8 <= end; p += 8) {
                    acc = _mm256_fmadd_ps(_mm256_loadu_ps(xi + p), widen8(wj + p), acc);  // 8 int8 codes
                }
                float partial = hsum8(acc);
                for (; p < end; p++) partial += xi[p] * (float)wj[p];
                total += partial * scale[j * groups + gi];
            }
            out[i * n + j] = total;
        }
    }
}
