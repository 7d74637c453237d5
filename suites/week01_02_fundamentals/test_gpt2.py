"""GPT-2 in NumPy (roadmap Day 12-14) against HF transformers' GPT2LMHeadModel.

The reference is the HF model with seeded random weights (nothing is
downloaded): float64 (`model.double()`) for the reference, float32 for the
tolerance (aigc_bench.checks). `initializer_range=0.2` (GPT-2 uses 0.02)
makes the random model's next-token choices vary, so that greedy decoding
is a real test rather than one token repeated. The default run uses a tiny
config; the 124M shape runs under `--slow`.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench.checks import assert_close, assert_exact, assert_raises_clearly
from aigc_bench.models import seeded_gpt2

SKILL = "gpt2"

TINY = dict(vocab_size=97, n_positions=48, n_layer=2, n_head=4, n_embd=32, initializer_range=0.2)


def numpy_state_dict(module):
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


@pytest.fixture(scope="module")
def tiny():
    model32, model64 = seeded_gpt2(**TINY)
    return model32, model64, numpy_state_dict(model32)


def hf_logits(model32, model64, ids):
    with torch.no_grad():
        t = torch.from_numpy(np.asarray(ids, dtype=np.int64))
        return model64(t).logits.numpy(), model32(t).logits.numpy()


def hf_block(block, x, causal_mask):
    out = block(x, attention_mask=causal_mask)
    return out[0] if isinstance(out, tuple) else out


@settings(max_examples=12)
@given(layer=st.integers(0, TINY["n_layer"] - 1), batch=st.integers(1, 3), length=st.integers(1, TINY["n_positions"]), seed=st.integers(0, 2**32 - 1))
def test_transformer_block_matches_hf(impl, tiny, layer, batch, length, seed):
    model32, model64, _ = tiny
    x = np.random.default_rng(seed).standard_normal((batch, length, TINY["n_embd"])).astype(np.float32)
    block = numpy_state_dict(model32.transformer.h[layer])
    mask = torch.full((length, length), float("-inf")).triu(1)[None, None]  # HF's block takes an additive mask
    with torch.no_grad():
        ref64 = hf_block(model64.transformer.h[layer], torch.from_numpy(x).double(), mask.double()).numpy()
        ref32 = hf_block(model32.transformer.h[layer], torch.from_numpy(x), mask).numpy()
    out = impl.transformer_block(x, block, TINY["n_head"])
    assert_close(out, ref64, ref32, inputs=(x,), what=f"transformer block {layer} on [{batch}, {length}, C]")


@settings(max_examples=10)
@given(batch=st.integers(1, 3), length=st.integers(1, TINY["n_positions"]), seed=st.integers(0, 2**32 - 1))
def test_forward_matches_hf_logits(impl, tiny, batch, length, seed):
    model32, model64, sd = tiny
    ids = np.random.default_rng(seed).integers(0, TINY["vocab_size"], (batch, length))
    params = impl.gpt2_from_state_dict(model32.config.to_dict(), sd)
    logits = impl.gpt2_forward(params, ids)
    assert logits.shape == (batch, length, TINY["vocab_size"]), f"logits have shape {logits.shape}"
    assert_close(logits, *hf_logits(model32, model64, ids), inputs=(ids,), what="GPT-2 logits")


def test_checkpoint_without_lm_head_uses_tied_embedding(impl, tiny, rng):
    """Hub checkpoints store no lm_head.weight and no "transformer." prefix: the head is wte."""
    model32, model64, sd = tiny
    hub_style = {k.removeprefix("transformer."): v for k, v in sd.items() if k != "lm_head.weight"}
    ids = rng.integers(0, TINY["vocab_size"], (2, 9))
    logits = impl.gpt2_forward(impl.gpt2_from_state_dict(TINY, hub_style), ids)
    assert_close(logits, *hf_logits(model32, model64, ids), inputs=(ids,), what="logits of a checkpoint without lm_head.weight")


def test_load_safetensors_directory(impl, tiny, tmp_path, rng):
    model32, model64, _ = tiny
    model32.save_pretrained(tmp_path)  # config.json + model.safetensors, as on the hub
    ids = rng.integers(0, TINY["vocab_size"], (1, 12))
    logits = impl.gpt2_forward(impl.load_gpt2(str(tmp_path)), ids)
    assert_close(logits, *hf_logits(model32, model64, ids), inputs=(ids,), what="logits of the model loaded from safetensors")


def hf_greedy(model, prompt, n):
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt]), max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=0)
    return out[0, len(prompt) :].numpy()


@pytest.mark.parametrize("prompt", [[5], [3, 1, 4, 1, 5, 9, 2, 6], list(range(40, 60))], ids=["1-token", "8-token", "20-token"])
def test_greedy_generate_equals_hf_generate(impl, tiny, prompt):
    model32, _, sd = tiny
    n_new = TINY["n_positions"] - len(prompt) - 4
    expected = hf_greedy(model32, prompt, n_new)
    assert len(set(expected.tolist())) > 3, "the reference generation is degenerate; pick another seed"
    tokens = impl.greedy_generate(impl.gpt2_from_state_dict(model32.config.to_dict(), sd), np.array(prompt), n_new)
    assert_exact(np.asarray(tokens), expected, what="greedy tokens (vs HF generate)")


def test_bad_input_is_a_clear_error(impl, tiny, tmp_path):
    model32, _, sd = tiny
    params = impl.gpt2_from_state_dict(model32.config.to_dict(), sd)
    n_ctx, vocab = TINY["n_positions"], TINY["vocab_size"]
    assert_raises_clearly(ValueError, impl.gpt2_forward, params, np.zeros((1, n_ctx + 1), np.int64), what=f"{n_ctx + 1} tokens with n_ctx={n_ctx}")
    assert_raises_clearly(ValueError, impl.gpt2_forward, params, np.array([[1, vocab]]), what="a token id equal to vocab_size")
    assert_raises_clearly(ValueError, impl.greedy_generate, params, np.array([1, 2]), n_ctx, what="prompt + new tokens past n_ctx")
    incomplete = {k: v for k, v in sd.items() if "h.1.mlp.c_fc.weight" not in k}
    assert_raises_clearly(KeyError, impl.gpt2_from_state_dict, model32.config, incomplete, match_any=("h.1.mlp.c_fc.weight",), what="a state dict missing a weight")
    assert_raises_clearly(FileNotFoundError, impl.load_gpt2, str(tmp_path), what="a directory without a checkpoint")


@pytest.mark.slow
def test_gpt2_124m_shape_matches_hf(impl):
    """The real GPT-2 small shape (124M parameters, vocab 50257, 12 layers) with seeded weights."""
    model32, model64 = seeded_gpt2(seed=1, initializer_range=0.1)
    params = impl.gpt2_from_state_dict(model32.config.to_dict(), numpy_state_dict(model32))
    ids = np.random.default_rng(0).integers(0, 50257, (1, 64))
    assert_close(impl.gpt2_forward(params, ids), *hf_logits(model32, model64, ids), inputs=(ids,), what="124M logits")
    prompt = ids[0, :16].tolist()
    assert_exact(np.asarray(impl.greedy_generate(params, np.array(prompt), 12)), hf_greedy(model32, prompt, 12), what="124M greedy tokens")
