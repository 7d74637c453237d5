"""The checks suites use to judge an implementation's output.

The tolerance rule (DESIGN.md, "How correctness is judged"): compute the
reference in float64, and PyTorch's own float32 result on the same inputs.
An implementation passes when

    max |impl - ref64|  <=  2 * max |torch32 - ref64|  +  floor

so it may be as inaccurate as PyTorch's float32 path (with a factor 2 of
slack for a different but sound order of operations), and `floor` keeps a
zero reference error from failing everything. `floor` defaults to
DEFAULT_FLOOR[dtype]: a few ulps of the output's magnitude.

Before any tolerance, `assert_nontrivial` names the degenerate answers that
would otherwise only show up as "too far": NaN/inf, all zeros, a constant,
the input echoed back.

Every failure message ends with the command that replays the test.
"""

from __future__ import annotations

import numpy as np

from . import session

# Absolute floors, relative to the reference's magnitude (max |ref|, at least 1).
DEFAULT_FLOOR = {np.dtype(np.float32): 16 * np.finfo(np.float32).eps, np.dtype(np.float64): 64 * np.finfo(np.float64).eps}


class CheckFailed(AssertionError):
    pass


def _as_numpy(x) -> np.ndarray:
    if type(x).__module__.startswith("torch"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def fail(reason: str) -> None:
    """Raise a CheckFailed whose message ends with the replay command and any likely mistake."""
    lines = [reason]
    hint = session.likely_mistake()
    if hint:
        lines.append(f"likely mistake: matches {hint}")
    lines.append(session.replay_hint())
    raise CheckFailed("\n".join(lines))


def assert_nontrivial(output, *inputs, reference=None, atol: float = 0.0, what: str = "output") -> None:
    """Fail, with the reason named, on NaN/inf, all zeros, a constant, or an input echoed back.

    Each degenerate case only fails when the reference itself is farther than
    `atol` from that case (a gradient that is zero up to rounding may be zero)."""
    out = _as_numpy(output)
    ref = None if reference is None else _as_numpy(reference).astype(np.float64)
    if out.dtype.kind in "fc" and not np.all(np.isfinite(out)):
        if ref is None or np.all(np.isfinite(ref)):
            bad = np.argwhere(~np.isfinite(out))[0]
            fail(f"{what} contains NaN/inf (first at index {tuple(int(i) for i in bad)})")
    if out.size > 1 and np.all(out == 0) and (ref is None or np.max(np.abs(ref)) > atol):
        fail(f"{what} is all zeros")
    if out.size > 1 and np.all(out == out.flat[0]) and (ref is None or np.ptp(ref) > 2 * atol):
        fail(f"{what} is a constant ({out.flat[0]!r})")
    for i, x in enumerate(inputs):
        x = _as_numpy(x)
        if x.shape == out.shape and x.size > 1 and np.array_equal(x, out):
            if ref is None or np.max(np.abs(ref - x.astype(np.float64))) > atol:
                fail(f"{what} echoes input {i} unchanged")


def tolerance(ref64, torch32=None, floor: float | None = None, dtype=np.float32) -> float:
    """The bound of the rule above (see the module docstring)."""
    ref64 = _as_numpy(ref64).astype(np.float64)
    scale = max(1.0, float(np.max(np.abs(ref64)))) if ref64.size else 1.0
    if floor is None:
        floor = DEFAULT_FLOOR[np.dtype(dtype)] * scale
    torch_err = 0.0 if torch32 is None else float(np.max(np.abs(_as_numpy(torch32).astype(np.float64) - ref64), initial=0.0))
    return 2.0 * torch_err + floor


def assert_close(actual, ref64, torch32=None, *, inputs=(), floor: float | None = None, what: str = "output") -> dict:
    """Judge `actual` against the float64 reference with the rule above.

    `torch32` is PyTorch's float32 result on the same inputs (None when the
    reference has no float32 path; then only `floor` applies). Returns the
    figures (max abs/rel error, bound), which tests may record."""
    out = _as_numpy(actual)
    ref = _as_numpy(ref64).astype(np.float64)
    if out.shape != ref.shape:
        fail(f"{what} has shape {out.shape}, expected {ref.shape}")
    dtype = out.dtype if out.dtype in DEFAULT_FLOOR else np.dtype(np.float32)
    bound = tolerance(ref, torch32, floor, dtype)
    assert_nontrivial(out, *inputs, reference=ref, atol=bound, what=what)
    diff = np.abs(out.astype(np.float64) - ref)
    max_abs = float(diff.max(initial=0.0))
    rel = diff / np.maximum(np.abs(ref), np.finfo(np.float64).tiny)
    figures = {"max_abs_error": max_abs, "max_rel_error": float(rel.max(initial=0.0)), "bound": bound}
    if not max_abs <= bound:  # also catches NaN
        where = tuple(int(i) for i in np.unravel_index(int(np.nanargmax(diff)), diff.shape)) if diff.size else ()
        torch_part = "" if torch32 is None else f" = 2 x torch float32 error {tolerance(ref, torch32, 0.0) / 2:.3e} + floor"
        fail(
            f"{what} is too far from the float64 reference: max abs error {max_abs:.3e} "
            f"(max rel error {figures['max_rel_error']:.3e}) at index {where}: "
            f"got {out[where]!r}, expected {ref[where]!r}; bound {bound:.3e}{torch_part}"
        )
    return figures


def assert_exact(actual, expected, *, what: str = "output") -> None:
    """Integer (or token) results: no tolerance where the math is exact."""
    out, exp = _as_numpy(actual), _as_numpy(expected)
    if out.shape != exp.shape:
        fail(f"{what} has shape {out.shape}, expected {exp.shape}")
    if not np.array_equal(out, exp):
        where = tuple(int(i) for i in np.argwhere(out != exp)[0])
        n = int(np.sum(out != exp))
        fail(f"{what} differs from the exact reference at {n} of {out.size} positions; first at {where}: got {out[where]!r}, expected {exp[where]!r}")


def assert_raises_clearly(exc_types, fn, *args, match_any=(), what: str = "bad input", **kwargs) -> BaseException:
    """The contract says which errors bad input raises; check one is raised, with a message."""
    try:
        fn(*args, **kwargs)
    except exc_types as exc:
        message = str(exc).lower()
        if match_any and not any(word in message for word in match_any):
            fail(f"{what} raised {type(exc).__name__}({exc}) but the message should mention one of {list(match_any)}")
        return exc
    except Exception as exc:
        names = "/".join(t.__name__ for t in (exc_types if isinstance(exc_types, tuple) else (exc_types,)))
        fail(f"{what} should raise {names}, raised {type(exc).__name__}: {exc}")
    else:
        fail(f"{what} was accepted silently; the contract says it raises {exc_types}")
    raise AssertionError("unreachable")
