"""Embedding studies (roadmap Day 22-24): a contrastive fine-tune of MiniLM reported
before/after on a package it never saw (slow), and the t-SNE picture by package."""

import numpy as np
import pytest

from aigc_bench.checks import fail

from .embedding_eval import fine_tune_minilm, tsne_picture


@pytest.mark.slow
def test_contrastive_fine_tune_before_and_after(run_record, record_metric):
    result = fine_tune_minilm()
    run_record.add_section("embedding_finetune", result)
    for split in ("train_package_held_out", "other_package"):
        for when in ("before", "after"):
            record_metric(f"{split} MRR@10 {when}", result[when][split]["MRR@10"], "", "higher")
    losses = result["losses"]
    if len(losses) < 10:
        fail(f"only {len(losses)} training steps ran")
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    if not last < first:
        fail(f"the contrastive loss did not fall during fine-tuning ({first:.3f} -> {last:.3f})")
    # No assertion that the unseen package improves: that is the finding, reported either way.
    print("fine-tune:", {w: {s: round(v["MRR@10"], 3) for s, v in result[w].items()} for w in ("before", "after")})


def test_tsne_picture_by_package(tmp_path):
    path = tsne_picture(tmp_path / "tsne.png", packages=("httpx", "click"), per_package=25)
    data = path.read_bytes()
    if not data.startswith(b"\x89PNG") or len(data) < 5000:
        fail(f"t-SNE picture {path} is not a plausible PNG ({len(data)} bytes)")
