"""Broken quantizers (the catalogue in suites/week09_10_quantization/mistakes.py) each
fail the quantization suite with a message naming the symptom.

Runs the suite's symptom tests with `--impl mistakes` in a subprocess and reads
each mistake's failures from the run record."""

import subprocess
import sys
from pathlib import Path

from aigc_bench import records

ROOT = Path(__file__).resolve().parents[1]
SUITE = "suites/week09_10_quantization"
SYMPTOM_TESTS = (
    "test_scale_is_max_abs_over_127 or test_rounds_to_nearest_not_toward_zero or test_symmetric_range_is_plus_minus_127 "
    "or test_saturates_beyond_a_calibrated_scale or test_nibble_order_low_first or test_pack_then_unpack_is_identity_for_every_pair"
)

# mistake slug -> words its failure message must contain (the symptom, in the learner's terms)
EXPECTED_SYMPTOM = {
    "int8_scale_from_mean": ("max|x|/127", "scale from the mean"),
    "int8_truncating": ("nearest integer", "truncation"),
    "int8_uses_minus_128": ("-128", "q(-x) != -q(x)"),
    "int8_missing_clamp": ("saturate", "wraps them around"),
    "pack_int4_swapped_nibbles": ("low nibble", "swapped nibble order"),
}


def test_each_broken_quantizer_fails_naming_its_symptom(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", f"{SUITE}/test_quantize_int8.py", f"{SUITE}/test_quantize_int4.py", "--impl", "mistakes",
         "-k", SYMPTOM_TESTS, "-q", "-p", "no:cacheprovider", f"--record-dir={tmp_path}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    [path] = records.find([tmp_path])
    messages: dict[str, list[str]] = {}
    for t in records.load(path)["tests"]:
        impl = t.get("impl") or ""
        if impl.startswith("mistake:") and t["outcome"] == "failed":
            messages.setdefault(impl.split(":", 1)[1], []).append(t["message"])
    for slug, words in EXPECTED_SYMPTOM.items():
        assert slug in messages, f"the broken quantizer {slug} passed every symptom test\n{proc.stdout[-2000:]}"
        named = [m for m in messages[slug] if all(w.lower() in m.lower() for w in words)]
        assert named, f"{slug} failed, but no message names its symptom {words}:\n" + "\n---\n".join(m[-600:] for m in messages[slug])
