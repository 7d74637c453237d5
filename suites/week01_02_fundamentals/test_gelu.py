"""GELU (roadmap Day 5-7), exact and tanh-approximated, against torch.nn.functional.gelu."""

import numpy as np
import pytest
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench import strategies as S
from aigc_bench.checks import assert_close, assert_raises_clearly

from .references import torch_reference

SKILL = "gelu"


def gelu_reference(x, approximate):
    return torch_reference(lambda t: F.gelu(t, approximate=approximate), x)


@settings(max_examples=40)
@given(x=S.arrays(S.batch_dims(3, 4).map(lambda b: b + (7,))), approximate=st.sampled_from(["none", "tanh"]))
def test_gelu_matches_torch(impl, x, approximate):
    out = impl.gelu(x, approximate=approximate)
    assert out.dtype == x.dtype, f"gelu returned {out.dtype} for {x.dtype} input"
    assert_close(out, *gelu_reference(x, approximate), inputs=(x,), what=f"gelu(approximate={approximate!r})")


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_default_and_curve(impl, approximate):
    # -4 .. 4, where the exact and tanh curves differ by up to ~3e-4 (more than float32 noise)
    x = np.linspace(-4, 4, 161, dtype=np.float32)
    out = impl.gelu(x) if approximate == "none" else impl.gelu(x, approximate="tanh")
    assert_close(out, *gelu_reference(x, approximate), inputs=(x,), what=f"gelu on [-4, 4] (approximate={approximate!r})")


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_large_inputs_do_not_overflow(impl, approximate):
    x = np.array([-1e4, -100.0, -30.0, 30.0, 100.0, 1e4], np.float32)
    out = impl.gelu(x, approximate=approximate)
    assert_close(out, *gelu_reference(x, approximate), inputs=(x,), what=f"gelu of |x| up to 1e4 (approximate={approximate!r})")


def test_unknown_approximation_is_a_clear_error(impl):
    assert_raises_clearly(ValueError, impl.gelu, np.zeros(3, np.float32), approximate="fast", what="gelu(approximate='fast')")

