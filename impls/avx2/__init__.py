"""C kernels with AVX2/FMA intrinsics (native/*.c), called through thin cffi adapters."""

from aigc_bench import native


def unavailable_reason():
    return native.unavailable_reason("avx2", "fma")
