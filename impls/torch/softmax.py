"""Softmax and its gradient written with PyTorch tensor operations (not torch.softmax,
which is the reference). NumPy arrays in, NumPy arrays out."""

import numpy as np
import torch

from ..kernel_inputs import float_array


def as_tensor(x) -> torch.Tensor:
    """A tensor over a contiguous copy of `x` (so that torch never shares the caller's array)."""
    return torch.from_numpy(np.array(x, copy=True, order="C"))


def softmax_tensor(t: torch.Tensor, dim: int = -1) -> torch.Tensor:
    shifted = t - t.amax(dim=dim, keepdim=True)  # largest logit becomes 0: exp cannot overflow
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def softmax(x, axis=-1):
    x = float_array(x, "x")
    if x.size == 0:
        return x.copy()
    return softmax_tensor(as_tensor(x), axis).numpy()


def softmax_backward(y, grad_y, axis=-1):
    y, grad_y = float_array(y, "y"), float_array(grad_y, "grad_y")
    if y.shape != grad_y.shape:
        raise ValueError(f"y has shape {y.shape} but grad_y has shape {grad_y.shape}")
    y_t, g_t = as_tensor(y), as_tensor(grad_y.astype(y.dtype, copy=False))
    # J^T g for J = diag(y) - y y^T
    return (y_t * (g_t - (g_t * y_t).sum(dim=axis, keepdim=True))).numpy()
