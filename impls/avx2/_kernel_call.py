"""What the week 11 cffi adapters share: raw pointers to (possibly strided) arrays, the
dispatch path, and the kernels' return codes turned into exceptions.

AIGC_BENCH_SIMD_PATH=scalar|avx2|avx512|vnni256|auto forces a kernel path (default auto: the
best the CPU has, chosen inside the C code); tests/test_week11_native_paths.py checks every one."""

from __future__ import annotations

import os
from contextlib import contextmanager

import numpy as np

FLOAT_PATHS = {"auto": 0, "scalar": 1, "avx2": 2, "avx512": 3, "vnni256": 2, "vnni512": 3}  # the int8 names pick the same vector width
INT8_PATHS = {"auto": 0, "scalar": 1, "avx2": 2, "vnni256": 3, "avx512": 4, "vnni512": 4}


_forced = os.environ.get("AIGC_BENCH_SIMD_PATH", "auto").lower()  # read once: os.environ costs microseconds


def path(table: dict) -> int:
    if _forced not in table:
        raise ValueError(f"AIGC_BENCH_SIMD_PATH={_forced!r}; expected one of {', '.join(table)}")
    return table[_forced]


@contextmanager
def forced_path(name: str):
    """Force a kernel path for the calls inside the block (as AIGC_BENCH_SIMD_PATH does for a run)."""
    global _forced
    previous, _forced = _forced, name.lower()
    try:
        yield
    finally:
        _forced = previous


def pointer(ffi, array: np.ndarray, ctype: str):
    """A C pointer to array's first element (any strides: the caller passes them separately).
    The array must stay alive during the call."""
    if array.flags.c_contiguous:  # the fast way (ndarray.ctypes costs microseconds per call)
        return ffi.from_buffer(ctype, array, require_writable=False)
    return ffi.cast(ctype, array.ctypes.data)


def element_strides(array: np.ndarray) -> tuple[int, ...]:
    return tuple(s // array.itemsize for s in array.strides)


def unit_rows(array: np.ndarray) -> np.ndarray:
    """`array` if its last axis has unit stride and its row stride is positive, else a C copy."""
    if array.strides[-1] == array.itemsize and (array.ndim == 1 or array.strides[0] > 0):
        return array
    return np.ascontiguousarray(array)


def check(code: int, function: str) -> None:
    if code == -2:
        raise ValueError(f"{function}: an int8 operand contains -128; operands must lie in [-127, 127]")
    if code != 0:
        raise MemoryError(f"{function}: the native kernel failed (code {code}: allocation or argument error)")
