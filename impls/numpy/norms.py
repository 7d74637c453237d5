"""LayerNorm and RMSNorm in NumPy, over the last axis."""

import numpy as np


def check_param(param, x, name):
    if param is not None and np.shape(param) != x.shape[-1:]:
        raise ValueError(f"{name} must have shape ({x.shape[-1]},) to match x's last axis, got {np.shape(param)}")


def layer_norm(x, weight=None, bias=None, eps=1e-5):
    check_param(weight, x, "weight")
    check_param(bias, x, "bias")
    mean = x.mean(axis=-1, keepdims=True)  # [..., 1]
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)  # biased variance, as torch
    out = (x - mean) / np.sqrt(var + eps)  # [..., d]
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out.astype(x.dtype)


def rms_norm(x, weight=None, eps=1e-6):
    check_param(weight, x, "weight")
    rms = np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps)  # [..., 1]
    out = x / rms
    if weight is not None:
        out = out * weight
    return out.astype(x.dtype)
