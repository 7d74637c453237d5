"""FLOPs of prefill and of KV-cached generation (roadmap Day 11-14 checkpoint:
"compute the FLOPs of generating 100 tokens"), checked exactly against
torch.utils.flop_counter.FlopCounterMode running HF's GPT2LMHeadModel.

The models are built from small configs with seeded random weights (nothing is
downloaded); FLOPs do not depend on the weights. Attention runs in HF's
"eager" implementation: its q k^T and weights @ v are plain matmuls that
FlopCounterMode counts, whereas the CPU SDPA kernel is not counted at all.
"""

from functools import lru_cache

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from aigc_bench.checks import assert_exact, assert_raises_clearly

SKILL = "flops"

CONFIGS = {
    "1L-2H-32d": dict(n_layer=1, n_head=2, d_model=32, vocab_size=50, n_ctx=160),
    "2L-4H-64d": dict(n_layer=2, n_head=4, d_model=64, vocab_size=97, n_ctx=128),
    "3L-3H-48d": dict(n_layer=3, n_head=3, d_model=48, vocab_size=211, n_ctx=64),
}
GPT2_124M = dict(n_layer=12, n_head=12, d_model=768, vocab_size=50257, n_ctx=1024)


def hf_gpt2(config):
    return _hf_gpt2(tuple(sorted(config.items())))


@lru_cache(maxsize=None)
def _hf_gpt2(config_items, seed=0):
    """One model per config for the whole run (forward passes do not change it)."""
    from transformers import GPT2Config, GPT2LMHeadModel

    config = dict(config_items)
    torch.manual_seed(seed)
    hf_config = GPT2Config(
        n_layer=config["n_layer"], n_head=config["n_head"], n_embd=config["d_model"],
        vocab_size=config["vocab_size"], n_positions=config["n_ctx"],
        bos_token_id=0, eos_token_id=0, pad_token_id=0,
    )
    hf_config._attn_implementation = "eager"
    return GPT2LMHeadModel(hf_config).eval()


def counted_flops(run):
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        run()
    return counter.get_total_flops()


@pytest.mark.parametrize("config", list(CONFIGS.values()), ids=list(CONFIGS))
@pytest.mark.parametrize("n_prompt", [1, 7, 64])
@pytest.mark.parametrize("last_logits_only", [False, True], ids=["all-logits", "last-logits"])
def test_prefill_flops_match_flop_counter(impl, config, n_prompt, last_logits_only):
    ours = impl.prefill_flops(config, n_prompt, last_logits_only=last_logits_only)  # first: a stub fails before any model is built
    model = hf_gpt2(config)
    ids = torch.randint(0, config["vocab_size"], (1, n_prompt), generator=torch.Generator().manual_seed(n_prompt))
    counted = counted_flops(lambda: model(ids, logits_to_keep=1 if last_logits_only else 0))
    assert_exact(np.int64(ours), np.int64(counted), what=f"prefill FLOPs of {n_prompt} tokens (last_logits_only={last_logits_only}) vs FlopCounterMode")


@pytest.mark.parametrize("n_prompt,n_new", [(10, 100), (1, 3), (5, 1)])
def test_generation_flops_match_flop_counter_on_hf_generate(impl, n_prompt, n_new):
    config = CONFIGS["1L-2H-32d"]
    ours = impl.generation_flops(config, n_prompt, n_new)
    model = hf_gpt2(config)
    ids = torch.randint(1, config["vocab_size"], (1, n_prompt), generator=torch.Generator().manual_seed(1))
    generated = []

    def generate():
        generated.append(model.generate(ids, max_new_tokens=n_new, min_new_tokens=n_new, do_sample=False, use_cache=True))

    counted = counted_flops(generate)
    assert generated[0].shape[1] == n_prompt + n_new, "test design: HF generate must produce exactly n_new tokens"
    assert_exact(np.int64(ours), np.int64(counted), what=f"FLOPs of generating {n_new} tokens after {n_prompt} with a KV cache vs FlopCounterMode on HF generate")


def test_gpt2_124m_figures(impl, record_metric):
    """The checkpoint's numbers for GPT-2 124M (the formula; no 124M model is run)."""
    prefill = impl.prefill_flops(GPT2_124M, 100, last_logits_only=True)
    generate = impl.generation_flops(GPT2_124M, 100, 100)
    decode = generate - prefill
    # ~2 FLOPs per non-embedding parameter per token (85M of them), plus the LM head (2 d V)
    per_token_weights = 2 * 12 * GPT2_124M["n_layer"] * GPT2_124M["d_model"] ** 2 + 2 * GPT2_124M["d_model"] * GPT2_124M["vocab_size"]
    assert per_token_weights * 99 < decode < per_token_weights * 99 * 1.1, f"99 cached decode steps of GPT-2 124M cost {decode:.3e} FLOPs; expected ~2 x params x 99 = {per_token_weights * 99:.3e} plus a few % of attention"
    record_metric("gpt2_124m_prefill_100_flops", prefill, "FLOP")
    record_metric("gpt2_124m_generate_100_after_100_flops", generate, "FLOP")


@pytest.mark.parametrize(
    "function,args",
    [
        ("prefill_flops", (dict(CONFIGS["2L-4H-64d"], n_head=5), 4)),
        ("prefill_flops", (CONFIGS["2L-4H-64d"], 0)),
        ("prefill_flops", (CONFIGS["2L-4H-64d"], 129)),
        ("generation_flops", (CONFIGS["2L-4H-64d"], 100, 30)),
        ("generation_flops", (CONFIGS["2L-4H-64d"], 4, 0)),
        ("prefill_flops", ({"n_layer": 2, "d_model": 64}, 4)),
    ],
    ids=["heads-do-not-divide", "empty-prompt", "prompt-over-context", "generation-over-context", "no-new-tokens", "missing-keys"],
)
def test_bad_config_is_a_clear_error(impl, function, args):
    assert_raises_clearly(ValueError, getattr(impl, function), *args, what=f"{function}{args}")
