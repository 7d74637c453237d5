"""Multi-head self-attention written with PyTorch tensor operations (this backend's
own attention and softmax, not torch.nn.MultiheadAttention)."""

import numpy as np

from ..numpy.mha import check_mha_shapes, per_head
from .attention import attention_tensor
from .softmax import as_tensor


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, b_q=None, b_k=None, b_v=None, b_o=None, mask=None, causal=False):
    x = np.asarray(x)
    check_mha_shapes(x, {"w_q": w_q, "w_k": w_k, "w_v": w_v, "w_o": w_o}, {"b_q": b_q, "b_k": b_k, "b_v": b_v, "b_o": b_o}, n_heads)
    x_t = as_tensor(x)
    *batch, length, d_model = x.shape

    def linear(t, w, b):  # [..., L, D] -> [..., L, D]
        return t @ as_tensor(w) if b is None else t @ as_tensor(w) + as_tensor(b)

    def split(t):  # [..., L, D] -> [..., H, L, Dh]
        return t.reshape(*batch, length, n_heads, d_model // n_heads).transpose(-2, -3)

    q, k, v = (split(linear(x_t, w, b)) for w, b in ((w_q, b_q), (w_k, b_k), (w_v, b_v)))
    heads = attention_tensor(q, k, v, None if mask is None else as_tensor(per_head(mask)), causal)  # [..., H, L, Dh]
    merged = heads.transpose(-2, -3).reshape(*batch, length, d_model)  # [..., L, D]
    return linear(merged, w_o, b_o).numpy().astype(x.dtype, copy=False)
