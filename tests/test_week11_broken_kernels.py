"""Deliberately broken C kernels: each must fail the week 11 checks with a message naming
its symptom (the issue's acceptance list). They are compiled here with cffi, at -O0 so that
the aligned load really is a vmovaps (an optimising compiler may fold it into an arithmetic
instruction, which does not fault), and judged with the suite's own helpers."""

import types

import numpy as np
import pytest

from aigc_bench import machine
from aigc_bench.checks import CheckFailed
from aigc_bench.guarded import assert_alignment_safe, guarded_output
from suites.week11_simd.contract import INT8_MAX_K
from suites.week11_simd.kernel_checks import assert_integers_exact
from suites.week11_simd.test_dot import check_dot
from suites.week11_simd.test_gemm import check_matmul

pytestmark = pytest.mark.skipif(not machine.has_flags("avx2", "fma"), reason=f"the broken kernels use AVX2/FMA, which this CPU lacks ({machine.cpu_model()})")

CDEF = """
float dot_tail_off_by_one(const float *x, const float *y, long n);
float sum_aligned_unchecked(const float *x, long n);
long long int8_dot_biased_int32(const signed char *a, const signed char *b, long k);
void matmul_full_vector_edges(const float *a, const float *b, float *c, long m, long k, long n);
"""

SOURCE = r"""
#include <immintrin.h>

/* tail loop stops one short: `i < n - 1` */
float dot_tail_off_by_one(const float *x, const float *y, long n) {
    __m256 acc = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc);
    float lanes[8];
    _mm256_storeu_ps(lanes, acc);
    float sum = 0;
    for (int l = 0; l < 8; l++) sum += lanes[l];
    for (; i < n - 1; i++) sum += x[i] * y[i];
    return sum;
}

/* the aligned-only path, reached without checking the address */
float sum_aligned_unchecked(const float *x, long n) {
    __m256 acc = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_add_ps(acc, _mm256_load_ps(x + i));
    float lanes[8];
    _mm256_storeu_ps(lanes, acc);
    float sum = 0;
    for (int l = 0; l < 8; l++) sum += lanes[l];
    for (; i < n; i++) sum += x[i];
    return sum;
}

/* the unsigned-bias trick: sum (a + 128) * b in an int32 accumulator, subtract 128 * sum(b)
   afterwards. (a + 128) * b reaches 255 * 127, so past K ~ 66000 the int32 sum wraps
   (modelled with unsigned arithmetic: the wrap a real vpaddd performs). */
long long int8_dot_biased_int32(const signed char *a, const signed char *b, long k) {
    int acc = 0;
    long long sum_b = 0;
    for (long i = 0; i < k; i++) {
        acc = (int)((unsigned)acc + (unsigned)((a[i] + 128) * b[i]));
        sum_b += b[i];
    }
    return (long long)acc - 128 * sum_b;
}

/* C = A @ B storing whole 8-wide vectors: the last vector of a row runs past n */
void matmul_full_vector_edges(const float *a, const float *b, float *c, long m, long k, long n) {
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j += 8) {
            float tile[8] = {0};
            for (long p = 0; p < k; p++)
                for (int l = 0; l < 8 && j + l < n; l++) tile[l] += a[i * k + p] * b[p * n + j + l];
            _mm256_storeu_ps(c + i * n + j, _mm256_loadu_ps(tile));
        }
}
"""


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.set_source("_week11_broken_kernels", SOURCE, extra_compile_args=["-O0", "-mavx2", "-mfma"])
    so = ffi.compile(tmpdir=str(tmp_path_factory.mktemp("broken_kernels")))
    import importlib.util

    spec = importlib.util.spec_from_file_location("_week11_broken_kernels", so)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ffi, module.lib


def _ptr(ffi, array, ctype="float *"):
    return ffi.cast(ctype, array.ctypes.data)


def test_off_by_one_tail_loop_is_named(broken):
    ffi, lib = broken

    def dot(x, y):
        x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
        return np.float32(lib.dot_tail_off_by_one(_ptr(ffi, x), _ptr(ffi, y), x.shape[0]))

    x = np.linspace(0.5, 1.5, 19, dtype=np.float32)
    with pytest.raises(CheckFailed, match=r"tail loop .*off by one") as failure:
        check_dot(types.SimpleNamespace(dot=dot), x, np.ones(19, np.float32))
    assert "first 18 of the 19 terms" in str(failure.value)


def test_unaligned_load_on_aligned_only_path_is_named(broken):
    ffi, lib = broken

    def sum_aligned(x):
        return np.float32(lib.sum_aligned_unchecked(_ptr(ffi, x), x.shape[0]))

    values = np.linspace(0.5, 1.5, 64, dtype=np.float32)
    with pytest.raises(CheckFailed, match=r"unaligned load on an aligned-only path") as failure:
        assert_alignment_safe(sum_aligned, values, what="sum_aligned_unchecked")
    assert "SIGSEGV" in str(failure.value) or "SIGBUS" in str(failure.value)


def test_int32_accumulation_overflow_is_named(broken):
    ffi, lib = broken
    a = np.full(INT8_MAX_K, 127, np.int8)
    b = np.full(INT8_MAX_K, 127, np.int8)
    out = lib.int8_dot_biased_int32(_ptr(ffi, a, "signed char *"), _ptr(ffi, b, "signed char *"), INT8_MAX_K)
    with pytest.raises(CheckFailed, match=r"multiple of 2\^32: an int32 accumulator overflowed"):
        assert_integers_exact(np.int64(out), np.int64(INT8_MAX_K) * 127 * 127, what="int8 dot at the largest K")
    # within a short K the same kernel is right: the symptom is the overflow, not the arithmetic
    short = lib.int8_dot_biased_int32(_ptr(ffi, a, "signed char *"), _ptr(ffi, b, "signed char *"), 1000)
    assert short == 1000 * 127 * 127


def test_out_of_bounds_write_is_named(broken):
    ffi, lib = broken

    def matmul(a, b, out=None):
        a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
        (m, k), n = a.shape, b.shape[1]
        lib.matmul_full_vector_edges(_ptr(ffi, a), _ptr(ffi, b), _ptr(ffi, out), m, k, n)
        return out

    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 5)).astype(np.float32)
    b = rng.standard_normal((5, 13)).astype(np.float32)  # 13 columns: the last row's vector spills 3 floats
    with pytest.raises(CheckFailed, match=r"wrote past the end of C"):
        check_matmul(types.SimpleNamespace(matmul=matmul), a, b)


def test_guard_passes_a_correct_kernel():
    """The guard itself must not cry wolf: an in-bounds write passes."""
    c = guarded_output((4, 3), np.float32, name="C", misalign=4)
    c.array[...] = 1.0
    c.check()
