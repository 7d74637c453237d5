"""Softmax and its gradient in NumPy."""

import numpy as np


def softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)  # largest logit becomes 0: exp cannot overflow
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_backward(y, grad_y, axis=-1):
    if y.shape != grad_y.shape:
        raise ValueError(f"y has shape {y.shape} but grad_y has shape {grad_y.shape}")
    # Jacobian-vector product of softmax: J = diag(y) - y y^T, so J^T g = y * (g - <g, y>).
    return y * (grad_y - np.sum(grad_y * y, axis=axis, keepdims=True))
