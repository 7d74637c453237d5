// Scaled dot-product attention and softmax with AVX2/FMA intrinsics.
//
// What it computes: see attention.h. For each query, over the keys it may see
// (causal limit, padding mask):
//   scores s_j = q . k_j / sqrt(d) (FMA dot products, 8 floats or 4 doubles a
//   step, scalar tails for lengths that are not a multiple), p_j = exp(s_j - max),
//   out = sum_j p_j v_j / sum_j p_j (FMA over the value rows).
// float64: two passes over the keys, one query at a time (accuracy, not speed).
// float32: flash attention. Queries in blocks of 32 (worked four at a time, so
// that each key and value row loaded serves four queries), keys in blocks of 64
// (small enough to stay in L1 while the 32 queries use them), and an online
// softmax: a running maximum, a running sum and an unnormalised output per query,
// rescaled by exp(old max - new max) when a later key block raises the maximum.
// exp is an 8-lane polynomial (exp8).
// Subtracting the maximum keeps exp from overflowing at large scores; a query
// with no visible key gets zeros.
//
// How it is built: by cffi, through aigc_bench.native.load("attention") (or on
// `pip install`), with the flags below; the Python adapters check CPU features
// first (impls/avx2/__init__.py).
//
// build: -O3 -mavx2 -mfma

#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "simd_common.h"  // hsum8

// ---------------------------------------------------------------- float32 primitives

static inline float hmax8(__m256 x) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Not gemm.c's dot_avx2 (four accumulators, tuned for long vectors and benchmarked as the
// week 11 dot): these rows are short (d, one key block), and sharing it would change the
// order, hence the rounding, of every sum here.
static inline float dot_f32(const float *a, const float *b, long n) {
    // two accumulators hide the FMA latency
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    if (i + 8 <= n) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        i += 8;
    }
    float s = hsum8(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) s += a[i] * b[i];  // tail
    return s;
}

static inline void scale_f32(float *y, float alpha, long n) {
    __m256 a = _mm256_set1_ps(alpha);
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(a, _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] *= alpha;
}

static inline float max_f32(const float *x, long n) {
    float m = -INFINITY;
    long i = 0;
    if (n >= 8) {
        __m256 acc = _mm256_set1_ps(-INFINITY);
        for (; i + 8 <= n; i += 8) acc = _mm256_max_ps(acc, _mm256_loadu_ps(x + i));
        m = hmax8(acc);
    }
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

// e^x for 8 floats: x = n ln2 + r with |r| <= ln2/2, e^r by its Taylor series to r^7
// (truncation error < 1e-8, below float32 rounding), 2^n put into the exponent bits.
// Inputs below -87.3 (including -inf: masked scores) give exactly 0.
static inline __m256 exp8(__m256 x) {
    const __m256 lowest = _mm256_set1_ps(-87.33654475f);  // e^lowest = FLT_MIN
    const __m256 underflow = _mm256_cmp_ps(x, lowest, _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, lowest), _mm256_set1_ps(88.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504089f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // ln2 in two parts so that n * ln2_hi is exact
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i two_n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(underflow, _mm256_mul_ps(p, _mm256_castsi256_ps(two_n)));
}

// s[j] = exp(s[j] - shift) in place; returns the sum.
static inline float exp_shift_sum_f32(float *s, long n, float shift) {
    const __m256 sh = _mm256_set1_ps(shift);
    __m256 acc = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(s + i), sh));
        _mm256_storeu_ps(s + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float total = hsum8(acc);
    for (; i < n; i++) {
        s[i] = expf(s[i] - shift);
        total += s[i];
    }
    return total;
}

// The float32 kernel works on tiles of QT queries, so that each key and value row
// loaded from memory serves QT queries (one query at a time streams all of K and V
// per query, and is memory-bound once they leave L1/L2).
#define QT 4

// [a_0 . 1, a_1 . 1, a_2 . 1, a_3 . 1]: four horizontal sums at once
static inline __m128 hsum8x4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

// scores[r * ld + j] = q_r . k_j * scale for r < QT, j < n; two keys a step, each
// chunk of a key loaded once for the QT queries (8 accumulators: QT x 2).
static void tile_scores_f32(const float *const qs[QT], const float *k, long n, long d, float scale, float *scores, long ld) {
    long j = 0;
    for (; j + 2 <= n; j += 2) {
        const float *k0 = k + j * d, *k1 = k0 + d;
        __m256 a[QT][2];
        for (int r = 0; r < QT; r++) a[r][0] = a[r][1] = _mm256_setzero_ps();
        long t = 0;
        for (; t + 8 <= d; t += 8) {
            const __m256 x0 = _mm256_loadu_ps(k0 + t), x1 = _mm256_loadu_ps(k1 + t);
            for (int r = 0; r < QT; r++) {
                const __m256 qr = _mm256_loadu_ps(qs[r] + t);
                a[r][0] = _mm256_fmadd_ps(qr, x0, a[r][0]);
                a[r][1] = _mm256_fmadd_ps(qr, x1, a[r][1]);
            }
        }
        float s0[QT], s1[QT];
        _mm_storeu_ps(s0, hsum8x4(a[0][0], a[1][0], a[2][0], a[3][0]));
        _mm_storeu_ps(s1, hsum8x4(a[0][1], a[1][1], a[2][1], a[3][1]));
        for (; t < d; t++)  // tail
            for (int r = 0; r < QT; r++) {
                s0[r] += qs[r][t] * k0[t];
                s1[r] += qs[r][t] * k1[t];
            }
        for (int r = 0; r < QT; r++) {
            scores[r * ld + j] = s0[r] * scale;
            scores[r * ld + j + 1] = s1[r] * scale;
        }
    }
    for (; j < n; j++)  // an odd last key
        for (int r = 0; r < QT; r++) scores[r * ld + j] = dot_f32(qs[r], k + j * d, d) * scale;
}

// out[r * dv + c] += sum_{j < n} p[r * ld + j] v[j * dv + c] for r < QT: columns in
// panels of 16 (8 accumulators: QT x 2), every value row loaded once for the QT queries.
static void tile_weighted_sum_f32(const float *p, long ld, const float *v, long n, long dv, float *out) {
    long c = 0;
    for (; c + 16 <= dv; c += 16) {
        __m256 a[QT][2];
        for (int r = 0; r < QT; r++) {
            a[r][0] = _mm256_loadu_ps(out + r * dv + c);
            a[r][1] = _mm256_loadu_ps(out + r * dv + c + 8);
        }
        for (long j = 0; j < n; j++) {
            const __m256 v0 = _mm256_loadu_ps(v + j * dv + c), v1 = _mm256_loadu_ps(v + j * dv + c + 8);
            for (int r = 0; r < QT; r++) {
                const __m256 pr = _mm256_broadcast_ss(p + r * ld + j);
                a[r][0] = _mm256_fmadd_ps(pr, v0, a[r][0]);
                a[r][1] = _mm256_fmadd_ps(pr, v1, a[r][1]);
            }
        }
        for (int r = 0; r < QT; r++) {
            _mm256_storeu_ps(out + r * dv + c, a[r][0]);
            _mm256_storeu_ps(out + r * dv + c + 8, a[r][1]);
        }
    }
    for (; c + 8 <= dv; c += 8) {
        __m256 a[QT];
        for (int r = 0; r < QT; r++) a[r] = _mm256_loadu_ps(out + r * dv + c);
        for (long j = 0; j < n; j++) {
            const __m256 v0 = _mm256_loadu_ps(v + j * dv + c);
            for (int r = 0; r < QT; r++) a[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(p + r * ld + j), v0, a[r]);
        }
        for (int r = 0; r < QT; r++) _mm256_storeu_ps(out + r * dv + c, a[r]);
    }
    for (; c < dv; c++)  // tail columns
        for (int r = 0; r < QT; r++)
            for (long j = 0; j < n; j++) out[r * dv + c] += p[r * ld + j] * v[j * dv + c];
}

// Queries in blocks of QB and keys in blocks of KB (a KB-key block of K and V, 32 KiB
// at d = 64, stays in L1 while the QB queries use it, four at a time). The softmax is
// online (flash attention): each query keeps its running maximum m, its running sum
// l and its unnormalised output; a larger maximum in a later key block rescales the
// sum and the output by exp(m_old - m_new).
#define QB 32
#define KB 64

int attention_f32(const float *q, const float *k, const float *v, const unsigned char *allowed, float *out,
                  long batch, long lq, long lk, long d, long dv, int causal) {
    float *acc = malloc(sizeof(float) * (size_t)(QB * (dv > 0 ? dv : 1)));  // [QB, dv] unnormalised outputs
    if (!acc) return -1;
    float p[QT * KB];  // one tile's scores, then probabilities [QT, KB]
    float m[QB], l[QB];
    long seen[QB];
    const float scale = (float)(d > 0 ? 1.0 / sqrt((double)d) : 1.0);
    for (long b = 0; b < batch; b++) {
        const float *kb = k + b * lk * d, *vb = v + b * lk * dv;
        for (long i0 = 0; i0 < lq; i0 += QB) {
            const long nq = lq - i0 < QB ? lq - i0 : QB;
            long block_seen = 0;
            for (long r = 0; r < nq; r++) {
                // causal: query i sees keys j <= i + (lk - lq), i.e. the first seen[r] keys
                const long s_r = causal ? i0 + r + lk - lq + 1 : lk;
                seen[r] = s_r < 0 ? 0 : (s_r > lk ? lk : s_r);
                block_seen = seen[r] > block_seen ? seen[r] : block_seen;
                m[r] = -INFINITY;
                l[r] = 0;
            }
            memset(acc, 0, sizeof(float) * (size_t)(QB * dv));
            for (long j0 = 0; j0 < block_seen; j0 += KB) {
                for (long t0 = 0; t0 < nq; t0 += QT) {
                    const long rows = nq - t0 < QT ? nq - t0 : QT;  // a short last tile repeats its last query
                    const float *qs[QT];
                    long tile_seen = 0;
                    for (int r = 0; r < QT; r++) {
                        const long rr = t0 + (r < rows ? r : rows - 1);
                        qs[r] = q + (b * lq + i0 + rr) * d;
                        tile_seen = seen[rr] > tile_seen ? seen[rr] : tile_seen;
                    }
                    const long nk = (tile_seen < j0 + KB ? tile_seen : j0 + KB) - j0;  // keys of this block
                    if (nk <= 0) continue;  // the whole tile is causally before this block
                    tile_scores_f32(qs, kb + j0 * d, nk, d, scale, p, KB);
                    for (int r = 0; r < QT; r++) {
                        float *row = p + r * KB;
                        if (r >= rows) {  // padding row of a short tile: contributes nothing
                            memset(row, 0, sizeof(float) * (size_t)nk);
                            continue;
                        }
                        const long rr = t0 + r;
                        const unsigned char *ok = allowed ? allowed + (b * lq + i0 + rr) * lk + j0 : NULL;
                        for (long j = seen[rr] - j0 < 0 ? 0 : seen[rr] - j0; j < nk; j++) row[j] = -INFINITY;
                        if (ok)
                            for (long j = 0; j < nk; j++)
                                if (!ok[j]) row[j] = -INFINITY;  // masked: exp gives 0
                        const float block_max = max_f32(row, nk);
                        const float new_max = block_max > m[rr] ? block_max : m[rr];
                        if (new_max == -INFINITY) {  // nothing visible yet
                            memset(row, 0, sizeof(float) * (size_t)nk);
                            continue;
                        }
                        if (new_max > m[rr]) {  // rescale what was summed under the old maximum
                            const float correction = expf(m[rr] - new_max);  // 0 when m was -inf
                            l[rr] *= correction;
                            scale_f32(acc + rr * dv, correction, dv);
                            m[rr] = new_max;
                        }
                        l[rr] += exp_shift_sum_f32(row, nk, new_max);
                    }
                    tile_weighted_sum_f32(p, KB, vb + j0 * dv, nk, dv, acc + t0 * dv);
                }
            }
            for (long r = 0; r < nq; r++) {
                float *o = out + (b * lq + i0 + r) * dv;
                memcpy(o, acc + r * dv, sizeof(float) * (size_t)dv);
                scale_f32(o, l[r] > 0 ? 1 / l[r] : 0, dv);  // a query with no visible key: zeros
            }
        }
    }
    free(acc);
    return 0;
}

// ---------------------------------------------------------------- float64 primitives
// The float64 twins of the float32 primitives (hsum4, dot_f64, scale_f64, ...) stay separate
// functions on purpose: float64 is the exactness path the float32 kernel is checked against,
// kept one plain function a step so that it reads (and can be trusted) on its own; a macro
// over both types would hide which intrinsics each uses, and the float32 side is tuned apart
// (exp8, max over 8 lanes) where float64 uses libm and scalar loops.

static inline double hsum4(__m256d x) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(x), _mm256_extractf128_pd(x, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

static inline double dot_f64(const double *a, const double *b, long n) {
    __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        acc0 = _mm256_fmadd_pd(_mm256_loadu_pd(a + i), _mm256_loadu_pd(b + i), acc0);
        acc1 = _mm256_fmadd_pd(_mm256_loadu_pd(a + i + 4), _mm256_loadu_pd(b + i + 4), acc1);
    }
    if (i + 4 <= n) {
        acc0 = _mm256_fmadd_pd(_mm256_loadu_pd(a + i), _mm256_loadu_pd(b + i), acc0);
        i += 4;
    }
    double s = hsum4(_mm256_add_pd(acc0, acc1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static inline void axpy_f64(double alpha, const double *x, double *y, long n) {
    __m256d a = _mm256_set1_pd(alpha);
    long i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(y + i, _mm256_fmadd_pd(a, _mm256_loadu_pd(x + i), _mm256_loadu_pd(y + i)));
    for (; i < n; i++) y[i] += alpha * x[i];
}

static inline void scale_f64(double *y, double alpha, long n) {
    __m256d a = _mm256_set1_pd(alpha);
    long i = 0;
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, _mm256_mul_pd(a, _mm256_loadu_pd(y + i)));
    for (; i < n; i++) y[i] *= alpha;
}

static inline double max_f64(const double *x, long n) {
    double m = -INFINITY;
    for (long i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

static inline double exp_shift_sum_f64(double *s, long n, double shift) {
    double total = 0.0;
    for (long i = 0; i < n; i++) {
        s[i] = exp(s[i] - shift);
        total += s[i];
    }
    return total;
}

static inline void scores_f64(const double *q, const double *k, long n, long d, double scale, double *scores) {
    for (long j = 0; j < n; j++) scores[j] = dot_f64(q, k + j * d, d) * scale;
}

static inline void weighted_sum_f64(const double *p, const double *v, long n, long dv, double *out) {
    for (long j = 0; j < n; j++)
        if (p[j] != 0) axpy_f64(p[j], v + j * dv, out, dv);
}

// ---------------------------------------------------------------- float64 attention, softmax for both types

// One query at a time (float64 is for accuracy, not speed). The softmax loops are the
// same for float and double; only the primitives differ.
#define DEFINE_ATTENTION(T, SUFFIX)                                                                 \
    int attention_##SUFFIX(const T *q, const T *k, const T *v, const unsigned char *allowed, T *out, \
                           long batch, long lq, long lk, long d, long dv, int causal) {             \
        T *scores = malloc(sizeof(T) * (size_t)(lk > 0 ? lk : 1)); /* one query's scores [lk] */    \
        if (!scores) return -1;                                                                     \
        const T scale = (T)(d > 0 ? 1.0 / sqrt((double)d) : 1.0);                                   \
        for (long b = 0; b < batch; b++) {                                                          \
            const T *kb = k + b * lk * d, *vb = v + b * lk * dv;                                    \
            for (long i = 0; i < lq; i++) {                                                         \
                const T *qi = q + (b * lq + i) * d;                                                 \
                const unsigned char *ok = allowed ? allowed + (b * lq + i) * lk : NULL;             \
                T *oi = out + (b * lq + i) * dv;                                                    \
                /* causal: query i sees keys j <= i + (lk - lq), i.e. the first `seen` keys */      \
                long seen = causal ? i + lk - lq + 1 : lk;                                          \
                seen = seen < 0 ? 0 : (seen > lk ? lk : seen);                                      \
                scores_##SUFFIX(qi, kb, seen, d, scale, scores);                                    \
                if (ok)                                                                             \
                    for (long j = 0; j < seen; j++)                                                 \
                        if (!ok[j]) scores[j] = -INFINITY; /* masked: exp gives 0 */                \
                const T best = max_##SUFFIX(scores, seen);                                          \
                memset(oi, 0, sizeof(T) * (size_t)dv);                                              \
                if (best == -INFINITY) continue; /* no visible key: zeros */                        \
                const T total = exp_shift_sum_##SUFFIX(scores, seen, best);                         \
                weighted_sum_##SUFFIX(scores, vb, seen, dv, oi);                                    \
                scale_##SUFFIX(oi, 1 / total, dv);                                                  \
            }                                                                                       \
        }                                                                                           \
        free(scores);                                                                               \
        return 0;                                                                                   \
    }

#define DEFINE_SOFTMAX(T, SUFFIX)                                                                   \
    void softmax_rows_##SUFFIX(const T *x, T *out, long rows, long n) {                             \
        for (long r = 0; r < rows; r++) {                                                           \
            T *o = out + r * n;                                                                     \
            memcpy(o, x + r * n, sizeof(T) * (size_t)n);                                            \
            const T total = exp_shift_sum_##SUFFIX(o, n, max_##SUFFIX(o, n));                       \
            scale_##SUFFIX(o, 1 / total, n);                                                        \
        }                                                                                           \
    }                                                                                               \
    void softmax_backward_rows_##SUFFIX(const T *y, const T *g, T *out, long rows, long n) {        \
        for (long r = 0; r < rows; r++) {                                                           \
            const T *yr = y + r * n, *gr = g + r * n;                                               \
            T *o = out + r * n;                                                                     \
            const T inner = dot_##SUFFIX(yr, gr, n); /* <g, y> */                                   \
            for (long j = 0; j < n; j++) o[j] = yr[j] * (gr[j] - inner);                            \
        }                                                                                           \
    }

DEFINE_ATTENTION(double, f64)
DEFINE_SOFTMAX(float, f32)
DEFINE_SOFTMAX(double, f64)
