"""aigc_bench.code_embedder (MiniLM fine-tuned for code search) and `--embedder`: a
real, tiny tune (a few steps on pairs of two installed packages) saved to disk,
loaded back, used by the code QA system; an index refuses another model's vectors.
The full tune and its measured gain are in the RAG benchmark (docs/week05_06.md)."""

import json
from dataclasses import replace

import numpy as np
import pytest

from aigc_bench import code_embedder
from aigc_bench.cli import main
from aigc_bench.models import MiniLMEmbedder
from aigc_bench.rag_system import CodeQA

TINY = code_embedder.Recipe(packages=("requests", "httpx"), pairs_per_package=16, steps=3, batch_size=8, max_seq_length=64)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return code_embedder.tune(TINY, out=tmp_path_factory.mktemp("models") / "tiny-code")


def test_tune_saves_a_loadable_model_with_its_record(tiny_model):
    record = code_embedder.tuning_record(tiny_model)
    assert record["recipe"]["steps"] == 3 and len(record["losses"]) == 3, record
    assert set(record["pairs_per_package"]) == {"requests", "httpx"}, record["pairs_per_package"]
    assert all(np.isfinite(record["losses"])), record["losses"]
    assert not tiny_model.with_name(tiny_model.name + ".partial").exists(), "the unfinished folder was left behind"
    vectors = MiniLMEmbedder(model_dir=tiny_model).embed(["open a session", "def get(url): return request('GET', url)"])
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    base = MiniLMEmbedder().embed(["open a session"])
    assert not np.allclose(vectors[0], base[0], atol=1e-4), "the tuned weights equal the base model's: training changed nothing"


def test_recipe_key_follows_what_the_weights_depend_on():
    recipe = code_embedder.Recipe()
    assert recipe.key() == replace(recipe, exclude=("jinja2",)).key(), "excluding a package that is not trained on must not change the model"
    assert recipe.key() != replace(recipe, exclude=("numpy",)).key()
    assert recipe.key() != replace(recipe, steps=recipe.steps + 1).key()
    assert "numpy" not in replace(recipe, exclude=("NumPy",)).trained_on


def test_too_few_pairs_is_a_clear_error():
    with pytest.raises(ValueError, match="training pairs"):
        code_embedder.training_pairs(replace(TINY, packages=("no_such_package_here",)))


def test_index_refuses_another_embedders_vectors(tiny_model, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "area.py").write_text("def circle_area(r):\n    return 3.14159 * r * r\n")
    index_dir = tmp_path / "index"
    tuned = CodeQA(repo, index_dir=index_dir, model_dir=tiny_model)
    assert tuned.index()["chunks_embedded"] >= 1
    assert json.loads((index_dir / "embedder.json").read_text())["embedder"] == "tiny-code"
    assert tuned.search("area of a circle", k=1, mode="dense")[0][0].symbol == "circle_area"
    with pytest.raises(ValueError, match="built with the embedder 'tiny-code', not 'all-MiniLM-L6-v2'"):
        CodeQA(repo, index_dir=index_dir).search("area of a circle", mode="dense")


def test_embedder_option_errors_name_the_problem(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AIGC_BENCH_CACHE", str(tmp_path / "cache"))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.py").write_text("x = 1\n")
    assert main(["index", str(repo), "--embedder", "code", "--quiet"]) == 2
    assert "run `aigc-bench tune-embedder` first" in capsys.readouterr().err
    assert main(["index", str(repo), "--embedder", str(tmp_path), "--quiet"]) == 2
    assert "not a sentence-transformers model folder" in capsys.readouterr().err
    assert main(["tune-embedder", "--steps", "0"]) == 2
    assert "--steps must be >= 1" in capsys.readouterr().err
