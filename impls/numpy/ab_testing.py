"""Paired A/B statistics for prompt versions, in NumPy (and scipy for distributions)."""

import itertools

import numpy as np
from scipy import stats


def _paired(scores_a, scores_b, minimum=2):
    a, b = np.asarray(scores_a, dtype=np.float64), np.asarray(scores_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired scores need two 1-D arrays of one length, got shapes {a.shape} and {b.shape}")
    if a.size < minimum:
        raise ValueError(f"need at least {minimum} paired items, got {a.size}")
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError("scores contain NaN: score every item (a failed call is a failure, not a missing value)")
    return a, b


def mcnemar(a_passed, b_passed):
    a, b = _paired(a_passed, b_passed, minimum=1)
    a, b = a.astype(bool), b.astype(bool)
    a_only, b_only = int(np.sum(a & ~b)), int(np.sum(b & ~a))
    discordant = a_only + b_only
    p = 1.0 if discordant == 0 else float(stats.binomtest(b_only, discordant, 0.5).pvalue)
    return {"a_only": a_only, "b_only": b_only, "p_value": p}


def paired_bootstrap_ci(scores_a, scores_b, rng, n_resamples=10_000, confidence=0.95):
    a, b = _paired(scores_a, scores_b)
    diff = b - a  # one difference per item: resampling items keeps the pairs together
    idx = rng.integers(0, diff.size, size=(n_resamples, diff.size))  # [R, n]
    means = diff[idx].mean(axis=1)  # [R]
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)


def paired_permutation_test(scores_a, scores_b, rng, n_resamples=10_000):
    a, b = _paired(scores_a, scores_b)
    diff = b - a
    observed = abs(diff.mean())
    if diff.size <= 16:  # exact: every sign pattern
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=diff.size)))  # [2^n, n]
        means = np.abs((signs * diff).mean(axis=1))
        return float(np.mean(means >= observed - 1e-12))
    signs = rng.choice((1.0, -1.0), size=(n_resamples, diff.size))
    means = np.abs((signs * diff).mean(axis=1))
    return float((1 + np.sum(means >= observed - 1e-12)) / (1 + n_resamples))


def minimum_detectable_effect(n, sd_diff, alpha=0.05, power=0.8):
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    if sd_diff < 0:
        raise ValueError(f"sd_diff must be non-negative, got {sd_diff}")
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError(f"alpha and power must lie in (0, 1), got {alpha} and {power}")
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * sd_diff / np.sqrt(n))


def ab_verdict(scores_a, scores_b, rng, alpha=0.05, n_resamples=10_000):
    a, b = _paired(scores_a, scores_b)
    binary = np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()
    if binary:
        p, test = mcnemar(a, b)["p_value"], "McNemar exact"
    else:
        p, test = paired_permutation_test(a, b, rng, n_resamples), "paired permutation"
    difference = float(b.mean() - a.mean())
    if p >= alpha or difference == 0:
        verdict = "no significant difference"
    else:
        verdict = "B is better" if difference > 0 else "A is better"
    return {
        "mean_a": float(a.mean()),
        "mean_b": float(b.mean()),
        "difference": difference,
        "ci": paired_bootstrap_ci(a, b, rng, n_resamples, 1 - alpha),
        "p_value": float(p),
        "test": test,
        "mde": minimum_detectable_effect(a.size, float(np.std(b - a, ddof=1)), alpha),
        "verdict": verdict,
        "n": int(a.size),
    }
