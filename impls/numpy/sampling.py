"""Decoding in NumPy: greedy, temperature, top-k and top-p (nucleus) sampling.

The filtering happens on one float64 distribution per row (`sampling_distribution`);
`sample` only draws from it with the caller's Generator."""

import numpy as np


def check_logits(logits):
    logits = np.asarray(logits)
    if logits.ndim < 1 or logits.shape[-1] == 0:
        raise ValueError(f"logits must be [..., V] with V >= 1, got shape {logits.shape}")
    if np.isnan(logits).any():
        raise ValueError("logits contain NaN")
    if np.isneginf(logits).all(axis=-1).any():
        raise ValueError("a row of logits is entirely -inf: no token can be drawn")
    return logits


def greedy(logits):
    logits = check_logits(logits)
    return np.argmax(logits, axis=-1).astype(np.int64)  # argmax returns the first of equal maxima


def check_options(temperature, top_k, top_p):
    if not temperature >= 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1):
        raise ValueError(f"top_k must be an integer >= 1 (or None), got {top_k!r}")
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1] (or None), got {top_p!r}")


def sampling_distribution(logits, temperature=1.0, top_k=None, top_p=None):
    logits = check_logits(logits).astype(np.float64)
    check_options(temperature, top_k, top_p)
    if temperature == 0:
        one_hot = np.zeros(logits.shape)
        np.put_along_axis(one_hot, greedy(logits)[..., None], 1.0, axis=-1)
        return one_hot
    logits = logits / temperature  # temperature scales logits, before the softmax
    vocab = logits.shape[-1]
    # A stable sort of -logits: descending, equal logits keep ascending token ids.
    order = np.argsort(-logits, axis=-1, kind="stable")  # [..., V]
    ranked = np.take_along_axis(logits, order, axis=-1)  # [..., V], descending
    keep = np.ones(ranked.shape, dtype=bool)
    if top_k is not None and top_k < vocab:
        keep[..., top_k:] = False
    ranked = np.where(keep, ranked, -np.inf)
    probs = np.exp(ranked - ranked[..., :1])  # the first is the maximum
    probs /= probs.sum(axis=-1, keepdims=True)
    if top_p is not None and top_p < 1:
        before = np.cumsum(probs, axis=-1) - probs  # mass of the tokens ranked above each one
        keep &= before < top_p  # kept while the prefix before it has not reached p: the crossing token stays
        probs = np.where(keep, probs, 0.0)
        probs /= probs.sum(axis=-1, keepdims=True)
    out = np.empty_like(probs)
    np.put_along_axis(out, order, probs, axis=-1)  # back to token order
    return out


def check_draw_arguments(rng, n):
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if n < 1:
        raise ValueError(f"n (draws per row) must be >= 1, got {n}")


def draw(probs, rng, n):
    """n tokens per row of the distribution probs [..., V], by inverse CDF: int64 [..., n]."""
    rows = probs.reshape(-1, probs.shape[-1])  # [B, V]
    cumulative = np.cumsum(rows, axis=-1)  # [B, V]
    # uniforms in [0, total): the last token with probability > 0 has cumulative == total,
    # so rounding can never send a draw past it onto a dropped token
    uniforms = rng.random((rows.shape[0], n)) * cumulative[:, -1:]  # [B, n]
    # the first token whose cumulative probability exceeds u (zero-probability tokens never win)
    tokens = np.stack([np.searchsorted(c, u, side="right") for c, u in zip(cumulative, uniforms)])
    return tokens.reshape(probs.shape[:-1] + (n,)).astype(np.int64)


def sample(logits, rng, n=1, temperature=1.0, top_k=None, top_p=None):
    check_draw_arguments(rng, n)
    return draw(sampling_distribution(logits, temperature, top_k, top_p), rng, n)
