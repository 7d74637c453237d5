"""References the week 1-2 suites judge against.

`torch_reference(fn, *arrays)` runs a torch function in float64 (the reference)
and in float32 (whose error sets the tolerance: see aigc_bench.checks).
Backends built on torch are judged against the independent NumPy float64
formulas here instead.
"""

from contextlib import contextmanager

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


# --------------------------------------------------------------------------- positional encodings


def sinusoidal64(n_positions, d_model, base=10000.0):
    """The sinusoidal encoding written out column by column from the paper's formula:
    PE[p, 2i] = sin(p / base^(2i/d)), PE[p, 2i+1] = cos(p / base^(2i/d))."""
    positions = np.arange(n_positions, dtype=np.float64)
    table = np.empty((n_positions, d_model))
    for j in range(d_model):
        i = j // 2
        angle = positions / base ** (2 * i / d_model)
        table[:, j] = np.sin(angle) if j % 2 == 0 else np.cos(angle)
    return table


def rope_reference(x, positions, base=10000.0, interleaved=False):
    """(float64, float32) RoPE of x [..., L, D] by HF's own code.

    HF's rotary embedding always builds cos/sin in float32, so the float64
    reference feeds HF's rotation (Llama's apply_rotary_pos_emb/rotate_half, or
    GPT-J's rotate_every_two) with cos/sin from HF's formula evaluated in
    float64; the float32 result is HF end to end (LlamaRotaryEmbedding, or GPT-J's
    create_sinusoidal_positions) and sets the tolerance."""
    from transformers.models.gptj import modeling_gptj
    from transformers.models.llama import modeling_llama

    shape, length, dim = x.shape, x.shape[-2], x.shape[-1]
    positions = torch.as_tensor(np.asarray(positions, dtype=np.int64))
    inv_freq64 = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    angles64 = positions[:, None].double() * inv_freq64  # [L, D/2]
    results = []
    for dtype in (torch.float64, torch.float32):
        t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64)).to(dtype).reshape(-1, length, dim)  # [N, L, D]
        if interleaved:
            if dtype == torch.float64:
                sin, cos = angles64.sin(), angles64.cos()
            else:
                if base != 10000.0:
                    raise ValueError("GPT-J's rotary table has the base 10000 built in")
                table = modeling_gptj.create_sinusoidal_positions(int(positions.max()) + 1, dim)[positions]
                sin, cos = table[:, : dim // 2], table[:, dim // 2 :]
            out = modeling_gptj.apply_rotary_pos_emb(t[:, :, None, :], sin[None], cos[None])[:, :, 0, :]  # GPT-J: [B, L, H, D]
        else:
            if dtype == torch.float64:
                emb = torch.cat((angles64, angles64), dim=-1)  # HF's layout: [L, D]
                cos, sin = emb.cos()[None], emb.sin()[None]
            else:
                from transformers import LlamaConfig

                config = LlamaConfig(hidden_size=dim, num_attention_heads=1, head_dim=dim, rope_parameters={"rope_type": "default", "rope_theta": float(base)})
                cos, sin = modeling_llama.LlamaRotaryEmbedding(config)(t, positions[None])
            out, _ = modeling_llama.apply_rotary_pos_emb(t[None], t[None], cos, sin, unsqueeze_dim=1)  # [1, N, L, D]
        results.append(out.reshape(shape).numpy())
    return tuple(results)


# --------------------------------------------------------------------------- sampling


def hf_sampling_distribution(logits, temperature=1.0, top_k=None, top_p=None):
    """The distribution HF generate samples from (its temperature, top-k, top-p
    logits warpers, in that order), float64 [..., V]. HF's top-k keeps ties with
    the k-th logit, so callers use logits without ties."""
    from transformers.generation.logits_process import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

    logits = np.asarray(logits, dtype=np.float64)
    scores = torch.from_numpy(logits.reshape(-1, logits.shape[-1]).copy())  # [B, V]
    warpers = [TemperatureLogitsWarper(temperature)] if temperature != 1.0 else []
    if top_k is not None:
        warpers.append(TopKLogitsWarper(top_k))
    if top_p is not None and top_p < 1.0:
        warpers.append(TopPLogitsWarper(top_p))
    for warper in warpers:
        scores = warper(None, scores)
    return torch.softmax(scores, dim=-1).numpy().reshape(logits.shape)


# --------------------------------------------------------------------------- benchmark peers


@contextmanager
def torch_single_thread():
    """Time torch peers on one thread, as the NumPy/Numba kernels they are compared with
    run: on shared cores torch's thread pool can also spin 100x slower than one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            yield
    finally:
        torch.set_num_threads(threads)
