"""aigc_bench.native decides whether a built kernel module is current by source_hash(family):
it must change when anything the family is compiled from changes, including a shared header
in native/ that the family's .c includes (native/simd_common.h). Each test works on copies
in a temporary folder (NATIVE_DIR monkeypatched), never on the real files."""

import shutil

import pytest

from aigc_bench import native

REAL_NATIVE_DIR = native.NATIVE_DIR


@pytest.fixture
def native_copy(tmp_path, monkeypatch):
    """A copy of native/ that source_hash and friends read instead of the real one."""
    for path in REAL_NATIVE_DIR.iterdir():
        if path.suffix in (".c", ".h"):
            shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(native, "NATIVE_DIR", tmp_path)
    return tmp_path


def test_the_shared_header_is_not_a_family_and_the_families_include_it():
    assert (REAL_NATIVE_DIR / "simd_common.h").is_file()
    assert "simd_common" not in native.families()
    users = [f for f in native.families() if REAL_NATIVE_DIR / "simd_common.h" in native.included_headers(f)]
    assert {"gemm", "int8", "attention"} <= set(users)


def test_editing_an_included_shared_header_changes_the_hash(native_copy):
    before = {f: native.source_hash(f) for f in native.families()}
    header = native_copy / "simd_common.h"
    header.write_text(header.read_text() + "\n/* an edit */\n")
    after = {f: native.source_hash(f) for f in native.families()}
    for family in before:
        includes = native_copy / "simd_common.h" in native.included_headers(family)
        assert (after[family] != before[family]) == includes, family
    assert after["gemm"] != before["gemm"]


def test_a_header_the_family_does_not_include_leaves_the_hash_alone(native_copy):
    before = native.source_hash("gemm")
    (native_copy / "unrelated.h").write_text("static inline int unrelated(void) { return 1; }\n")
    (native_copy / "int8.h").write_text((native_copy / "int8.h").read_text() + "\n/* another family's header */\n")
    assert native.source_hash("gemm") == before


def test_headers_included_by_an_included_header_count_too(native_copy):
    (native_copy / "inner.h").write_text("#define INNER 1\n")
    shared = native_copy / "simd_common.h"
    shared.write_text(shared.read_text().replace("#include <immintrin.h>", '#include <immintrin.h>\n#include "inner.h"'))
    assert [p.name for p in native.included_headers("gemm")] == ["simd_common.h", "inner.h"]
    before = native.source_hash("gemm")
    (native_copy / "inner.h").write_text("#define INNER 2\n")
    assert native.source_hash("gemm") != before


def test_a_commented_out_include_or_one_not_in_native_is_not_hashed(native_copy):
    c_file = native_copy / "gemm.c"
    c_file.write_text('// #include "unrelated.h"\n#include "missing_elsewhere.h"\n' + c_file.read_text())
    (native_copy / "unrelated.h").write_text("/* not included */\n")
    assert [p.name for p in native.included_headers("gemm")] == ["simd_common.h"]
