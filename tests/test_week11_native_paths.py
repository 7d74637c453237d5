"""Every run-time dispatch path of the week 11 C kernels gives the same answers: the portable
scalar fallback (what a CPU without AVX2 runs), AVX2, and AVX-512 / AVX-VNNI / AVX-512 VNNI
where this CPU has them (a path the CPU lacks falls back, and the test says so)."""

from contextlib import ExitStack

import numpy as np
import pytest

from aigc_bench import machine, native
from impls.avx2._kernel_call import forced_path
from suites.week11_simd.kernel_checks import NMSE_LIMITS, assert_integers_exact, assert_nmse, exact_matmul, f64, int8_values

FLOAT_PATHS = ["scalar", "avx2", "avx512"]
INT8_PATHS = ["scalar", "avx2", "vnni256", "vnni512"]
NEEDS = {"avx2": ("avx2", "fma"), "avx512": ("avx512f",), "vnni256": ("avx_vnni",), "vnni512": ("avx512_vnni", "avx512bw")}


@pytest.fixture
def use_path():
    """use_path(name): run the rest of the test on that kernel path (skip when the CPU lacks it)."""
    with ExitStack() as stack:

        def use(path):
            missing = [f for f in NEEDS.get(path, ()) if not machine.has_flags(f)]
            if missing:
                pytest.skip(f"this CPU lacks {', '.join(missing)}: the {path} path falls back to another one")
            stack.enter_context(forced_path(path))

        yield use


@pytest.mark.parametrize("path", FLOAT_PATHS)
def test_float_kernels_on_every_path(use_path, path):
    use_path(path)
    from impls.avx2 import dot, gemm, gemv

    rng = np.random.default_rng(11)
    a = rng.standard_normal((37, 301)).astype(np.float32)
    b = rng.standard_normal((301, 45)).astype(np.float32)
    x = rng.standard_normal(301).astype(np.float32)
    assert_nmse(gemm.matmul(a.T.copy().T, b), (f64(a) @ f64(b)).numpy(), limit=NMSE_LIMITS["matmul"], scale=(f64(a).abs() @ f64(b).abs()).numpy(), what=f"matmul on the {path} path")
    assert_nmse(gemv.gemv(a, x), (f64(a) @ f64(x)).numpy(), limit=NMSE_LIMITS["gemv"], scale=(f64(a).abs() @ f64(x).abs()).numpy(), what=f"gemv on the {path} path")
    assert_nmse(np.asarray(dot.dot(a[0], x)), np.float64(f64(a[0]) @ f64(x)), limit=NMSE_LIMITS["dot"], scale=np.float64((f64(a[0]) * f64(x)).abs().sum()), what=f"dot on the {path} path")


@pytest.mark.parametrize("path", INT8_PATHS)
def test_integer_kernels_on_every_path(use_path, path):
    use_path(path)
    from impls.avx2 import int4_kernels, int8_kernels

    rng = np.random.default_rng(12)
    a, w = int8_values(rng, (9, 389)), int8_values(rng, (13, 389))
    assert_integers_exact(int8_kernels.int8_gemm(a, w), exact_matmul(a, w.T), what=f"int8_gemm on the {path} path")
    assert_integers_exact(int8_kernels.int8_gemv(w, a[0]), exact_matmul(w, a[0]), what=f"int8_gemv on the {path} path")
    big = np.full(131072, -127, np.int8)
    assert_integers_exact(np.asarray(int8_kernels.int8_dot(big, -big)), np.int64(-131072 * 127 * 127), what=f"int8_dot at the largest K on the {path} path")
    q = rng.integers(-8, 8, (5, 96))
    packed = int4_kernels.int4_pack(q)
    x = rng.integers(-3, 4, 96).astype(np.float32)
    assert_integers_exact(int4_kernels.int4_gemv(packed, np.ones((5, 3), np.float32), x, 32).astype(np.int64), q @ x.astype(np.int64), what=f"int4_gemv on the {path} path")


def test_the_dispatcher_reports_the_path_it_takes():
    ffi, lib = native.load("gemm")
    assert lib.gemm_cpu_path(1) == 1, "the scalar path must always be available"
    expected = 3 if machine.has_flags("avx512f", "avx2", "fma") else 2 if machine.has_flags("avx2", "fma") else 1
    assert lib.gemm_cpu_path(0) == expected, f"auto dispatch chose path {lib.gemm_cpu_path(0)}, expected {expected} for flags {sorted(machine.cpu_flags() & {'avx2', 'fma', 'avx512f'})}"


def test_a_bad_path_name_is_refused():
    from impls.avx2 import gemv

    with forced_path("sse9"), pytest.raises(ValueError, match="AIGC_BENCH_SIMD_PATH"):
        gemv.gemv(np.ones((2, 2), np.float32), np.ones(2, np.float32))
