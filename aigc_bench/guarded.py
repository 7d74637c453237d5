"""Memory guards for native kernels: catch out-of-bounds writes and reads, and crashes.

A C kernel that writes one element too many does not raise anything: it silently corrupts
whatever lies next in memory and the run fails later, somewhere else, or not at all. The
suites therefore hand kernels buffers with *canaries*: known bytes just before and just
after the region the kernel may touch, checked after the call.

    c = guarded_output((m, n), np.float32, name="C")
    impl.matmul(a, b, out=c.array)
    c.check()          # CheckFailed: "kernel wrote past the end of C: 4 of the 64 bytes ..."

Outputs start filled with NaN (integers: a marker pattern), so a kernel that reads C before
writing it (C += A @ B on an uninitialised C) produces NaN instead of a plausible number.
`guarded_input(a, name)` copies an input between NaN canaries: a kernel that reads past its
end folds NaN into the result, and one that writes into its input is caught by `check()`.
Outputs can also start `misalign` bytes past a 64-byte boundary, for unaligned stores.

`call_isolated(fn, *args)` runs a call in a forked child: a kernel that faults (an aligned
load on an unaligned address, a wild pointer) fails the test with the signal named instead of
killing the whole pytest run.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import signal
from dataclasses import dataclass

import numpy as np

from .checks import fail

CANARY_BYTES = 64  # one whole AVX-512 vector: a full-vector overrun lands inside the canary
# a byte pattern no kernel result is likely to reproduce by accident
_MARKER = np.array([(0xA5 + 7 * i) % 256 for i in range(CANARY_BYTES)], dtype=np.uint8)


@dataclass
class GuardedBuffer:
    """A C-contiguous `array` inside a larger byte buffer with `canary` bytes on both sides."""

    array: np.ndarray
    name: str
    canary: np.ndarray  # the CANARY_BYTES bytes expected before and after the array
    _raw: np.ndarray
    _start: int  # byte offset of array inside _raw
    _initial: np.ndarray | None = None  # for inputs: the contents that must not change

    def check(self, what: str = "kernel") -> None:
        """Fail, naming the side and the first changed byte, if anything outside the array
        (or, for an input, the array itself) was written."""
        nbytes = self.array.nbytes
        before = self._raw[self._start - CANARY_BYTES : self._start]
        after = self._raw[self._start + nbytes : self._start + nbytes + CANARY_BYTES]
        changed_after = np.flatnonzero(after != self.canary)
        changed_before = np.flatnonzero(before != self.canary)
        if changed_after.size:
            fail(
                f"{what} wrote past the end of {self.name}: {changed_after.size} of the {CANARY_BYTES} guard bytes after "
                f"its {nbytes} bytes changed (first at byte +{int(changed_after[0])} past the end; "
                f"check the tail loop and the last partial vector or tile)"
            )
        if changed_before.size:
            fail(
                f"{what} wrote before the start of {self.name}: {changed_before.size} of the {CANARY_BYTES} guard bytes "
                f"before it changed (the last at byte -{CANARY_BYTES - int(changed_before[-1])})"
            )
        if self._initial is not None and not np.array_equal(self.array, self._initial, equal_nan=self.array.dtype.kind == "f"):
            fail(f"{what} wrote into its input {self.name}")


def _guarded(shape, dtype, canary: np.ndarray, misalign: int):
    """(raw bytes, start, array view): the view starts `misalign` bytes past a 64-byte
    boundary, with `canary` just before and just after it."""
    dtype = np.dtype(dtype)
    if misalign % dtype.itemsize:
        raise ValueError(f"misalign {misalign} must be a multiple of the item size {dtype.itemsize}")
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + 2 * CANARY_BYTES + 128, dtype=np.uint8)
    start = -raw.ctypes.data % 64 + CANARY_BYTES + misalign
    raw[start - CANARY_BYTES : start] = canary
    raw[start + nbytes : start + nbytes + CANARY_BYTES] = canary
    return raw, start, raw[start : start + nbytes].view(dtype).reshape(shape)


def poison_value(dtype):
    """What an output holds before the kernel writes it: NaN for floats, a marker for integers."""
    dtype = np.dtype(dtype)
    return np.nan if dtype.kind == "f" else np.iinfo(dtype).min + 1


def guarded_output(shape, dtype, name: str = "out", misalign: int = 0) -> GuardedBuffer:
    """An output buffer between canaries, filled with `poison_value(dtype)`."""
    raw, start, array = _guarded(tuple(shape), dtype, _MARKER, misalign)
    array[...] = poison_value(dtype)
    return GuardedBuffer(array, name, _MARKER, raw, start)


def guarded_input(values, name: str = "input", misalign: int = 0) -> GuardedBuffer:
    """A C-contiguous copy of `values` between canaries. For float inputs the canaries are
    NaN, so a kernel that reads past either end folds NaN into its result."""
    values = np.asarray(values)
    canary = _MARKER
    if values.dtype.kind == "f":
        canary = np.full(CANARY_BYTES // values.itemsize, np.nan, dtype=values.dtype).view(np.uint8)
    raw, start, array = _guarded(values.shape, values.dtype, canary, misalign)
    array[...] = values
    return GuardedBuffer(array, name, canary, raw, start, _initial=values.copy())


# --------------------------------------------------------------------------- crashes


class KernelCrashed(AssertionError):
    def __init__(self, signal_name: str):
        super().__init__(f"the kernel crashed the process with {signal_name}")
        self.signal_name = signal_name


def call_isolated(fn, *args, **kwargs):
    """fn(*args, **kwargs) in a forked child; its result (pickled) or its exception comes
    back. A child killed by a signal raises KernelCrashed naming the signal."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: no pytest, no threads besides this one
        os.close(read_fd)
        faulthandler.disable()  # an expected crash is reported by the parent, not as a traceback dump
        try:
            try:
                payload = pickle.dumps(("ok", fn(*args, **kwargs)))
            except BaseException as exc:  # noqa: BLE001 -- every failure goes back to the parent
                payload = pickle.dumps(("error", exc))
            with os.fdopen(write_fd, "wb") as f:
                f.write(payload)
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        raise KernelCrashed(signal.Signals(sig).name)
    kind, value = pickle.loads(data)
    if kind == "error":
        raise value
    return value


def call_or_fail(fn, *args, what: str = "the kernel", hint: str = "", **kwargs):
    """call_isolated, turning a crash into a check failure that names it (and `hint`)."""
    try:
        return call_isolated(fn, *args, **kwargs)
    except KernelCrashed as exc:
        fail(f"{what}: {exc}" + (f" ({hint})" if hint else ""))


def assert_alignment_safe(fn, values, name: str = "x", alignment: int = 32, misalign: int = 4, what: str = "the kernel"):
    """Run fn on `values` starting at an `alignment`-byte boundary and `misalign` bytes past
    one (each in a forked child). Crashing only on the misaligned copy is the signature of an
    aligned-only load (_mm256_load_ps, vmovaps) reached with an unaligned address."""
    aligned = guarded_input(values, name, misalign=0)
    shifted = guarded_input(values, name, misalign=misalign)
    assert aligned.array.ctypes.data % alignment == 0 and shifted.array.ctypes.data % alignment == misalign % alignment
    first = call_or_fail(fn, aligned.array, what=f"{what} on a {alignment}-byte aligned {name}")
    try:
        second = call_isolated(fn, shifted.array)
    except KernelCrashed as exc:
        fail(
            f"{what} crashed the process with {exc.signal_name} on {name} starting {misalign} bytes past a {alignment}-byte boundary, "
            f"but not on the same data aligned: an unaligned load on an aligned-only path "
            f"(_mm256_load_ps / vmovaps need a {alignment}-byte aligned address; use loadu or check alignment first)"
        )
    aligned.check(what)
    shifted.check(what)
    return first, second
