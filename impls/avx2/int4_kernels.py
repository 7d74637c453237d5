"""INT4 group-scaled GEMV: thin adapter over native/int8.c int4_gemv (nibbles unpacked in registers)."""

import numpy as np

from aigc_bench import native
from impls.avx2._kernel_call import INT8_PATHS, check, element_strides, path, pointer, unit_rows
from impls.numpy.int4_kernels import int4_pack, int4_unpack  # noqa: F401  (packing is layout, not compute)
from impls.simd_args import int4_gemv_args

ffi, lib = native.load("int8")


def int4_gemv(packed, scales, x, group_size, out=None):
    packed, scales, x, out = int4_gemv_args(packed, scales, x, group_size, out)
    packed, scales, x = unit_rows(packed), unit_rows(scales), np.ascontiguousarray(x)
    m = packed.shape[0]
    ldw = element_strides(packed)[0] if m > 1 else packed.shape[1]
    lds = element_strides(scales)[0] if m > 1 else scales.shape[1]
    code = lib.int4_gemv(
        pointer(ffi, packed, "unsigned char *"), ldw, pointer(ffi, scales, "float *"), lds,
        pointer(ffi, x, "float *"), pointer(ffi, out, "float *"), m, x.shape[0], int(group_size), path(INT8_PATHS),
    )
    check(code, "int4_gemv")
    return out
