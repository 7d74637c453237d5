"""`pytest -k weekN` and `--week N` select exactly week N, for every N from 1 to 12.

`week1` is a substring of `week10`..`week12`, so plain keyword matching would
select weeks 10-12 for `-k week1`; the plugin rewrites `weekN` in -k to the
exact keyword `weekN_`. Proved on a throwaway tree laid out like suites/: one
test per folder, folders spanning two weeks like the real ones, and one
folder declaring extra weeks in its __init__.py.
"""

import re

import pytest

from aigc_bench import registry

# folder -> the weeks it must answer to (mirrors the real layout)
TREE = {
    "week01_02_fundamentals": (1, 2),
    "week03_chromadb": (3,),
    "week03_openai_api": (3,),
    "week04_vector_search": (4,),
    "week05_06_rag": (5, 6),
    "week07_prompting": (7,),
    "week08_loadtest": (8,),
    "week09_10_engine": (9, 10),
    "week09_10_quantization": (8, 9, 10),  # declares WEEKS = (8, 9, 10)
    "week11_simd": (11,),
    "week12_inference": (12,),
}


@pytest.fixture
def tree(pytester):
    pytester.makeini("[pytest]\n")
    # laid out like suites/, under another package name: the real `suites` package
    # is already imported in this process
    pytester.mkpydir("throwaway_suites")
    for folder in TREE:
        path = pytester.mkpydir(f"throwaway_suites/{folder}")
        if folder == "week09_10_quantization":
            (path / "__init__.py").write_text("WEEKS = (8, 9, 10)\n")
        (path / f"test_{folder}.py").write_text(f"def test_in_{folder}():\n    pass\n")
    return pytester


def selected(result) -> set[str]:
    return set(re.findall(r"test_in_(\w+)", result.stdout.str()))


@pytest.mark.parametrize("week", range(1, 13))
def test_k_week_selects_exactly_that_week(tree, week):
    expected = {f for f, weeks in TREE.items() if week in weeks}
    result = tree.runpytest("-k", f"week{week}", "--co", "-q", "--no-record")
    assert selected(result) == expected, result.stdout.str()


@pytest.mark.parametrize("week", range(1, 13))
def test_week_option_selects_exactly_that_week(tree, week):
    expected = {f for f, weeks in TREE.items() if week in weeks}
    result = tree.runpytest("--week", str(week), "--co", "-q", "--no-record")
    assert selected(result) == expected, result.stdout.str()


def test_k_expressions_combine(tree):
    result = tree.runpytest("-k", "week1 or week11", "--co", "-q", "--no-record")
    assert selected(result) == {"week01_02_fundamentals", "week11_simd"}
    result = tree.runpytest("-k", "week9 and not quantization", "--co", "-q", "--no-record")
    assert selected(result) == {"week09_10_engine"}


def test_real_suite_folders_follow_the_naming_rule():
    folders = registry.suite_folders()
    assert folders, "no suite folders found"
    for folder in registry.SUITES_DIR.iterdir():
        if folder.is_dir() and not folder.name.startswith(("_", ".")):
            assert registry.weeks_of_folder(folder.name), f"{folder.name} does not follow weekNN[_MM]_topic"
    covered = {w for f in folders for w in registry.suite_weeks(f)}
    assert covered <= set(range(1, 13))
