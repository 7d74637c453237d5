"""Accuracy of weight quantization on real models (no downloads; real_models.py).

all-MiniLM-L6-v2's real weights: INT8 per-channel must keep the mean cosine of
sentence embeddings >= 0.99 (a real requirement); INT4 g32/g128 are reported,
with regression guards just under what the reference measures (they do not
claim INT4 is lossless: it is not). The default run uses a subset (sentences,
code-search pairs, documents cut to 64 tokens); --slow runs the full set.
PyTorch's dynamic INT8 quantization (torch.ao.quantization.quantize_dynamic)
is the peer, on the whole model and on one real layer.
"""

import pytest

from aigc_bench.checks import fail
from aigc_bench.contract import PROJECT_ROOT
from aigc_bench.quantization import plot_precision_vs_compression

from . import real_models as R

N_SENTENCES = 32  # default run: docstring first sentences for the cosine checks
MIN_MEAN_COSINE_INT8_CHANNEL = 0.99  # the requirement
MIN_LAYER_SQNR_INT8_CHANNEL = 30.0  # dB; the reference's worst MiniLM layer measures 33.5 dB
# INT4 regression guards (measured by the reference on the default sentences: g32 0.960, g128 0.943)
MIN_MEAN_COSINE_INT4 = {32: 0.94, 128: 0.92}
# GPT-2 (seeded weights): measured INT8 per-channel KL 2e-6 nats, top-1 100%; INT4 g32 KL 4e-4, top-1 95%
GPT2_LIMITS = {"int8_row": (1e-4, 0.98), "int4_g32": (2e-3, 0.85)}


@pytest.fixture(scope="module")
def minilm():
    """fp32 embeddings of the default subset (computed once per module)."""
    return R.MiniLMEvaluation(n_pairs=N_SENTENCES)


def _layers(evaluation, round_trip, record_metric, label):
    new, table = R.quantize_layers(evaluation.state, round_trip)
    worst = min(table, key=lambda row: row["sqnr_db"])
    record_metric(f"minilm_{label}_min_layer_sqnr_db", worst["sqnr_db"], "dB", "higher", layer=worst["layer"])
    return new, table, worst


@pytest.mark.skill("quantize_int8")
def test_minilm_int8_per_channel_keeps_cosine(impl, minilm, record_metric):
    new, table, worst = _layers(minilm, lambda w: impl.dequantize_int8(*impl.quantize_int8(w, "row")), record_metric, "int8_row")
    if worst["sqnr_db"] < MIN_LAYER_SQNR_INT8_CHANNEL:
        fail(f"INT8 per-channel SQNR of {worst['layer']} is {worst['sqnr_db']:.1f} dB < {MIN_LAYER_SQNR_INT8_CHANNEL} dB")
    result = minilm.evaluate(new, with_recall=False)
    record_metric("minilm_int8_row_mean_cosine", result["mean_cosine"], "", "higher")
    if not result["mean_cosine"] >= MIN_MEAN_COSINE_INT8_CHANNEL:
        fail(f"MiniLM with INT8 per-channel weights: mean cosine {result['mean_cosine']:.4f} < {MIN_MEAN_COSINE_INT8_CHANNEL} "
             f"(min {result['min_cosine']:.4f}) on {len(minilm.queries)} sentences")


@pytest.mark.skill("quantize_int4")
@pytest.mark.parametrize("group_size", [32, pytest.param(128, marks=pytest.mark.slow)])
def test_minilm_int4_cosine_reported(impl, minilm, group_size, record_metric):
    new, _, worst = _layers(minilm, lambda w: impl.dequantize_int4(*impl.quantize_int4(w, group_size)), record_metric, f"int4_g{group_size}")
    result = minilm.evaluate(new, with_recall=False)
    record_metric(f"minilm_int4_g{group_size}_mean_cosine", result["mean_cosine"], "", "higher")
    if not result["mean_cosine"] >= MIN_MEAN_COSINE_INT4[group_size]:
        fail(f"MiniLM with INT4 g{group_size} weights: mean cosine {result['mean_cosine']:.4f} < {MIN_MEAN_COSINE_INT4[group_size]} "
             f"(the reference measures ~{MIN_MEAN_COSINE_INT4[group_size] + 0.02:.2f}; worst layer {worst['layer']} {worst['sqnr_db']:.1f} dB)")


@pytest.mark.skill("quantize_int8")
def test_gpt2_int8_next_token_agreement(impl, record_metric):
    _check_gpt2(lambda w: impl.dequantize_int8(*impl.quantize_int8(w, "row")), "int8_row", record_metric)


@pytest.mark.skill("quantize_int4")
def test_gpt2_int4_next_token_agreement(impl, record_metric):
    _check_gpt2(lambda w: impl.dequantize_int4(*impl.quantize_int4(w, 32)), "int4_g32", record_metric)


def _check_gpt2(round_trip, label, record_metric):
    result = R.gpt2_next_token_agreement(round_trip)
    max_kl, min_top1 = GPT2_LIMITS[label]
    record_metric(f"gpt2_{label}_kl", result["kl_divergence"], "nats", "lower")
    record_metric(f"gpt2_{label}_top1_agreement", result["top1_agreement"], "", "higher")
    if not (result["kl_divergence"] <= max_kl and result["top1_agreement"] >= min_top1):
        fail(f"GPT-2 ({result['layers']} weights) with {label}: KL {result['kl_divergence']:.2e} nats (limit {max_kl:.0e}), "
             f"top-1 agreement {result['top1_agreement']:.3f} (limit {min_top1})")


# --------------------------------------------------------------------------- the report


def _report_and_check(evaluation, run_record, record_metric, plot_name, schemes=tuple(R.SCHEMES)):
    report = R.quantization_report(evaluation, schemes)
    run_record.add_section("quantization", report)
    for p in report["points"]:
        for key in ("mean_cosine", "recall_at_10_change"):
            record_metric(f"minilm_{p['method']}_{key}", p[key], "", "higher")
    plot_precision_vs_compression(report["points"], PROJECT_ROOT / "reports" / f"{plot_name}_cosine.png", metric="mean_cosine")
    plot_precision_vs_compression([p for p in report["points"] if "mean_layer_sqnr_db" in p], PROJECT_ROOT / "reports" / f"{plot_name}_sqnr.png", metric="mean_layer_sqnr_db")
    by_name = {p["method"]: p for p in report["points"]}
    int8 = by_name["int8_row"]
    if int8["mean_cosine"] < MIN_MEAN_COSINE_INT8_CHANNEL or int8["recall_at_10_change"] < -0.02:
        fail(f"INT8 per-channel on MiniLM: mean cosine {int8['mean_cosine']:.4f}, recall@10 change {int8['recall_at_10_change']:+.3f}")
    if "int4_g128" in by_name and not by_name["int4_g32"]["mean_layer_sqnr_db"] > by_name["int4_g128"]["mean_layer_sqnr_db"]:
        fail("INT4 with groups of 32 must beat groups of 128 in SQNR (smaller groups, tighter scales)")
    return report


@pytest.mark.skill("quant_error")
def test_minilm_quantization_report(minilm_report_subset, run_record, record_metric):
    """Default run: 48 code-search pairs, documents cut to 64 tokens, two schemes and the peer."""
    _report_and_check(minilm_report_subset, run_record, record_metric, "quantization_minilm_subset", R.DEFAULT_SCHEMES)


@pytest.fixture(scope="module")
def minilm_report_subset():
    model = R.minilm_model()
    previous = model.max_seq_length
    model.max_seq_length = 64
    try:
        yield R.MiniLMEvaluation(n_pairs=48)
    finally:
        model.max_seq_length = previous


@pytest.mark.slow
@pytest.mark.skill("quant_error")
def test_minilm_quantization_report_full(run_record, record_metric):
    """--slow: every code-search pair (about 1250), documents up to 256 tokens, every scheme."""
    _report_and_check(R.MiniLMEvaluation(n_pairs=None), run_record, record_metric, "quantization_minilm")
