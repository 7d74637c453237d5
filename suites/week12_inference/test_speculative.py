"""Speculative decoding (stage 4): the output must equal target-only greedy decoding
exactly, at every k, whatever the draft; the draft only changes how many target
passes it takes. Draft = the target's first layers (a truncated copy).

The target here is the engine's own seeded model (the NumPy reference engine), so
that a learner's speculative decoding is judged on its own, not on their engine."""

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigc_bench.checks import assert_exact, assert_raises_clearly, fail
from impls.numpy.engine import generate, load_model

SKILL = "speculative"
CONFIG = dict(vocab_size=256, n_positions=96, n_layer=4, n_head=4, n_embd=64)


@pytest.fixture(scope="module")
def target():
    return load_model(config=CONFIG, seed=5, init_std=0.08)


@pytest.mark.stage4
@settings(max_examples=8)
@given(prompt=st.lists(st.integers(0, CONFIG["vocab_size"] - 1), min_size=1, max_size=12), draft_layers=st.integers(1, 3), n_new=st.integers(1, 40))
@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_speculative_equals_target_greedy(impl, target, k, prompt, draft_layers, n_new):
    expected = generate(target, prompt, n_new)
    tokens, stats = impl.speculative_generate(target, target.truncated(draft_layers), prompt, n_new, k)
    assert_exact(np.asarray(tokens), np.asarray(expected), what=f"speculative tokens (k={k}, draft of {draft_layers} layers) vs target-only greedy")
    if not 0 <= stats["accepted"] <= stats["proposed"]:
        fail(f"stats say {stats['accepted']} accepted of {stats['proposed']} proposed")
    if stats["target_passes"] > n_new:
        fail(f"{stats['target_passes']} target passes for {n_new} tokens: no better than plain decoding ({stats})")


@pytest.mark.stage4
@pytest.mark.parametrize("k", [1, 3, 4])
def test_a_perfect_draft_needs_one_target_pass_per_k_plus_one_tokens(impl, target, k):
    """With the target as its own draft every proposal is accepted, and each verification
    pass yields k + 1 tokens (the k proposals and the bonus token)."""
    n_new = 25
    tokens, stats = impl.speculative_generate(target, target, [1, 2, 3], n_new, k)
    assert_exact(np.asarray(tokens), np.asarray(generate(target, [1, 2, 3], n_new)), what="tokens with a perfect draft")
    if stats["acceptance_rate"] != 1.0:
        fail(f"a draft identical to the target had acceptance rate {stats['acceptance_rate']}")
    expected_passes = 1 + -(-(n_new - 1) // (k + 1))  # prefill, then k + 1 tokens per pass
    if stats["target_passes"] != expected_passes:
        fail(f"{stats['target_passes']} target passes, expected {expected_passes}: each verification pass should yield k + 1 tokens (is the bonus token dropped?)")


def test_bad_input_is_a_clear_error(impl, target):
    assert_raises_clearly(ValueError, impl.speculative_generate, target, target.truncated(1), [1], 5, 0, what="k=0")
    other = load_model(config=dict(CONFIG, vocab_size=100), seed=0)
    assert_raises_clearly(ValueError, impl.speculative_generate, target, other, [1], 5, 2, what="a draft with another vocabulary")


def layered_target(decay, n_layer=12, seed=0):
    """A 12-layer target whose block i adds a residual update scaled by decay**i: with
    decay 1 every layer matters as much (plain random weights: a truncated draft rarely
    agrees); with decay < 1 the top layers refine, as in trained models, so a truncated
    copy is a plausible draft."""
    from impls.numpy.engine import model_from_params
    from impls.numpy.gpt2 import GPTConfig, gpt2_from_state_dict, random_state_dict

    cfg = GPTConfig(vocab_size=8192, n_ctx=256, n_layer=n_layer, n_head=8, n_embd=512)
    sd = random_state_dict(cfg, seed, init_std=0.05)
    for i in range(n_layer):
        for name in ("attn.c_proj.weight", "mlp.c_proj.weight"):
            sd[f"h.{i}.{name}"] = sd[f"h.{i}.{name}"] * np.float32(decay**i)
    return model_from_params(gpt2_from_state_dict(cfg, sd))


@pytest.mark.bench
@pytest.mark.stage4
def test_acceptance_and_speedup_vs_k(impl, run_record):
    """Acceptance rate and wall-clock speedup over target-only greedy, per k, for drafts
    that keep 2 or 6 of a 12-layer target's layers, on one thread."""
    from threadpoolctl import threadpool_limits

    prompt, n_new = [11, 500, 23, 7], 48
    rows = []
    with threadpool_limits(1):
        for decay in (1.0, 0.8):
            big = layered_target(decay)
            start = time.perf_counter()
            expected = generate(big, prompt, n_new)
            plain = time.perf_counter() - start
            for draft_layers in (2, 6):
                for k in (1, 2, 4, 6):
                    start = time.perf_counter()
                    tokens, stats = impl.raw("speculative_generate")(big, big.truncated(draft_layers), prompt, n_new, k)
                    elapsed = time.perf_counter() - start
                    assert tokens == expected
                    rows.append({"layer_decay": decay, "draft_layers": draft_layers, "k": k, "acceptance_rate": stats["acceptance_rate"], "target_passes": stats["target_passes"], "speedup": plain / elapsed})
                    print(rows[-1])
    run_record.add_section("engine_speculative", {"target_layers": 12, "n_new": n_new, "rows": rows})
