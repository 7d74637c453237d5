"""Positional encodings (roadmap Day 3-4): sinusoidal against the paper's formula
in float64, RoPE against HF transformers' own rotary code (Llama's rotate_half
and GPT-J's rotate_every_two), and RoPE's defining property: q.k depends on the
two positions only through their difference."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_close, assert_raises_clearly, fail

from .references import rope_reference, sinusoidal64

SKILL = "positional"

EPS64 = np.finfo(np.float64).eps


def angle_floor(max_angle):
    """sin/cos of an angle near A in float64 are only known to ~eps * A (the angle's
    own rounding): different but sound orders of operations differ by that much."""
    return 16 * EPS64 * max(1.0, max_angle)


# --------------------------------------------------------------------------- sinusoidal


@settings(max_examples=30)
@given(n=S.lengths(300), d_model=S.lengths(65), base=st.sampled_from([10000.0, 10000.0, 500.0, 1e6]))
def test_sinusoidal_matches_formula(impl, n, d_model, base):
    out = impl.sinusoidal_encoding(n, d_model, base=base)
    assert_close(out, sinusoidal64(n, d_model, base), None, floor=angle_floor(n - 1), what=f"sinusoidal encoding [{n}, {d_model}] base {base}")


@pytest.mark.parametrize("d_model", [1, 5, 33])
def test_sinusoidal_odd_width_ends_on_a_sine(impl, d_model):
    out = impl.sinusoidal_encoding(4, d_model)
    assert out.shape == (4, d_model), f"sinusoidal_encoding(4, {d_model}) has shape {out.shape}"
    assert_close(out[:, -1], np.sin(np.arange(4) * 10000.0 ** (-(d_model - 1) / d_model)), None, floor=angle_floor(3), what=f"last column of an odd d_model={d_model} (a sine)")


def test_sinusoidal_first_position_is_zero(impl):
    out = impl.sinusoidal_encoding(3, 8)
    expected = np.tile([0.0, 1.0], 4)  # sin(0), cos(0): position 0 is the first token
    assert_close(out[0], expected, None, what="the encoding of position 0 (positions start at 0)")


@pytest.mark.parametrize("args", [(0, 8), (4, 0), (4, 8, 1.0)], ids=["no-positions", "no-width", "base-1"])
def test_sinusoidal_rejects_bad_sizes(impl, args):
    assert_raises_clearly(ValueError, impl.sinusoidal_encoding, *args, what=f"sinusoidal_encoding{args}")


# --------------------------------------------------------------------------- RoPE against HF


@st.composite
def rope_inputs(draw, max_len=40):
    """x [..., L, D] (D even), positions (None = 0..L-1, or an offset range as a KV cache feeds)."""
    shape = draw(S.batch_dims()) + (draw(S.lengths(max_len)), 2 * draw(S.lengths(40)))
    x = draw(S.arrays(st.just(shape)))
    start = draw(st.sampled_from([None, 0, 1, 17, 2000]))
    positions = None if start is None else start + np.arange(shape[-2])
    return x, positions


def check_rope(impl, x, positions, base=10000.0, interleaved=False):
    """apply_rope against HF's rotation (rope_reference); float64 gets the angle floor."""
    out = impl.apply_rope(x, positions, base=base, interleaved=interleaved)
    assert out.dtype == x.dtype, f"apply_rope returned {out.dtype} for {x.dtype} input"
    expected_positions = np.arange(x.shape[-2]) if positions is None else positions
    ref64, ref32 = rope_reference(x, expected_positions, base, interleaved)
    floor = angle_floor(expected_positions.max()) * np.abs(ref64).max(initial=1.0) if x.dtype == np.float64 else None
    convention = "interleaved pairs, HF GPT-J" if interleaved else "split halves, HF Llama"
    assert_close(out, ref64, ref32, inputs=(x,), floor=floor, what=f"RoPE ({convention}, base {base})")


@settings(max_examples=40)
@given(inputs=rope_inputs(), base=st.sampled_from([10000.0, 10000.0, 500000.0, 100.0]))
def test_rope_matches_hf_llama(impl, inputs, base):
    check_rope(impl, *inputs, base=base)


@settings(max_examples=30)
@given(inputs=rope_inputs())
def test_rope_interleaved_matches_hf_gptj(impl, inputs):
    check_rope(impl, *inputs, interleaved=True)


@pytest.mark.parametrize("interleaved", [False, True], ids=["split-halves", "interleaved"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rope_fixed_case(impl, rng, interleaved, dtype):
    # two heads, 6 rows, head_dim 8, positions 3..8 (a KV cache's new rows): every convention detail shows
    check_rope(impl, rng.standard_normal((2, 6, 8)).astype(dtype), np.arange(3, 9), interleaved=interleaved)


def test_rope_position_zero_is_identity(impl, rng):
    x = rng.standard_normal((3, 16))
    out = impl.apply_rope(x)
    assert_close(out[0], x[0], None, what="RoPE at position 0 (a rotation by 0: positions start at 0)")


# --------------------------------------------------------------------------- the relative-position property


def rotated_score(impl, q, k, m, n, interleaved):
    q_m = impl.apply_rope(q[None, :], np.array([m]), interleaved=interleaved)[0]
    k_n = impl.apply_rope(k[None, :], np.array([n]), interleaved=interleaved)[0]
    return float(q_m @ k_n)


@settings(max_examples=40)
@given(
    half=S.lengths(32),
    seed=st.integers(0, 2**32 - 1),
    m=st.integers(0, 2048),
    n=st.integers(0, 2048),
    shift=st.integers(1, 2048),
    interleaved=st.booleans(),
)
def test_rope_score_depends_only_on_relative_position(impl, half, seed, m, n, shift, interleaved):
    q, k = np.random.default_rng(seed).standard_normal((2, 2 * half))
    before = rotated_score(impl, q, k, m, n, interleaved)
    after = rotated_score(impl, q, k, m + shift, n + shift, interleaved)
    # both scores are rounded from angles up to ~4096 rad: eps * angle of |q||k|
    bound = 64 * EPS64 * (m + n + 2 * shift + 1) * np.linalg.norm(q) * np.linalg.norm(k)
    if not abs(before - after) <= bound:
        fail(f"q.k changed when both positions moved by {shift}: {before!r} at ({m}, {n}), {after!r} at ({m + shift}, {n + shift}); RoPE must make it depend on m - n only (bound {bound:.2e})")
    if m != n and abs(before - float(q @ k)) <= 1e-6 * np.linalg.norm(q) * np.linalg.norm(k):
        fail(f"q.k at positions ({m}, {n}) equals the unrotated q.k: RoPE rotated nothing")


@pytest.mark.parametrize("shape,positions", [((4, 7), None), ((4, 8), np.arange(3)), ((4, 8), np.arange(4)[:, None])], ids=["odd-head-dim", "too-few-positions", "positions-2d"])
def test_rope_rejects_bad_shapes(impl, shape, positions):
    assert_raises_clearly(ValueError, impl.apply_rope, np.zeros(shape), positions, what=f"apply_rope of x {shape} with positions {None if positions is None else positions.shape}")

