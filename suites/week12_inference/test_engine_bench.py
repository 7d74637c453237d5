"""Engine measurements (marker `bench`; run with --bench). Figures go to the run record
(`record_metric`, and the "engine" section) and are quoted in docs/engine.md.

Everything runs on ONE thread (BLAS and torch), and every speed is set next to a
peer measured in the same run: HF transformers `generate` for decode, static vs
continuous batching, and the memory-bandwidth roofline from
aigc_bench.calibration (STREAM triad on this core): decoding one token must read
every weight once plus the KV cache, so tokens/s <= bandwidth / bytes per token.
"""

import time
from pathlib import Path

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from .references import HFReference

SKILL = "engine"
pytestmark = pytest.mark.bench

MEDIUM = dict(vocab_size=8192, n_positions=1024, n_layer=6, n_head=6, n_embd=384)


def best_time(fn, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(threads)


def test_prefill_vs_decode_per_token(impl, one_thread, run_record, record_metric):
    """Time per token of prefill (all positions at once) and of one decode step, as the
    context grows; and the cache's share: decode at context L reads L cached positions."""
    model = impl.load_model(config=MEDIUM, seed=0)
    rows = []
    for context in (16, 64, 256, 512, 1000):
        ids = np.random.default_rng(context).integers(0, MEDIUM["vocab_size"], context)
        prefill = best_time(lambda: model.forward(ids, model.new_cache(context + 8), 0, all_logits=False), repeats=2)
        cache = model.new_cache(context + 8)
        model.forward(ids, cache, 0, all_logits=False)

        def decode_eight():
            cache.truncate(context)
            for i in range(8):
                model.forward([int(ids[i])], cache, context + i, all_logits=False)

        decode = best_time(decode_eight) / 8
        rows.append({"context": context, "prefill_ms_per_token": 1e3 * prefill / context, "decode_ms_per_token": 1e3 * decode})
        print(rows[-1])
    record_metric("decode_over_prefill_per_token_at_512", rows[3]["decode_ms_per_token"] / rows[3]["prefill_ms_per_token"], "x", None)
    run_record.add_section("engine_prefill_decode", {"config": MEDIUM, "threads": 1, "rows": rows})
    _plot(rows, Path("reports") / "engine_prefill_decode.png")


def _plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    x = [r["context"] for r in rows]
    ax.plot(x, [r["prefill_ms_per_token"] for r in rows], "o-", label="prefill (per prompt token)")
    ax.plot(x, [r["decode_ms_per_token"] for r in rows], "s-", label="decode (one token)")
    ax.set_xscale("log")
    ax.set_xlabel("context length (tokens)")
    ax.set_ylabel("ms per token")
    ax.set_title("GPT-2 6x384, one thread")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def test_decode_tokens_per_second_124m_vs_hf(impl, one_thread, tmp_path, run_record, record_metric):
    """GPT-2 124M shape, one thread: engine fp32/int8/int4 decode tok/s vs HF generate
    (eager attention, KV cache) on the same weights, and % of the bandwidth roofline."""
    from aigc_bench.calibration import measure

    bandwidth = 0.0
    hf = HFReference(tmp_path, seed=0, initializer_range=0.02)
    prompt, n_new = list(range(100, 116)), 32

    def hf_generate():
        with torch.no_grad():
            hf.model32.generate(torch.tensor([prompt]), max_new_tokens=n_new, min_new_tokens=n_new, do_sample=False, pad_token_id=0)

    def hf_prefill():
        with torch.no_grad():
            hf.model32.generate(torch.tensor([prompt]), max_new_tokens=1, do_sample=False, pad_token_id=0)

    models = {w: impl.load_model(hf.directory, weights=w) for w in ("fp32", "int8", "int4")}
    caches = {w: m.new_cache(len(prompt) + n_new) for w, m in models.items()}
    for w, m in models.items():
        m.forward(prompt, caches[w], 0, all_logits=False)

    def engine_decode(w):
        model, cache = models[w], caches[w]
        cache.truncate(len(prompt))
        token = 0
        for i in range(n_new - 1):
            token = int(np.argmax(model.forward([token], cache, len(prompt) + i, all_logits=False)))

    # Rounds alternate between the contenders, best of each kept: a busy machine slows
    # whichever runs at that moment, and alternating spreads that evenly.
    best = {name: float("inf") for name in ("hf_generate", "hf_prefill", *models)}
    for _ in range(3):
        bandwidth = max(bandwidth, measure(repeats=2)["triad_gbytes_per_s"] * 1e9)  # bytes/s, best seen
        best["hf_generate"] = min(best["hf_generate"], best_time(hf_generate, 1))
        best["hf_prefill"] = min(best["hf_prefill"], best_time(hf_prefill, 1))
        for w in models:
            best[w] = min(best[w], best_time(lambda: engine_decode(w), 1))
    hf_decode_s = max(best["hf_generate"] - best["hf_prefill"], 1e-9)
    results = {"hf_eager": {"decode_tokens_per_s": (n_new - 1) / hf_decode_s}}
    for weights, model in models.items():
        tok_s = (n_new - 1) / best[weights]
        mean_context = len(prompt) + n_new / 2
        kv_bytes = 2 * model.config.n_layer * mean_context * model.config.n_embd * 4
        bytes_per_token = model.nbytes + kv_bytes
        results[weights] = {
            "decode_tokens_per_s": tok_s,
            "vs_hf": tok_s / results["hf_eager"]["decode_tokens_per_s"],
            "bytes_per_token": bytes_per_token,
            "roofline_tokens_per_s": bandwidth / bytes_per_token,
            "roofline_fraction": tok_s * bytes_per_token / bandwidth,
        }
        for key in ("decode_tokens_per_s", "vs_hf", "roofline_fraction"):
            record_metric(f"124m_{weights}_{key}", results[weights][key], "", "higher")
        print(weights, results[weights])
    print("hf", results["hf_eager"], f"bandwidth {bandwidth / 1e9:.1f} GB/s")
    run_record.add_section("engine", {"decode_124m_one_thread": results, "triad_gbytes_per_s": bandwidth / 1e9, "prompt_tokens": len(prompt), "new_tokens": n_new})


def test_throughput_vs_batch_and_continuous_vs_static(impl, one_thread, run_record, record_metric):
    """Decode throughput as the batch grows (weights read once per step for the whole
    batch), and a mixed-length workload under static vs continuous batching."""
    model = impl.load_model(config=MEDIUM, seed=0)
    rng = np.random.default_rng(0)
    rows = []
    for batch in (1, 2, 4, 8, 16):
        engine = impl.Engine(model, max_batch=batch)
        for _ in range(batch):
            engine.add_request(rng.integers(0, 8192, 8).tolist(), 16)
        start = time.perf_counter()
        produced = sum(len(events) for events in iter(engine.step, []))
        rows.append({"batch": batch, "tokens_per_s": produced / (time.perf_counter() - start)})
        print(rows[-1])
    prompts = [rng.integers(0, 8192, int(n)).tolist() for n in rng.integers(4, 32, 24)]
    budgets = [int(n) for n in rng.integers(4, 64, 24)]
    useful = sum(budgets)
    start = time.perf_counter()
    for i in range(0, len(prompts), 8):  # static: groups of 8, each runs until its longest request is done
        impl.static_batch_generate(model, prompts[i : i + 8], max(budgets[i : i + 8]))
    static_s = time.perf_counter() - start
    engine = impl.Engine(model, max_batch=8)
    for p, n in zip(prompts, budgets):
        engine.add_request(p, n)
    start = time.perf_counter()
    while engine.has_work():
        engine.step()
    continuous_s = time.perf_counter() - start
    mixed = {"requests": len(prompts), "useful_tokens": useful, "static_tokens_per_s": useful / static_s, "continuous_tokens_per_s": useful / continuous_s}
    print(mixed)
    record_metric("continuous_over_static", static_s / continuous_s, "x", "higher")
    run_record.add_section("engine_batching", {"config": MEDIUM, "threads": 1, "batch_rows": rows, "mixed_workload": mixed})
