"""`aigc-bench quantize` run as a subprocess: on the real all-MiniLM-L6-v2 folder,
and on bad input (each gets exit status 2 and an error naming the problem)."""

import json
import subprocess
import sys

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

from aigc_bench.commands.quantize import FORMAT, load_dequantized
from aigc_bench.models import minilm_dir
from aigc_bench.quantization import sqnr_db

MINILM_LINEAR_LAYERS = 37  # 6 layers x 6 matrices + the pooler


def quantize(*args):
    return subprocess.run([sys.executable, "-m", "aigc_bench", "quantize", *map(str, args)], capture_output=True, text=True, timeout=600)


def _table_rows(stdout):
    return [line.split() for line in stdout.splitlines() if line.startswith(("encoder.", "pooler."))]


@pytest.fixture(scope="module")
def minilm_state():
    from safetensors.numpy import load_file

    return load_file(str(minilm_dir() / "model.safetensors"))


def test_int8_per_channel_on_minilm(tmp_path, minilm_state):
    out = tmp_path / "int8"
    result = quantize(minilm_dir(), "--bits", 8, "--out", out)
    assert result.returncode == 0, result.stderr
    rows = _table_rows(result.stdout)
    assert len(rows) == MINILM_LINEAR_LAYERS, result.stdout
    with safe_open(str(out / "model.safetensors"), framework="np") as f:
        meta = f.metadata()
        q = f.get_tensor("encoder.layer.0.intermediate.dense.weight.qweight")
        scales = f.get_tensor("encoder.layer.0.intermediate.dense.weight.scales")
    assert meta["format"] == FORMAT and meta["bits"] == "8" and meta["group_size"] == "per_output_channel"
    assert q.dtype == np.int8 and q.shape == (1536, 384) and scales.shape == (1536, 1)
    assert (out / "config.json").exists() and (out / "tokenizer.json").exists(), "config and tokenizer must be copied"
    weights = load_dequantized(out)
    for name, _shape, printed_sqnr, *_ in rows:
        measured = sqnr_db(minilm_state[name], weights[name])
        assert abs(measured - float(printed_sqnr)) < 0.01, f"{name}: table says {printed_sqnr} dB, file gives {measured:.2f} dB"
        assert measured > 30, f"INT8 per-channel {name}: {measured:.1f} dB (the worst MiniLM layer measures 33.5)"
    untouched = "embeddings.word_embeddings.weight"
    np.testing.assert_array_equal(weights[untouched], minilm_state[untouched], err_msg="embeddings must be copied unchanged")


def test_int4_group32_on_minilm(tmp_path):
    out = tmp_path / "int4"
    result = quantize(minilm_dir(), "--bits", 4, "--group", 32, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "5.000 bits/weight (6.40x smaller" in result.stdout, result.stdout[-400:]
    with safe_open(str(out / "model.safetensors"), framework="np") as f:
        packed = f.get_tensor("encoder.layer.0.output.dense.weight.qweight")
        scales = f.get_tensor("encoder.layer.0.output.dense.weight.scales")
        assert json.loads(f.metadata()["quantized"])[0].startswith("encoder.layer.0")
    assert packed.dtype == np.uint8 and packed.shape == (384, 768) and scales.shape == (384, 48)
    sqnr = [float(row[2]) for row in _table_rows(result.stdout)]
    assert 17 < min(sqnr) and max(sqnr) < 23, f"INT4 g32 SQNR out of the expected ~19-20 dB: {sqnr}"


def _expect_error(result, *words):
    assert result.returncode == 2, f"exit {result.returncode}, stderr: {result.stderr}"
    message = result.stderr.lower()
    assert message.startswith("error:") and all(w in message for w in words), result.stderr
    assert "traceback" not in message, result.stderr


def test_missing_folder(tmp_path):
    _expect_error(quantize(tmp_path / "nope", "--bits", 8, "--out", tmp_path / "o"), "not a folder")


def test_folder_without_safetensors(tmp_path):
    (tmp_path / "pytorch_model.bin").write_bytes(b"\0")
    _expect_error(quantize(tmp_path, "--bits", 8, "--out", tmp_path / "o"), "no *.safetensors", "convert")


def test_unsupported_dtype(tmp_path):
    save_file({"layer.weight": np.ones((4, 8), np.int8)}, str(tmp_path / "model.safetensors"))
    _expect_error(quantize(tmp_path, "--bits", 8, "--out", tmp_path / "o"), "layer.weight", "dtype", "already quantized")


@pytest.mark.parametrize("bits, group, words", [(8, 100, ("does not divide", "384")), (4, 33, ("even",))])
def test_group_not_fitting(tmp_path, bits, group, words):
    _expect_error(quantize(minilm_dir(), "--bits", bits, "--group", group, "--out", tmp_path / "o"), *words)


def test_non_empty_output_needs_force(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    _expect_error(quantize(minilm_dir(), "--bits", 8, "--out", out), "not empty", "--force")
