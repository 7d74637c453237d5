"""GELU as a Numba loop over the flattened array, exact (math.erf) or tanh-approximated,
evaluated in float64 whatever the input dtype."""

import math

import numpy as np
from numba import njit

from ..kernel_inputs import float_array
from ..numpy.gelu import SQRT_2_OVER_PI, check_approximate

INV_SQRT_2 = 1.0 / math.sqrt(2.0)

# Compiled eagerly, at import, for both dtypes: a JIT compile inside a guarded call
# would run library code while the reference guard is watching.
_SIGNATURES = ["void(float32[::1], float32[::1])", "void(float64[::1], float64[::1])"]


@njit(_SIGNATURES, cache=True)
def _gelu_exact(x, out):
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        out[i] = 0.5 * v * (1.0 + math.erf(v * INV_SQRT_2))


@njit(_SIGNATURES, cache=True)
def _gelu_tanh(x, out):
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        out[i] = 0.5 * v * (1.0 + math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)))


def gelu(x, approximate="none"):
    check_approximate(approximate)
    x = float_array(x, "x")
    flat = np.ascontiguousarray(x).reshape(-1)  # any layout -> one contiguous run
    out = np.empty_like(flat)
    (_gelu_tanh if approximate == "tanh" else _gelu_exact)(flat, out)
    return out.reshape(x.shape)
