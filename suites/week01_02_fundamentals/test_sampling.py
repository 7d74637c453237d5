"""Decoding (roadmap Day 11-14): greedy, temperature, top-k, top-p.

The distribution is checked exactly against HF generate's own logits warpers
(TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper, in float64) and
the contract's tie rules; the draws are checked statistically:

- STATISTICAL RULE: N_DRAWS = 20,000 draws with a fixed seed (FIXED_SEED, so
  the test is deterministic), counts compared with the exact target
  distribution by Pearson's chi-square test (scipy.stats.chisquare) over the
  target's support; the test fails when the p-value is below ALPHA = 1e-5:
  a correct sampler written another way (its draws are another random
  sample) fails one of the nine checks with probability < 1e-4, while every
  catalogued mistake gives p ~ 0 or draws a dropped token. Every expected
  count is >= 5 (the test's validity condition). Draws outside the support
  fail outright: a token the target gives probability 0 must never appear.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from aigc_bench.checks import assert_close, assert_exact, assert_raises_clearly, fail

from .references import hf_sampling_distribution

SKILL = "sampling"

N_DRAWS = 20_000
ALPHA = 1e-5
FIXED_SEED = 20240101

# Eight tokens, no ties, probabilities from ~0.4 down to ~0.02: every filter below bites.
LOGITS = np.array([1.3, -0.2, 2.1, 0.4, -1.0, 1.0, 0.0, -0.6])

SETTINGS = {
    "plain": dict(),
    "temperature-0.5": dict(temperature=0.5),
    "temperature-2": dict(temperature=2.0),
    "top-k-3": dict(top_k=3),
    "top-p-0.7": dict(top_p=0.7),
    "t0.7-k5-p0.9": dict(temperature=0.7, top_k=5, top_p=0.9),
}


def unique_logits(seed, shape):
    """Continuous random logits (no ties, so HF's top-k keeps exactly k)."""
    return np.random.default_rng(seed).standard_normal(shape) * 2


def assert_frequencies_match(tokens, target, what):
    """The statistical rule of the module docstring; returns the p-value."""
    counts = np.bincount(tokens.ravel(), minlength=target.size)
    if counts.size > target.size:
        fail(f"{what}: drew token id {counts.size - 1}, outside the vocabulary of {target.size}")
    outside = np.flatnonzero((target == 0) & (counts > 0))
    if outside.size:
        fail(f"{what}: drew tokens {outside.tolist()} ({counts[outside].tolist()} times) that have probability 0 after filtering")
    support = target > 0
    expected = target[support] * tokens.size
    assert expected.min() >= 5, "test design: chi-square needs every expected count >= 5"
    statistic, p_value = chisquare(counts[support], expected)
    if not p_value >= ALPHA:
        fail(f"{what}: sampled frequencies {np.round(counts / tokens.size, 4).tolist()} do not follow the target {np.round(target, 4).tolist()} (chi-square {statistic:.1f}, p = {p_value:.2e} < {ALPHA})")
    return p_value


# --------------------------------------------------------------------------- greedy


def test_greedy_picks_the_largest_logit(impl, rng):
    logits = rng.standard_normal((3, 4, 50))
    assert_exact(impl.greedy(logits), np.argmax(logits, axis=-1), what="greedy tokens")


def test_greedy_ties_go_to_the_lowest_id(impl):
    logits = np.array([[0.0, 3.0, 1.0, 3.0], [-np.inf, 2.0, 2.0, -np.inf]])
    assert_exact(impl.greedy(logits), np.array([1, 1]), what="greedy on tied maxima")


# --------------------------------------------------------------------------- the distribution


@settings(max_examples=40)
@given(
    seed=st.integers(0, 2**32 - 1),
    vocab=st.integers(2, 60),
    temperature=st.sampled_from([1.0, 0.3, 0.8, 1.5, 4.0]),
    top_k=st.one_of(st.none(), st.integers(1, 70)),
    top_p=st.one_of(st.none(), st.floats(0.05, 1.0)),
)
def test_distribution_matches_hf_warpers(impl, seed, vocab, temperature, top_k, top_p):
    logits = unique_logits(seed, (2, vocab))
    out = impl.sampling_distribution(logits, temperature=temperature, top_k=top_k, top_p=top_p)
    ref = hf_sampling_distribution(logits, temperature, top_k, top_p)
    # probabilities to 1e-9: a token kept or dropped differently moves them by far more
    assert_close(out, ref, None, floor=1e-9, what=f"sampling distribution (temperature={temperature}, top_k={top_k}, top_p={top_p})")


def test_top_k_ties_keep_exactly_k_lowest_ids_first(impl):
    logits = np.array([1.0, 2.0, 2.0, 2.0, 0.0])
    out = impl.sampling_distribution(logits, top_k=2)
    assert_close(out, np.array([0.0, 0.5, 0.5, 0.0, 0.0]), None, what="top_k=2 over three tied logits (exactly k tokens, lower ids first)")


def test_top_p_keeps_the_token_that_crosses_p(impl):
    logits = np.log([0.2, 0.5, 0.3])  # ranked: 0.5, 0.3, 0.2
    out = impl.sampling_distribution(logits, top_p=0.6)
    assert_close(out, np.array([0.0, 0.625, 0.375]), None, what="top_p=0.6 over probabilities 0.5/0.3/0.2 (keeps 0.5 and the crossing 0.3)")


def test_top_p_ties_keep_lower_ids_first(impl):
    out = impl.sampling_distribution(np.zeros(4), top_p=0.5)  # four tokens of exactly 0.25
    assert_close(out, np.array([0.5, 0.5, 0.0, 0.0]), None, what="top_p=0.5 over four equal tokens (reaches p exactly after two, lower ids first)")


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), vocab=st.integers(1, 80), top_p=st.floats(0.01, 1.0))
def test_top_p_keeps_the_smallest_set_reaching_p(impl, seed, vocab, top_p):
    logits = unique_logits(seed, vocab)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    out = impl.sampling_distribution(logits, top_p=top_p)
    kept = out > 0
    mass = probs[kept].sum()
    if not mass >= top_p - 1e-12:
        fail(f"top_p={top_p} kept {kept.sum()} tokens holding only {mass:.6f} < p")
    if kept.sum() > 1 and probs[kept].min() < probs[~kept].max(initial=0.0):
        fail(f"top_p={top_p} kept a token of probability {probs[kept].min():.4g} but dropped one of {probs[~kept].max():.4g}")
    if kept.sum() > 1 and not mass - probs[kept].min() < top_p + 1e-12:
        fail(f"top_p={top_p} kept {kept.sum()} tokens ({mass:.6f}) where fewer already reach p: not the smallest set")


def test_temperature_zero_is_greedy(impl, rng):
    logits = rng.standard_normal((4, 30))
    out = impl.sampling_distribution(logits, temperature=0.0)
    assert_exact(out, np.eye(30)[np.argmax(logits, axis=-1)], what="distribution at temperature 0 (one-hot on the greedy token)")
    tokens = impl.sample(logits, np.random.default_rng(FIXED_SEED), n=50, temperature=0.0)
    assert_exact(tokens, np.repeat(np.argmax(logits, axis=-1)[:, None], 50, axis=1), what="draws at temperature 0")


def test_temperature_near_zero_behaves_like_greedy(impl, rng):
    # distinct integer ranks plus noise below 0.5: neighbouring logits differ by at least 0.5
    logits = np.stack([rng.permutation(30) for _ in range(4)]).astype(np.float64) + rng.uniform(0, 0.5, (4, 30))
    tokens = impl.sample(logits, np.random.default_rng(FIXED_SEED), n=200, temperature=1e-3)  # gaps of >= 500 in scaled logits
    assert_exact(tokens, np.repeat(np.argmax(logits, axis=-1)[:, None], 200, axis=1), what="draws at temperature 1e-3")


# --------------------------------------------------------------------------- the draws


@pytest.mark.parametrize("options", list(SETTINGS.values()), ids=list(SETTINGS))
def test_sampled_frequencies_follow_the_target(impl, options, record_metric):
    target = hf_sampling_distribution(LOGITS, **options)
    tokens = impl.sample(LOGITS, np.random.default_rng(FIXED_SEED), n=N_DRAWS, **options)
    assert tokens.shape == (N_DRAWS,), f"sample(logits [8], n={N_DRAWS}) returned shape {tokens.shape}"
    assert tokens.dtype == np.int64, f"sample returned {tokens.dtype}, the contract says int64"
    p_value = assert_frequencies_match(tokens, target, f"sample({options})")
    record_metric("chi_square_p_value", float(p_value), better="higher")


def test_batched_rows_sample_independently(impl):
    logits = np.stack([LOGITS, LOGITS[::-1], np.roll(LOGITS, 3)])
    tokens = impl.sample(logits, np.random.default_rng(FIXED_SEED), n=N_DRAWS, temperature=0.8, top_k=6)
    assert tokens.shape == (3, N_DRAWS), f"sample(logits [3, 8], n={N_DRAWS}) returned shape {tokens.shape}"
    for row in range(3):
        assert_frequencies_match(tokens[row], hf_sampling_distribution(logits[row], 0.8, 6), f"row {row} of a batch")


@settings(max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), vocab=st.integers(1, 50), data=st.data())
def test_top_k_never_draws_outside_the_top_k(impl, seed, vocab, data):
    k = data.draw(st.integers(1, vocab), label="k")
    logits = unique_logits(seed, vocab)
    top = set(np.argsort(-logits, kind="stable")[:k].tolist())
    tokens = impl.sample(logits, np.random.default_rng(seed), n=300, top_k=k, temperature=3.0)  # a flat distribution visits the tail
    outside = sorted(set(tokens.tolist()) - top)
    if outside:
        fail(f"top_k={k} drew tokens {outside} outside the top {k} {sorted(top)}")


def test_the_generator_is_the_only_randomness(impl):
    first = impl.sample(LOGITS, np.random.default_rng(7), n=100)
    second = impl.sample(LOGITS, np.random.default_rng(7), n=100)
    assert_exact(second, first, what="draws from two generators with the same seed")


BAD_INPUTS = {
    "nan-logits": (np.array([0.0, np.nan, 1.0]), {}),
    "all-minus-inf": (np.full(3, -np.inf), {}),
    "top-k-0": (LOGITS, dict(top_k=0)),
    "top-k-fraction": (LOGITS, dict(top_k=2.5)),
    "top-p-0": (LOGITS, dict(top_p=0.0)),
    "top-p-above-1": (LOGITS, dict(top_p=1.5)),
    "temperature-negative": (LOGITS, dict(temperature=-0.5)),
}


@pytest.mark.parametrize("logits,options", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_is_a_clear_error(impl, logits, options):
    assert_raises_clearly(ValueError, impl.sample, logits, np.random.default_rng(0), **options, what=f"sample with {options or 'these logits'}")
    assert_raises_clearly(ValueError, impl.sampling_distribution, logits, **options, what=f"sampling_distribution with {options or 'these logits'}")


@pytest.mark.parametrize("logits", [np.array([0.0, np.nan]), np.zeros((2, 0))], ids=["nan", "empty-vocabulary"])
def test_greedy_rejects_bad_logits(impl, logits):
    assert_raises_clearly(ValueError, impl.greedy, logits, what=f"greedy of logits {logits.tolist()} (shape {logits.shape})")


@pytest.mark.parametrize("rng_arg,n", [(np.random.default_rng(0), 0), (None, 1), (7, 1)], ids=["n-0", "no-generator", "int-seed"])
def test_sample_rejects_bad_draw_arguments(impl, rng_arg, n):
    assert_raises_clearly(ValueError, impl.sample, LOGITS, rng_arg, n=n, what=f"sample(rng={type(rng_arg).__name__}, n={n})")
