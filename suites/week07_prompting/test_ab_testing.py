"""Paired A/B statistics, checked against scipy and against known cases.

The figures a user reads ("B is better", a 95% interval, the minimum
detectable effect) must be right: exact tests are compared exactly with
scipy; Monte Carlo ones within their Monte Carlo error; coverage and power
are checked by simulation."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from aigc_bench.checks import assert_raises_clearly

SKILL = "ab_testing"


def binomial_two_sided(k, n):
    """Independent exact two-sided binomial p for p = 1/2 (symmetric: twice the smaller tail)."""
    tail = sum(math.comb(n, i) for i in range(0, min(k, n - k) + 1)) / 2**n
    return min(1.0, 2 * tail)


@settings(max_examples=60)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_mcnemar_is_the_exact_binomial_test_on_discordant_pairs(impl, pairs):
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    result = impl.mcnemar(a, b)
    a_only, b_only = int(np.sum(a & ~b)), int(np.sum(b & ~a))
    assert (result["a_only"], result["b_only"]) == (a_only, b_only), "discordant counts are wrong"
    expected = 1.0 if a_only + b_only == 0 else binomial_two_sided(b_only, a_only + b_only)
    assert result["p_value"] == pytest.approx(expected, abs=1e-12), "McNemar's p is the two-sided exact binomial p on the discordant pairs"


def correlated_scores(rng, n, shift, noise=0.05):
    """Scores whose per-item difficulty dominates: A and B are strongly correlated."""
    difficulty = rng.uniform(0, 1, n)
    return difficulty, difficulty + shift + rng.normal(0, noise, n)


def test_bootstrap_interval_keeps_the_pairs(impl, rng):
    a, b = correlated_scores(rng, 40, 0.1)
    low, high = impl.paired_bootstrap_ci(a, b, np.random.default_rng(1), n_resamples=4000)
    ref = stats.bootstrap((a, b), lambda x, y, axis=-1: np.mean(y - x, axis=axis), paired=True, vectorized=True, method="percentile", n_resamples=4000, random_state=np.random.default_rng(2)).confidence_interval
    assert low < np.mean(b - a) < high
    width, ref_width = high - low, ref.high - ref.low
    assert 0.8 < width / ref_width < 1.25, f"interval width {width:.4f} vs scipy's paired bootstrap {ref_width:.4f}: resampling A and B independently ignores the pairing"
    assert abs(low - ref.low) < 0.25 * ref_width and abs(high - ref.high) < 0.25 * ref_width


def test_bootstrap_coverage(impl):
    """Over many data sets drawn with a known difference, ~95% of intervals contain it."""
    gen = np.random.default_rng(7)
    hits = 0
    trials = 150
    for _ in range(trials):
        a, b = correlated_scores(gen, 30, 0.2, noise=0.3)
        low, high = impl.paired_bootstrap_ci(a, b, gen, n_resamples=1500)
        hits += low <= 0.2 <= high
    assert 0.85 <= hits / trials <= 0.995, f"coverage {hits / trials:.2f} of a nominal 95% interval"


@settings(max_examples=30)
@given(st.lists(st.floats(-5, 5, allow_nan=False, width=32), min_size=2, max_size=12), st.integers(0, 2**32 - 1))
def test_permutation_test_is_exact_for_small_n(impl, values, seed):
    gen = np.random.default_rng(seed)
    a = np.array(values, dtype=np.float64)
    b = a + gen.normal(0.3, 1.0, a.size)
    p = impl.paired_permutation_test(a, b, np.random.default_rng(seed))
    ref = stats.permutation_test((a, b), lambda x, y, axis=-1: np.mean(y - x, axis=axis), permutation_type="samples", vectorized=True, n_resamples=np.inf, alternative="two-sided").pvalue
    assert p == pytest.approx(ref, abs=1e-9), "the exact sign-flip p-value (two-sided)"


def test_permutation_test_large_n_agrees_within_monte_carlo_error(impl, rng):
    a, b = correlated_scores(rng, 60, 0.02, noise=0.1)
    p = impl.paired_permutation_test(a, b, np.random.default_rng(3), n_resamples=20_000)
    ref = stats.permutation_test((a, b), lambda x, y, axis=-1: np.mean(y - x, axis=axis), permutation_type="samples", vectorized=True, n_resamples=20_000, random_state=np.random.default_rng(4)).pvalue
    assert abs(p - ref) < 0.02 + 3 * math.sqrt(ref * (1 - ref) / 20_000), f"p {p:.4f} vs scipy {ref:.4f}"


def test_minimum_detectable_effect_formula_and_power(impl):
    n, sd = 50, 0.4
    mde = impl.minimum_detectable_effect(n, sd)
    assert mde == pytest.approx((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * sd / math.sqrt(n), rel=1e-9)
    # at a true effect of exactly the MDE, a paired test detects it about 80% of the time
    gen = np.random.default_rng(11)
    diffs = gen.normal(mde, sd, size=(2000, n))
    z = diffs.mean(axis=1) / (sd / math.sqrt(n))
    power = np.mean(np.abs(z) > stats.norm.ppf(0.975))
    assert 0.76 < power < 0.84, f"simulated power {power:.3f} at the MDE"


def test_verdicts(impl, rng):
    a, b = correlated_scores(rng, 40, 0.15, noise=0.05)
    better = impl.ab_verdict(a, b, np.random.default_rng(5), n_resamples=3000)
    assert better["verdict"] == "B is better" and better["p_value"] < 0.05 and better["ci"][0] > 0
    worse = impl.ab_verdict(b, a, np.random.default_rng(5), n_resamples=3000)
    assert worse["verdict"] == "A is better"
    same_a, same_b = correlated_scores(rng, 40, 0.0, noise=0.2)
    same = impl.ab_verdict(same_a, same_b, np.random.default_rng(5), n_resamples=3000)
    if same["p_value"] >= 0.05:
        assert same["verdict"] == "no significant difference"
    assert same["mde"] > 0 and same["n"] == 40


def test_binary_scores_use_mcnemar(impl):
    a = np.array([1, 1, 0, 0, 1, 0, 1, 1, 0, 1] * 3)
    b = np.array([1, 1, 1, 0, 1, 1, 1, 1, 1, 1] * 3)
    result = impl.ab_verdict(a, b, np.random.default_rng(0), n_resamples=2000)
    assert "mcnemar" in result["test"].lower()
    assert result["p_value"] == pytest.approx(binomial_two_sided(9, 9), abs=1e-12)


@pytest.mark.parametrize("a, b, what", [([1.0, 2.0], [1.0], "different lengths"), ([1.0, np.nan, 2.0], [1.0, 2.0, 3.0], "NaN"), ([1.0], [2.0], "one item")])
def test_bad_input_is_a_clear_error(impl, a, b, what):
    assert_raises_clearly(ValueError, impl.paired_bootstrap_ci, np.array(a), np.array(b), np.random.default_rng(0), what=what)
    assert_raises_clearly(ValueError, impl.paired_permutation_test, np.array(a), np.array(b), np.random.default_rng(0), what=what)
