"""Contracts of the week 1-2 skills (roadmap Day 1-14: LLM fundamentals).

Shapes use NumPy conventions: `[..., n]` means any leading batch dimensions.
Unless a contract says otherwise, functions accept float32 and float64 arrays
(C-contiguous or not), return arrays of the input's dtype, and never modify
their inputs.
"""

from aigc_bench.contract import Skill

softmax_skill = Skill(
    "softmax",
    weeks=(1, 2),
    summary="numerically stable softmax and its gradient",
    roadmap="Day 8-10: derive the softmax gradient",
    reference_functions=("torch.softmax", "torch.nn.functional.softmax", "torch.Tensor.softmax"),
)


@softmax_skill.function
def softmax(x, axis=-1):
    """Softmax of `x` along `axis`: exp(x - max) / sum(exp(x - max)).

    x: float32/float64 array [..., n]; returns the same shape and dtype, each
    slice along `axis` non-negative and summing to 1. Must not overflow for
    large logits (|x| up to 1e4): subtract the maximum first.
    """
    raise NotImplementedError


@softmax_skill.function
def softmax_backward(y, grad_y, axis=-1):
    """The gradient of a loss with respect to softmax's input, given y = softmax(x)
    and grad_y = dL/dy:  dL/dx = y * (grad_y - sum(grad_y * y, axis, keepdims=True)).

    y, grad_y: arrays of the same shape and dtype; returns that shape and dtype.
    Raises ValueError when the shapes differ.
    """
    raise NotImplementedError


attention_skill = Skill(
    "attention",
    weeks=(1, 2),
    summary="scaled dot-product attention with causal and padding masks",
    roadmap="Day 1-2: self-attention; checkpoint: explain Q, K, V",
    reference_functions=("torch.nn.functional.scaled_dot_product_attention",),
)


@attention_skill.function
def scaled_dot_product_attention(q, k, v, mask=None, causal=False):
    """softmax(q @ k^T / sqrt(d) + bias) @ v.

    q: [..., Lq, d], k: [..., Lk, d], v: [..., Lk, dv] (same dtype, float32 or
    float64; leading dimensions equal). Returns [..., Lq, dv] in that dtype.

    mask: optional boolean array broadcastable to [..., Lq, Lk]; True means
    "may attend", False positions get probability 0 (a padding mask).
    causal: query i attends to keys j <= i + (Lk - Lq) (the last query sees
    every key; with Lq == Lk, the usual lower triangle).
    A query row with no allowed key returns zeros (not NaN).

    Raises ValueError when the shapes do not fit (d of q and k, Lk of k and v).
    """
    raise NotImplementedError
