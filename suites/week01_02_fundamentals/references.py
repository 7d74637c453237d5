"""References the week 1-2 suites judge against.

`torch_reference(fn, *arrays)` runs a torch function in float64 (the reference)
and in float32 (whose error sets the tolerance: see aigc_bench.checks).
Backends built on torch are judged against the independent NumPy float64
formulas here instead.
"""

import numpy as np
import torch


def torch_reference(fn, *arrays, **kwargs):
    """(float64 result, float32 result) of a torch function on NumPy inputs."""
    as64 = [torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else (torch.from_numpy(np.asarray(a)) if isinstance(a, np.ndarray) else a) for a in arrays]
    as32 = [a.float() if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in as64]
    with torch.no_grad():
        return fn(*as64, **kwargs).numpy(), fn(*as32, **kwargs).numpy()


def softmax64(x, axis=-1):
    """Independent float64 softmax (for torch-built backends)."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
