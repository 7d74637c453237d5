"""How the week 11 suite judges kernels: torch float64 references, NMSE limits, layouts with
guards, and diagnoses that name the symptom (a short tail loop, a skipped edge tile, an
overflowing accumulator) instead of only "too far".

NMSE limits (documented in docs/week11.md). NMSE = sum (out - ref)^2 / sum scale^2 with ref the
torch float64 result. For the reductions (dot, GEMV, GEMM, sums) `scale` is the magnitude of the
terms (|A| @ |B|, sum |x_i y_i|): a cancelling sum cannot inflate the error, and a float32
kernel's rounding error is bounded by about K * eps relative to it. With K <= 4096 in these
tests float32 rounding gives NMSE around 1e-13; dropping one of K terms gives about 1/K^2
(>= 6e-8). 1e-9 separates the two with three orders of magnitude on each side. (llama.cpp's
test-backend-ops allows 5e-4 for matmul, a limit meant for quantized types: far too loose to
see one missing term in fp32.) INT8/INT4 results that are mathematically integers are exact.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from hypothesis import strategies as st

from aigc_bench import session
from aigc_bench import strategies as S
from aigc_bench.checks import assert_exact, assert_nontrivial, fail
from aigc_bench.guarded import call_or_fail, guarded_input
from aigc_bench.implementation import Implementation

NMSE_LIMITS = {
    "dot": 1e-9,
    "gemv": 1e-9,
    "matmul": 1e-9,
    "sum": 1e-9,
    "int8_gemv_scaled": 1e-12,  # exact int32 times a float32 scale: one or two roundings
    "int4_gemv": 1e-9,
}

# what the hypothesis-drawn inputs look like in memory; "guarded" = contiguous between NaN
# canaries, so a read past either end turns the result into NaN
LAYOUTS = S.LAYOUTS + ("guarded",)
# SIMD widths whose tails a kernel may get wrong (floats per AVX2/AVX-512 vector, bytes per ...)
WIDTHS = (8, 16, 32, 64)


def layouts():
    return st.sampled_from(LAYOUTS)


def laid_out(values: np.ndarray, layout: str, name: str):
    """(array to pass, guard to check after the call or None)."""
    if layout == "guarded":
        guard = guarded_input(values, name, misalign=values.itemsize if values.itemsize < 64 else 0)
        return guard.array, guard
    if layout == "strided" and values.dtype.kind in "iu":  # with_layout fills the gaps with NaN
        big = np.full(values.shape[:-1] + (2 * values.shape[-1],), np.iinfo(values.dtype).max, values.dtype)
        big[..., ::2] = values  # gaps hold the largest value: reading them changes the result
        return big[..., ::2], None
    return S.with_layout(values, layout), None


def check_guards(*guards) -> None:
    for guard in guards:
        if guard is not None:
            guard.check()


def took_output(result, guard, function: str) -> None:
    """Check that `function` wrote into the guarded out= buffer and returned it, then the guard."""
    if not (isinstance(result, np.ndarray) and (result is guard.array or np.shares_memory(result, guard.array))):
        fail(f"{function}(..., out={guard.name}) must write the result into {guard.name} and return it; it returned {type(result).__name__}")
    guard.check()


_TWINS: dict = {}


def run_check(impl, check, *args, **kwargs):
    """check(impl, *args, **kwargs), where addresses matter (canaries, alignment, unaligned
    views). An implementation the harness isolates in a worker process (learners, by
    default) would receive copies of every array there, fresh addresses and no canaries; so
    the check runs instead in a forked child with an in-process twin of the implementation:
    the child shares this process's memory layout, and a crash still fails only this test."""
    if not getattr(impl, "isolated", False):
        return check(impl, *args, **kwargs)
    key = (impl.backend, impl.skill.name)
    if key not in _TWINS:
        _TWINS[key] = Implementation(impl.backend, impl.skill)
        _TWINS[key].has(next(iter(impl.skill.functions)))  # import the module once, here, not in every child
    twin = _TWINS[key]
    if session.current is not None and twin not in session.current.implementations:
        session.current.implementations.append(twin)  # so a failure in the child can name a likely mistake
    return call_or_fail(check, twin, *args, what=f"{impl.name}'s {impl.skill.name}", **kwargs)


def addressed(test):
    """Decorator for a test whose body depends on addresses: runs it through run_check."""

    @functools.wraps(test)
    def wrapper(impl, *args, **kwargs):
        return run_check(impl, test, *args, **kwargs)

    return wrapper


def f64(x) -> torch.Tensor:
    return torch.from_numpy(np.asarray(x, dtype=np.float64))


def nmse(out, ref, scale=None) -> float:
    out64 = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    scale = ref if scale is None else np.asarray(scale, dtype=np.float64)
    denominator = float(np.sum(scale * scale))
    error = float(np.sum((out64 - ref) ** 2))
    return error / denominator if denominator > 0 else error


def assert_nmse(out, ref, *, limit: float, scale=None, inputs=(), truncated=None, k=None, what="output") -> float:
    """Fail when NMSE(out, ref) > limit, naming the likely symptom.

    truncated(j): the float64 reference using only the first j terms of the reduction of
    length k; used to recognise a tail loop that stops short."""
    out = np.asarray(out)
    ref = np.asarray(ref, dtype=np.float64)
    if out.shape != ref.shape:
        fail(f"{what} has shape {out.shape}, expected {ref.shape}")
    if out.dtype.kind == "f" and not np.all(np.isfinite(out)) and np.all(np.isfinite(ref)):
        bad = ~np.isfinite(out)
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        symptom = _edge_symptom(bad) or (
            "the kernel read memory it does not own (past the end of an input: guard bytes and strided gaps "
            "hold NaN), or left outputs unwritten or read them before writing (outputs start filled with NaN)"
        )
        fail(f"{what} contains NaN/inf at {int(bad.sum())} of {bad.size} positions (first at {first}) though the inputs are finite\nsymptom: {symptom}")
    scale = ref if scale is None else np.asarray(scale, dtype=np.float64)
    tolerance = float(np.sqrt(limit) * max(1e-30, np.max(np.abs(scale), initial=0.0)))
    assert_nontrivial(out, *inputs, reference=ref, atol=tolerance, what=what)
    value = nmse(out, ref, scale)
    if not value <= limit:
        symptom = _tail_symptom(out, scale, truncated, k) or _edge_symptom((out.astype(np.float64) - ref) ** 2 > limit * np.maximum(scale**2, 1e-30))
        worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(out - ref))), ref.shape)) if ref.size > 1 else ()
        fail(
            f"{what} is too far from the torch float64 reference: NMSE {value:.3e} > limit {limit:.0e}"
            + (f"; worst at {worst}: got {out[worst]!r}, expected {ref[worst]!r}" if ref.ndim else f"; got {out!r}, expected {float(ref)!r}")
            + (f"\nsymptom: {symptom}" if symptom else "")
        )
    return value


def _tail_symptom(out, scale, truncated, k) -> str | None:
    if truncated is None or not k:
        return None
    candidates = sorted({k - 1} | {k - k % w for w in WIDTHS if k % w}, reverse=True)
    for j in candidates:
        if 0 <= j < k and nmse(out, truncated(j), scale) <= 1e-9:
            return (
                f"the result equals the sum over only the first {j} of the {k} terms: the tail loop "
                f"(the {k - j} element(s) after the last full SIMD vector) is missing or stops one short (off by one)"
            )
    return None


def _edge_symptom(bad: np.ndarray) -> str | None:
    """Wrong elements confined to the last rows or columns: an edge tile or remainder loop over m/n."""
    if bad.ndim == 0 or not bad.any():
        return None
    for axis, label in ((0, "rows"), (1, "columns")):
        if bad.ndim <= axis:
            continue
        other = tuple(a for a in range(bad.ndim) if a != axis)
        wrong = np.flatnonzero(bad.any(axis=other) if other else bad)
        size = bad.shape[axis]
        if np.array_equal(wrong, np.arange(wrong[0], size)) and (wrong[0] > 0 or size < 16):
            return (
                f"only the last {size - wrong[0]} of {size} {label} are wrong: the remainder after the last full "
                f"block (edge tile / tail loop over {label}) is skipped or mishandled"
            )
    return None


# --------------------------------------------------------------------------- integers


def integer_symptom(out, exact) -> str | None:
    """Name an accumulator overflow: a difference that is a multiple of 2^16 or 2^32."""
    diff = np.asarray(out, dtype=np.int64) - np.asarray(exact, dtype=np.int64)
    diff = diff[diff != 0]
    if diff.size == 0:
        return None
    for bits, kind in ((32, "int32"), (16, "int16")):
        if np.all(diff % (1 << bits) == 0):
            return (
                f"the result is off by a multiple of 2^{bits}: an {kind} accumulator overflowed and wrapped "
                f"(with values in [-127, 127] and K <= 131072 an int32 accumulator cannot overflow; "
                f"a narrower accumulator or a biased intermediate can)"
            )
    if np.all(np.abs(np.asarray(out, np.int64)) <= 32767) and np.max(np.abs(np.asarray(exact, np.int64))) > 32767:
        return "the result never leaves the int16 range though the exact one does: an int16 step saturated"
    return None


def assert_integers_exact(out, exact, what="output") -> None:
    out, exact = np.asarray(out), np.asarray(exact)
    if out.shape == exact.shape and not np.array_equal(out.astype(np.int64), exact.astype(np.int64)):
        symptom = integer_symptom(out, exact)
        if symptom:
            where = tuple(int(i) for i in np.argwhere(out.astype(np.int64) != exact.astype(np.int64))[0])
            fail(f"{what} differs from the exact integer reference at {where}: got {out[where]!r}, expected {exact[where]!r}\nsymptom: {symptom}")
    assert_exact(out, exact, what=what)


def int8_values(rng: np.random.Generator, shape, extreme: bool = False) -> np.ndarray:
    """int8 in [-127, 127]; `extreme` draws only +-127 (the largest products)."""
    if extreme:
        return (rng.choice([-127, 127], size=shape)).astype(np.int8)
    return rng.integers(-127, 128, size=shape).astype(np.int8)


def exact_matmul(a, b) -> np.ndarray:
    """Integer product in int64 (no overflow possible here), via torch on int64 tensors."""
    return (torch.from_numpy(np.asarray(a, dtype=np.int64)) @ torch.from_numpy(np.asarray(b, dtype=np.int64))).numpy()
