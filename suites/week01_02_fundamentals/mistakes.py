"""Catalogue of common learner mistakes in the week 1-2 skills.

Each entry replaces one contract function of the NumPy reference with a
broken one; the suite must fail every entry (`pytest --impl mistakes`), and a
learner whose outputs match one is told which.
"""

import numpy as np

from impls.numpy import gpt2 as _gpt2

from .contract import gpt2_skill

# --------------------------------------------------------------------------- GPT-2


def _block(x, block, n_head, eps=1e-5, causal=True, pre_norm=True, gelu=_gpt2.gelu_new):
    """The GPT-2 block with one knob per catalogued mistake."""
    from impls.numpy.attention import scaled_dot_product_attention

    ln1 = lambda t: _gpt2.layer_norm(t, block["ln_1.weight"], block["ln_1.bias"], eps)  # noqa: E731
    ln2 = lambda t: _gpt2.layer_norm(t, block["ln_2.weight"], block["ln_2.bias"], eps)  # noqa: E731
    qkv = (ln1(x) if pre_norm else x) @ block["attn.c_attn.weight"] + block["attn.c_attn.bias"]
    q, k, v = (_gpt2.split_heads(t, n_head) for t in np.split(qkv, 3, axis=-1))
    y = _gpt2.merge_heads(scaled_dot_product_attention(q, k, v, causal=causal))
    x = x + y @ block["attn.c_proj.weight"] + block["attn.c_proj.bias"]
    if not pre_norm:
        x = ln1(x)  # post-LN (GPT-1/BERT): normalise after the residual add
    h = gelu((ln2(x) if pre_norm else x) @ block["mlp.c_fc.weight"] + block["mlp.c_fc.bias"])
    x = x + h @ block["mlp.c_proj.weight"] + block["mlp.c_proj.bias"]
    return (x if pre_norm else ln2(x)).astype(block["ln_1.weight"].dtype)


@gpt2_skill.mistake("transformer_block", "a transformer block without the causal mask (tokens see the future)")
def gpt2_block_without_causal_mask(x, block, n_head, eps=1e-5):
    return _block(x, block, n_head, eps, causal=False)


@gpt2_skill.mistake("transformer_block", "LayerNorm after the residual add (post-LN) instead of before each branch (GPT-2 is pre-LN)")
def gpt2_block_post_layernorm(x, block, n_head, eps=1e-5):
    return _block(x, block, n_head, eps, pre_norm=False)


@gpt2_skill.mistake("transformer_block", "the exact erf GELU where GPT-2 uses the tanh approximation ('gelu_new')")
def gpt2_block_erf_gelu(x, block, n_head, eps=1e-5):
    from scipy.special import erf

    return _block(x, block, n_head, eps, gelu=lambda t: 0.5 * t * (1 + erf(t / np.sqrt(2))))


@gpt2_skill.mistake("gpt2_forward", "no final LayerNorm (ln_f) before the output head")
def gpt2_forward_without_ln_f(params, input_ids):
    ids = np.asarray(input_ids)
    x = params.wte[ids] + params.wpe[: ids.shape[1]]
    for block in params.blocks:
        x = _gpt2.transformer_block(x, block, params.config.n_head, params.config.layer_norm_epsilon)
    return x @ params.lm_head.T


@gpt2_skill.mistake("gpt2_forward", "position ids counted from 1 instead of 0")
def gpt2_forward_positions_from_one(params, input_ids):
    ids = np.asarray(input_ids)
    shifted = _gpt2.GPT2Params(**{**vars(params), "wpe": np.roll(params.wpe, -1, axis=0)})  # row t holds wpe[t + 1]
    return _gpt2.gpt2_forward(shifted, ids)


@gpt2_skill.mistake("gpt2_from_state_dict", "a fresh random lm_head when the checkpoint has none, instead of tying it to wte")
def gpt2_untied_random_lm_head(config, state_dict):
    if any(k.endswith("lm_head.weight") for k in state_dict):
        return _gpt2.gpt2_from_state_dict(config, state_dict)
    params = _gpt2.gpt2_from_state_dict(config, state_dict)
    params.lm_head = (np.random.default_rng(0).standard_normal(params.wte.shape) * 0.02).astype(np.float32)
    return params


@gpt2_skill.mistake("greedy_generate", "the next token taken from the first position's logits instead of the last")
def gpt2_greedy_from_first_position(params, prompt_ids, max_new_tokens):
    tokens = [int(t) for t in prompt_ids]
    for _ in range(max_new_tokens):
        tokens.append(int(np.argmax(_gpt2.gpt2_forward(params, np.array([tokens]))[0, 0])))
    return np.array(tokens[len(prompt_ids) :], dtype=np.int64)


# --------------------------------------------------------------------------- positional encodings, norms, GELU, sampling, FLOPs

from impls.numpy import flops as _flops  # noqa: E402
from impls.numpy import positional as _positional  # noqa: E402
from impls.numpy import sampling as _sampling  # noqa: E402

from .contract import flops_skill, gelu_skill, norms_skill, positional_skill, sampling_skill  # noqa: E402


@positional_skill.mistake("sinusoidal_encoding", "sinusoidal positions counted from 1 instead of 0")
def sinusoidal_positions_from_one(n_positions, d_model, base=10000.0):
    return _positional.sinusoidal_encoding(n_positions + 1, d_model, base)[1:]


@positional_skill.mistake("sinusoidal_encoding", "sinusoidal exponent j/d per column instead of 2*(j//2)/d per sin/cos pair")
def sinusoidal_exponent_per_column(n_positions, d_model, base=10000.0):
    angles = np.arange(n_positions)[:, None] * base ** (-np.arange(d_model) / d_model)
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angles), np.cos(angles))


@positional_skill.mistake("sinusoidal_encoding", "odd d_model padded to d_model+1 (exponent divided by d_model+1) and cut")
def sinusoidal_odd_width_padded(n_positions, d_model, base=10000.0):
    return _positional.sinusoidal_encoding(n_positions, d_model + d_model % 2, base)[:, :d_model]


@positional_skill.mistake("apply_rope", "RoPE rotating adjacent pairs (GPT-J) where split halves (HF Llama rotate_half) were asked")
def rope_adjacent_pairs_always(x, positions=None, base=10000.0, interleaved=False):
    positions = _positional.check_rope_inputs(x, positions)
    return _positional.rotate_pairs(x, _positional.rope_angles(positions, x.shape[-1], base), interleaved=True)


@positional_skill.mistake("apply_rope", "RoPE rotating the wrong way (rotate_half as cat(x2, -x1): angle -theta)")
def rope_rotates_backwards(x, positions=None, base=10000.0, interleaved=False):
    positions = _positional.check_rope_inputs(x, positions)
    return _positional.rotate_pairs(x, -_positional.rope_angles(positions, x.shape[-1], base), interleaved)


@positional_skill.mistake("apply_rope", "RoPE frequencies base**(-i/d) instead of base**(-2i/d)")
def rope_exponent_without_two(x, positions=None, base=10000.0, interleaved=False):
    positions = _positional.check_rope_inputs(x, positions)
    head_dim = x.shape[-1]
    angles = positions[:, None] * base ** (-np.arange(head_dim // 2) / head_dim)
    return _positional.rotate_pairs(x, angles, interleaved)


@positional_skill.mistake("apply_rope", "RoPE positions counted from 1 instead of 0")
def rope_positions_from_one(x, positions=None, base=10000.0, interleaved=False):
    if positions is None:
        positions = np.arange(1, x.shape[-2] + 1)  # the first token should be position 0
    return _positional.apply_rope(x, positions, base, interleaved)


@norms_skill.mistake("layer_norm", "LayerNorm with the unbiased variance (divides by d - 1; torch uses d)")
def layer_norm_unbiased_variance(x, weight=None, bias=None, eps=1e-5):
    d = x.shape[-1]
    out = _norm_with(x, x.var(axis=-1, keepdims=True) * d / max(d - 1, 1), eps)
    return _affine(out, weight, bias, x.dtype)


@norms_skill.mistake("layer_norm", "LayerNorm with eps outside the square root: (x - mean) / (std + eps)")
def layer_norm_eps_outside_sqrt(x, weight=None, bias=None, eps=1e-5):
    centred = x - x.mean(axis=-1, keepdims=True)
    out = centred / (np.sqrt((centred**2).mean(axis=-1, keepdims=True)) + eps)
    return _affine(out, weight, bias, x.dtype)


@norms_skill.mistake("layer_norm", "LayerNorm variance as E[x^2] - E[x]^2 in the input precision (cancels for large means)")
def layer_norm_one_pass_variance(x, weight=None, bias=None, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    return _affine(_norm_with(x, (x * x).mean(axis=-1, keepdims=True) - mean * mean, eps), weight, bias, x.dtype)


@norms_skill.mistake("rms_norm", "RMSNorm subtracting the mean (that is LayerNorm without a bias)")
def rms_norm_subtracts_mean(x, weight=None, eps=1e-6):
    centred = x - x.mean(axis=-1, keepdims=True)
    return _affine(centred / np.sqrt((centred**2).mean(axis=-1, keepdims=True) + eps), weight, None, x.dtype)


def _norm_with(x, var, eps):
    return (x - x.mean(axis=-1, keepdims=True)) / np.sqrt(np.maximum(var, 0) + eps)


def _affine(out, weight, bias, dtype):
    out = out if weight is None else out * weight
    out = out if bias is None else out + bias
    return out.astype(dtype)


@gelu_skill.mistake("gelu", "the tanh-approximated GELU when the exact (erf) one was asked")
def gelu_always_tanh(x, approximate="none"):
    from impls.numpy.gelu import gelu

    return gelu(x, approximate="tanh")


@sampling_skill.mistake("greedy", "greedy decoding taking argmin instead of argmax")
def greedy_argmin(logits):
    return np.argmin(_sampling.check_logits(logits), axis=-1).astype(np.int64)


@sampling_skill.mistake("sampling_distribution", "top-k keeping k+1 candidates")
def top_k_keeps_k_plus_one(logits, temperature=1.0, top_k=None, top_p=None):
    _sampling.check_options(temperature, top_k, top_p)
    return _sampling.sampling_distribution(logits, temperature, None if top_k is None else top_k + 1, top_p)


@sampling_skill.mistake("sample", "top-k sampling from k+1 candidates")
def sample_top_k_keeps_k_plus_one(logits, rng, n=1, temperature=1.0, top_k=None, top_p=None):
    _sampling.check_draw_arguments(rng, n)
    return _sampling.draw(top_k_keeps_k_plus_one(logits, temperature, top_k, top_p), rng, n)


@sampling_skill.mistake("sampling_distribution", "top-p excluding the token whose probability crosses p")
def top_p_excludes_crossing_token(logits, temperature=1.0, top_k=None, top_p=None):
    probs = _sampling.sampling_distribution(logits, temperature, top_k)  # [..., V]
    if top_p is None or top_p == 1:
        return probs
    order = np.argsort(-probs, axis=-1, kind="stable")
    ranked = np.take_along_axis(probs, order, axis=-1)
    keep = np.cumsum(ranked, axis=-1) < top_p  # stops *before* the token that reaches p
    keep[..., 0] = True
    ranked = np.where(keep, ranked, 0.0)
    out = np.empty_like(ranked)
    np.put_along_axis(out, order, ranked / ranked.sum(axis=-1, keepdims=True), axis=-1)
    return out


def _temperature_after_softmax(logits, temperature=1.0, top_k=None, top_p=None):
    _sampling.check_options(temperature, top_k, top_p)
    probs = _sampling.sampling_distribution(logits, 1.0, top_k, top_p) / temperature  # too late: renormalising undoes it
    return probs / probs.sum(axis=-1, keepdims=True)


@sampling_skill.mistake("sampling_distribution", "temperature applied to the probabilities after the softmax (so it has no effect)")
def temperature_after_softmax(logits, temperature=1.0, top_k=None, top_p=None):
    return _temperature_after_softmax(logits, temperature, top_k, top_p)


@sampling_skill.mistake("sample", "sampling with temperature applied after the softmax (so it has no effect)")
def sample_temperature_after_softmax(logits, rng, n=1, temperature=1.0, top_k=None, top_p=None):
    _sampling.check_draw_arguments(rng, n)
    return _sampling.draw(_temperature_after_softmax(logits, temperature, top_k, top_p), rng, n)


@sampling_skill.mistake("sample", "sampling from NumPy's global random state instead of the Generator passed in")
def sample_global_random_state(logits, rng, n=1, temperature=1.0, top_k=None, top_p=None):
    _sampling.check_draw_arguments(rng, n)
    return _sampling.draw(_sampling.sampling_distribution(logits, temperature, top_k, top_p), np.random.default_rng(), n)


@flops_skill.mistake("prefill_flops", "prefill FLOPs without the attention matmuls (q k^T and weights @ v)")
def prefill_flops_without_attention(config, n_prompt, last_logits_only=False):
    n_layer, d_model, _, _ = _flops.check_config(config)
    return _flops.prefill_flops(config, n_prompt, last_logits_only) - n_layer * 4 * n_prompt * n_prompt * d_model


@flops_skill.mistake("prefill_flops", "prefill counted in multiply-accumulates (MACs), half the FLOPs")
def prefill_flops_counting_macs(config, n_prompt, last_logits_only=False):
    return _flops.prefill_flops(config, n_prompt, last_logits_only) // 2


@flops_skill.mistake("generation_flops", "generation counted without a KV cache (the whole prefix recomputed per token)")
def generation_flops_without_kv_cache(config, n_prompt, n_new=100):
    _flops.generation_flops(config, n_prompt, n_new)  # the same argument checks
    return sum(_flops.prefill_flops(config, n, last_logits_only=True) for n in range(n_prompt, n_prompt + n_new))


@flops_skill.mistake("generation_flops", "generation FLOPs without the attention over the cached keys and values")
def generation_flops_without_attention(config, n_prompt, n_new=100):
    n_layer, d_model, _, _ = _flops.check_config(config)
    attention = n_layer * 4 * d_model * (n_prompt * n_prompt + sum(range(n_prompt + 1, n_prompt + n_new)))
    return _flops.generation_flops(config, n_prompt, n_new) - attention


# --------------------------------------------------------------------------- softmax, attention, multi-head attention

from impls.numpy import gpt2 as _heads  # noqa: E402  (split_heads / merge_heads)
from impls.numpy import mha as _mha  # noqa: E402
from impls.numpy.softmax import softmax as _softmax  # noqa: E402

from .contract import attention_skill, mha_skill, softmax_skill  # noqa: E402


def _exp_normalise(x, axis=None):
    """exp(x) / sum(exp(x)) with no maximum subtracted (overflow silenced: the result shows it)."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        return e / np.sum(e, axis=axis, keepdims=axis is not None)


@softmax_skill.mistake("softmax", "softmax without subtracting the maximum: exp overflows to inf/NaN for large logits")
def softmax_without_max_subtraction(x, axis=-1):
    return _exp_normalise(x, axis)


@softmax_skill.mistake("softmax", "softmax always over the last axis, whatever `axis` asks")
def softmax_ignoring_axis(x, axis=-1):
    return _softmax(x, axis=-1)


@softmax_skill.mistake("softmax", "softmax normalised over the whole array instead of along the axis")
def softmax_over_whole_array(x, axis=-1):
    return _exp_normalise(x - np.max(x))


@softmax_skill.mistake("softmax_backward", "softmax gradient missing the sum term: y * grad_y instead of y * (grad_y - sum(grad_y * y))")
def softmax_backward_without_sum_term(y, grad_y, axis=-1):
    return y * grad_y


@softmax_skill.mistake("softmax_backward", "softmax gradient from the Jacobian's diagonal only: y * (1 - y) * grad_y")
def softmax_backward_diagonal_only(y, grad_y, axis=-1):
    return y * (1 - y) * grad_y


@softmax_skill.mistake("softmax_backward", "softmax gradient with the sum term taken over the whole array instead of along the axis")
def softmax_backward_sum_over_everything(y, grad_y, axis=-1):
    return y * (grad_y - np.sum(grad_y * y))


def _attention(q, k, v, mask=None, causal=False, *, scaled=True, diagonal_shift=0, anchor_last_key=True,
               softmax_axis=-1, mask_before_softmax=True, stable=True, true_means_masked=False, empty_rows_zero=True):
    """The NumPy reference attention with one knob per catalogued mistake."""
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"shapes do not fit: q {q.shape}, k {k.shape}, v {v.shape}")
    lq, lk, d = q.shape[-2], k.shape[-2], q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) / (np.sqrt(d) if scaled else 1.0)  # [..., Lq, Lk]
    allowed = np.ones((lq, lk), dtype=bool)
    if causal:
        allowed = np.tril(allowed, (lk - lq if anchor_last_key else 0) + diagonal_shift)
    if mask is not None:
        allowed = allowed & (~np.asarray(mask, bool) if true_means_masked else np.asarray(mask, bool))
    empty = ~np.any(allowed, axis=-1, keepdims=True)
    if mask_before_softmax:
        scores = np.where(allowed, scores, -np.inf)
    if empty_rows_zero:
        scores = np.where(empty, 0.0, scores)
    with np.errstate(invalid="ignore"):
        weights = _softmax(scores, axis=softmax_axis) if stable else _exp_normalise(scores, softmax_axis)
        weights = weights * allowed if empty_rows_zero or not mask_before_softmax else weights
    return (weights @ v).astype(q.dtype)


@attention_skill.mistake("scaled_dot_product_attention", "attention without the 1/sqrt(d) scale")
def attention_without_scale(q, k, v, mask=None, causal=False):
    return _attention(q, k, v, mask, causal, scaled=False)


@attention_skill.mistake("scaled_dot_product_attention", "causal mask off by one: a query cannot attend to its own position")
def attention_causal_off_by_one(q, k, v, mask=None, causal=False):
    return _attention(q, k, v, mask, causal, diagonal_shift=-1)


@attention_skill.mistake(
    "scaled_dot_product_attention",
    "causal mask anchored at the first key (ignores Lk - Lq): wrong when the queries are the last Lq of Lk positions, as with a KV cache",
)
def attention_causal_from_first_key(q, k, v, mask=None, causal=False):
    return _attention(q, k, v, mask, causal, anchor_last_key=False)


@attention_skill.mistake("scaled_dot_product_attention", "softmax over the query axis instead of the key axis")
def attention_softmax_over_queries(q, k, v, mask=None, causal=False):
    return _attention(q, k, v, mask, causal, softmax_axis=-2)


@attention_skill.mistake("scaled_dot_product_attention", "mask applied after the softmax (masked weights zeroed, rows not renormalised)")
def attention_mask_after_softmax(q, k, v, mask=None, causal=False):
    return _attention(q, k, v, mask, causal, mask_before_softmax=False)


@attention_skill.mistake("scaled_dot_product_attention", "attention softmax without subtracting the maximum: large scores overflow to NaN")
def attention_without_max_subtraction(q, k, v, mask=None, causal=False):
    return _attention(q, k, v, mask, causal, stable=False)


@attention_skill.mistake("scaled_dot_product_attention", "padding mask inverted: True taken as 'masked out' instead of 'may attend'")
def attention_inverted_mask(q, k, v, mask=None, causal=False):
    return _attention(q, k, v, mask, causal, true_means_masked=True)


@attention_skill.mistake("scaled_dot_product_attention", "a query with no allowed key gives NaN (softmax of all -inf) instead of zeros")
def attention_nan_for_fully_masked_rows(q, k, v, mask=None, causal=False):
    return _attention(q, k, v, mask, causal, empty_rows_zero=False)


def _multi_head(x, w_q, w_k, w_v, w_o, n_heads, b_q=None, b_k=None, b_v=None, b_o=None, mask=None, causal=False,
                *, split=_heads.split_heads, merge=_heads.merge_heads, head_scale=True, project_out=True):
    """The NumPy reference multi-head attention with one knob per catalogued mistake."""
    x = np.asarray(x)
    _mha.check_mha_shapes(x, {"w_q": w_q, "w_k": w_k, "w_v": w_v, "w_o": w_o}, {"b_q": b_q, "b_k": b_k, "b_v": b_v, "b_o": b_o}, n_heads)
    d_model = x.shape[-1]
    q, k, v = (split(_mha.linear(x, w, b), n_heads) for w, b in ((w_q, b_q), (w_k, b_k), (w_v, b_v)))
    if not head_scale:  # the reference divides by sqrt(Dh); make that sqrt(D)
        q = q * np.sqrt((d_model // n_heads) / d_model).astype(x.dtype)
    heads = _attention(q, k, v, None if mask is None else _mha.per_head(mask), causal)
    merged = merge(heads)
    return (_mha.linear(merged, w_o, b_o) if project_out else merged).astype(x.dtype)


@mha_skill.mistake("multi_head_attention", "scores scaled by 1/sqrt(D) (the model width) instead of 1/sqrt(D / n_heads) (the head width)")
def mha_scaled_by_model_width(x, w_q, w_k, w_v, w_o, n_heads, b_q=None, b_k=None, b_v=None, b_o=None, mask=None, causal=False):
    return _multi_head(x, w_q, w_k, w_v, w_o, n_heads, b_q, b_k, b_v, b_o, mask, causal, head_scale=False)


def _split_without_transpose(x, n_heads):
    *lead, length, d_model = x.shape
    return x.reshape(*lead, n_heads, length, d_model // n_heads)  # rows of one head mix positions


@mha_skill.mistake("multi_head_attention", "heads split by reshaping [L, D] straight to [n_heads, L, D/n_heads] (no transpose): heads mix positions")
def mha_split_without_transpose(x, w_q, w_k, w_v, w_o, n_heads, b_q=None, b_k=None, b_v=None, b_o=None, mask=None, causal=False):
    return _multi_head(x, w_q, w_k, w_v, w_o, n_heads, b_q, b_k, b_v, b_o, mask, causal, split=_split_without_transpose)


def _merge_without_transpose(heads):
    *lead, n_heads, length, head_dim = heads.shape
    return heads.reshape(*lead, length, n_heads * head_dim)  # head axis not moved back next to D/n_heads


@mha_skill.mistake("multi_head_attention", "heads merged in the wrong order: [n_heads, L, D/n_heads] reshaped to [L, D] without moving the head axis back")
def mha_merge_without_transpose(x, w_q, w_k, w_v, w_o, n_heads, b_q=None, b_k=None, b_v=None, b_o=None, mask=None, causal=False):
    return _multi_head(x, w_q, w_k, w_v, w_o, n_heads, b_q, b_k, b_v, b_o, mask, causal, merge=_merge_without_transpose)


@mha_skill.mistake("multi_head_attention", "no output projection: the merged heads returned without w_o, b_o")
def mha_without_output_projection(x, w_q, w_k, w_v, w_o, n_heads, b_q=None, b_k=None, b_v=None, b_o=None, mask=None, causal=False):
    return _multi_head(x, w_q, w_k, w_v, w_o, n_heads, b_q, b_k, b_v, b_o, mask, causal, project_out=False)
