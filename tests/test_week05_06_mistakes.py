"""Each catalogued weeks 5-6 mistake fails the suite with a message naming its symptom
(the issue's broken learner pieces: a chunker dropping the last line, BM25 without
length normalisation, hybrid fusion ignoring one list, citations with wrong lines)."""

import subprocess
import sys
from pathlib import Path

import pytest

from aigc_bench import registry

ROOT = Path(__file__).resolve().parents[1]
SUITE = "suites/week05_06_rag"

# mistake slug -> (test that must fail, words its failure message must contain)
SYMPTOMS = {
    "chunk_fixed_drops_last_line": ("test_chunkers.py::test_fixed_keeps_the_last_line", "drops the last line"),
    "bm25_without_length_normalisation": ("test_retrievers.py::test_bm25_normalises_document_length", "without document length normalisation"),
    "rrf_ignores_second_list": ("test_retrievers.py::test_hybrid_fusion_uses_every_list", "ignores one list"),
    "cite_zero_based": ("test_generation.py::test_citations_point_at_the_snippet_lines", "wrong line numbers"),
    "compress_keeps_old_span": ("test_generation.py::test_compressed_context_fits_and_cites_truly", "wrong line numbers"),
}


def test_every_catalogued_mistake_has_a_symptom_check():
    slugs = {m.slug for s in registry.skills().values() if s.source.startswith(SUITE) for m in s.mistakes}
    assert slugs == set(SYMPTOMS), f"catalogued {sorted(slugs)}; symptom checks for {sorted(SYMPTOMS)}"


@pytest.fixture(scope="module")
def mistake_outcomes(tmp_path_factory):
    """{slug: (outcome, message)} from the run record of the suite run against the mistakes."""
    from aigc_bench import records

    record_dir = tmp_path_factory.mktemp("records")
    nodeids = [f"{SUITE}/{test}[mistake:{slug}]" for slug, (test, _) in SYMPTOMS.items()]
    subprocess.run([sys.executable, "-m", "pytest", *nodeids, "--impl", "mistakes", "-q", "-p", "no:cacheprovider", "--record-dir", str(record_dir)],
                   cwd=ROOT, capture_output=True, text=True, timeout=600)
    (found,) = records.find([record_dir])
    outcomes = {}
    for test in records.load(found)["tests"]:
        slug = test["nodeid"].rsplit("[mistake:", 1)[-1].rstrip("]")
        outcomes[slug] = (test["outcome"], test["message"])
    return outcomes


@pytest.mark.parametrize("slug", sorted(SYMPTOMS))
def test_mistake_fails_naming_its_symptom(mistake_outcomes, slug):
    test, words = SYMPTOMS[slug]
    assert slug in mistake_outcomes, f"{test} did not run for the mistake {slug}"
    outcome, message = mistake_outcomes[slug]
    assert outcome == "failed", f"{test} {outcome} with the mistake {slug}: it must fail"
    assert words in message, f"{test} failed for {slug} without naming the symptom {words!r}:\n{message[-1500:]}"
