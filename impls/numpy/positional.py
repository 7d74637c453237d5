"""Positional encodings in NumPy: sinusoidal (Vaswani et al.) and rotary (RoPE, Su et al.)."""

import numpy as np


def sinusoidal_encoding(n_positions, d_model, base=10000.0):
    if n_positions < 1 or d_model < 1:
        raise ValueError(f"need n_positions >= 1 and d_model >= 1, got {n_positions} and {d_model}")
    if not base > 1:
        raise ValueError(f"the frequency base must be > 1, got {base}")
    positions = np.arange(n_positions, dtype=np.float64)[:, None]  # [n, 1]
    pair = np.arange(d_model) // 2  # column j belongs to pair j // 2
    frequencies = base ** (-2.0 * pair / d_model)  # [d]
    angles = positions * frequencies  # [n, d]
    # even columns sin, odd columns cos; an odd d_model just ends on a sine
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angles), np.cos(angles))


def rope_angles(positions, head_dim, base):
    """The rotation angle of each (position, pair): float64 [L, head_dim/2]."""
    frequencies = base ** (-2.0 * np.arange(head_dim // 2) / head_dim)  # [head_dim/2]
    return np.asarray(positions, dtype=np.float64)[:, None] * frequencies  # [L, head_dim/2]


def check_rope_inputs(x, positions):
    """The positions as an int array [L], after checking the contract's shapes."""
    if x.ndim < 2:
        raise ValueError(f"x must be [..., L, head_dim], got shape {x.shape}")
    length, head_dim = x.shape[-2], x.shape[-1]
    if head_dim % 2:
        raise ValueError(f"RoPE rotates pairs of features: head_dim must be even, got {head_dim}")
    positions = np.arange(length) if positions is None else np.asarray(positions)
    if positions.shape != (length,):
        raise ValueError(f"positions must have shape ({length},) (one per row of x), got {positions.shape}")
    return positions


def rotate_pairs(x, angles, interleaved):
    """Rotate feature pair i of row l of x [..., L, D] by angles[l, i] ([L, D/2])."""
    cos, sin = np.cos(angles), np.sin(angles)  # [L, D/2]
    half = x.shape[-1] // 2
    if interleaved:  # GPT-J: pairs are adjacent features (0,1), (2,3), ...
        a, b = x[..., 0::2], x[..., 1::2]  # [..., L, D/2]
    else:  # HF Llama "rotate_half": pairs are (i, i + D/2)
        a, b = x[..., :half], x[..., half:]
    out = np.empty(x.shape, dtype=np.result_type(x.dtype, np.float64))
    first, second = (out[..., 0::2], out[..., 1::2]) if interleaved else (out[..., :half], out[..., half:])
    first[...] = a * cos - b * sin
    second[...] = a * sin + b * cos
    return out.astype(x.dtype)


def apply_rope(x, positions=None, base=10000.0, interleaved=False):
    positions = check_rope_inputs(x, positions)
    return rotate_pairs(x, rope_angles(positions, x.shape[-1], base), interleaved)
