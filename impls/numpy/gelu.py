"""GELU in NumPy/SciPy: exact (erf) and the tanh approximation."""

import numpy as np
from scipy.special import erf

SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))  # a Python float: float32 input stays float32 (NEP 50)


def check_approximate(approximate):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' (exact erf) or 'tanh', got {approximate!r}")


def gelu(x, approximate="none"):
    check_approximate(approximate)
    if approximate == "tanh":
        # x**3 overflows float32 for |x| > ~7e12 only; tanh saturates long before
        inner = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
        return (0.5 * x * (1.0 + np.tanh(inner))).astype(x.dtype)
    return (0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))).astype(x.dtype)
