"""Building and loading the C kernels in `native/` through cffi.

Each kernel family is a pair of files:

  native/<family>.h   the exported prototypes, plain C that cffi's cdef can parse;
  native/<family>.c   the kernels; a line `// build: <compiler flags>` gives its flags
                      (e.g. `-O3 -mavx2 -mfma`), and its header comment says what it
                      computes.

A header in native/ with no .c beside it (native/simd_common.h: helpers several families
share) is not a family; a family's .c includes it with `#include "<name>.h"`, and it is
part of that family's source for source_hash (see included_headers).

`pip install` builds every family into `aigc_bench/_native/` (setup.py calls
`builder(family)`). At run time `load(family)` uses that module when it was built
from the current source, and otherwise compiles the source into a cache folder
(`$AIGC_BENCH_CACHE` or ~/.cache/aigc-bench), so that editing a kernel needs no
reinstall. A compile error is reported with the compiler's output.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from . import machine
from .contract import PROJECT_ROOT, cache_root

NATIVE_DIR = PROJECT_ROOT / "native"
_FLAGS = re.compile(r"^//\s*build:\s*(.*)$", re.M)
_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.M)


class NativeBuildError(RuntimeError):
    pass


def families() -> list[str]:
    return sorted(p.stem for p in NATIVE_DIR.glob("*.c") if (NATIVE_DIR / f"{p.stem}.h").exists())


def _sources(family: str) -> tuple[str, str]:
    c_file, h_file = NATIVE_DIR / f"{family}.c", NATIVE_DIR / f"{family}.h"
    if not c_file.exists() or not h_file.exists():
        raise NativeBuildError(f"native kernel family {family!r} needs {c_file} and {h_file}")
    return c_file.read_text(), h_file.read_text()


def included_headers(family: str) -> list[Path]:
    """The files in native/ that native/<family>.c includes with `#include "..."`, and those
    they include in turn, in the order first met (the family's own .h, hashed anyway, and
    names that are not files in native/ are left out)."""
    found: list[Path] = []
    pending = [NATIVE_DIR / f"{family}.c"]
    while pending:
        for name in _INCLUDE.findall(pending.pop(0).read_text()):
            path = NATIVE_DIR / name
            if name != f"{family}.h" and path.is_file() and path not in found:
                found.append(path)
                pending.append(path)
    return found


def source_hash(family: str) -> str:
    """A digest of everything the family is compiled from: <family>.c, <family>.h and the
    native/ headers the .c includes, so that editing a shared header rebuilds its users."""
    c_src, h_src = _sources(family)
    parts = [c_src, h_src] + [f"{path.name}\n{path.read_text()}" for path in included_headers(family)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def builder(family: str, module_name: str | None = None):
    """The cffi FFI builder for a family (used by setup.py and by the run-time build)."""
    import cffi

    c_src, h_src = _sources(family)
    digest = source_hash(family)
    flags = _FLAGS.search(c_src)
    extra = flags.group(1).split() if flags else ["-O3"]
    ffi = cffi.FFI()
    ffi.cdef(h_src + "\nconst char *aigc_source_hash(void);\n")
    ffi.set_source(
        module_name or f"aigc_bench._native._{family}",
        f'#include "{family}.h"\n{c_src}\nconst char *aigc_source_hash(void) {{ return "{digest}"; }}\n',
        include_dirs=[str(NATIVE_DIR)],
        extra_compile_args=extra + ["-std=c11", "-Wall", "-Wno-unused-function"],
    )
    return ffi


def _import_file(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@lru_cache(maxsize=None)
def load(family: str):
    """(ffi, lib) for a kernel family, built from the current source."""
    digest = source_hash(family)
    try:
        module = importlib.import_module(f"aigc_bench._native._{family}")
        if module.ffi.string(module.lib.aigc_source_hash()).decode() == digest:
            return module.ffi, module.lib
    except ImportError:
        pass
    name = f"_aigc_{family}_{digest}"
    target_dir = cache_root() / "native" / name
    built = sorted(target_dir.glob(f"{name}*.so")) if target_dir.exists() else []
    if not built:
        target_dir.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=target_dir.parent))
        try:
            ffi = builder(family, name)
            try:
                so = Path(ffi.compile(tmpdir=str(work), verbose=False))
            except Exception as exc:  # cffi raises VerificationError with the compiler's output
                raise NativeBuildError(f"building native/{family}.c failed:\n{exc}") from exc
            final_dir = work / "out"
            final_dir.mkdir()
            shutil.move(str(so), final_dir / so.name)
            try:
                os.rename(final_dir, target_dir)  # atomic: concurrent builders race harmlessly
            except OSError:
                pass
        finally:
            shutil.rmtree(work, ignore_errors=True)
        built = sorted(target_dir.glob(f"{name}*.so"))
    module = _import_file(name, built[0])
    return module.ffi, module.lib


def unavailable_reason(*flags: str) -> str | None:
    """Why kernels needing these CPU features cannot run here (None when they can)."""
    missing = [f for f in flags if not machine.has_flags(f)]
    if missing:
        return f"this CPU lacks {', '.join(missing)} ({machine.cpu_model()})"
    if shutil.which(os.environ.get("CC", "cc")) is None and not _prebuilt_any():
        return "no C compiler found to build native/ (install gcc)"
    return None


def _prebuilt_any() -> bool:
    return importlib.util.find_spec("aigc_bench._native") is not None


def as_pointer(ffi, array, ctype: str = "float *"):
    """A C pointer to a NumPy array's data (the array must stay alive during the call)."""
    return ffi.cast(ctype, ffi.from_buffer(array, require_writable=False))
