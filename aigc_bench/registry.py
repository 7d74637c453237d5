"""Finds skills and the implementations behind them.

Skills come from `suites/<week folder>/contract.py` (and catalogued mistakes
from `suites/<week folder>/mistakes.py`). Implementations come from four
places, all found the same way, a module per skill named after it:

- bundled backends: `impls/<backend>/<skill>.py`;
- learner folders given with `--learner PATH` (or `AIGC_BENCH_LEARNERS`):
  `PATH/<skill>.py`, the backend named after the folder;
- installed packages registering an entry point in the group
  `aigc_bench.implementations` (`name = "package"`, `package.<skill>`);
- catalogued mistakes (`--impl mistakes`): the NumPy reference with one
  function replaced by a known-broken one; used to measure each suite's
  mutation score.

A backend that cannot be used here (no AVX2, numba missing) says why, and
its tests skip with that reason. A learner module that fails to import fails
only its own skill's tests, with the file and line.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import importlib.metadata
import importlib.util
import re
import sys
import traceback
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .contract import PROJECT_ROOT, Mistake, Skill

SUITES_DIR = PROJECT_ROOT / "suites"
IMPLS_DIR = PROJECT_ROOT / "impls"
ENTRY_POINT_GROUP = "aigc_bench.implementations"
WEEK_FOLDER = re.compile(r"^week(\d+)(?:_(\d+))?_[a-z0-9_]+$")
REFERENCE_BACKEND = "numpy"


def weeks_of_folder(name: str) -> tuple[int, ...]:
    """`week01_02_fundamentals` -> (1, 2); `week11_simd` -> (11,); other -> ()."""
    m = WEEK_FOLDER.match(name)
    if not m:
        return ()
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else first
    return tuple(range(first, last + 1))


_WEEKS_LINE = re.compile(r"^WEEKS\s*=\s*(\(.*\))\s*$", re.M)


@functools.lru_cache(maxsize=None)
def suite_weeks(folder: Path) -> tuple[int, ...]:
    """The weeks a suite folder answers to: from its name, or from a line
    `WEEKS = (8, 9, 10)` in its __init__.py when it spans more (quantization is
    week 8's mini project and weeks 9-10's engine work)."""
    named = weeks_of_folder(folder.name)
    init = folder / "__init__.py"
    if named and init.exists():
        m = _WEEKS_LINE.search(init.read_text())
        if m:
            return tuple(int(w) for w in ast.literal_eval(m.group(1)))
    return named


def suite_folders() -> list[Path]:
    return sorted(p for p in SUITES_DIR.iterdir() if p.is_dir() and weeks_of_folder(p.name))


@functools.lru_cache(maxsize=None)
def skills() -> dict[str, Skill]:
    """Every skill declared by a suite's contract.py, by name."""
    found: dict[str, Skill] = {}
    for folder in suite_folders():
        package = f"suites.{folder.name}"
        if not (folder / "contract.py").exists():
            continue
        module = importlib.import_module(f"{package}.contract")
        for value in vars(module).values():
            if isinstance(value, Skill):
                if value.name in found and found[value.name] is not value:
                    raise RuntimeError(f"skill {value.name!r} is declared twice")
                found[value.name] = value
        if (folder / "mistakes.py").exists():
            importlib.import_module(f"{package}.mistakes")
    return found


# --------------------------------------------------------------------------- backends


@dataclass(frozen=True)
class Backend:
    """A source of implementations: a bundled backend, a learner, an installed package."""

    name: str
    kind: str  # "bundled" | "learner" | "installed" | "mistake"
    package: str  # import prefix; the skill module is f"{package}.{skill}"
    folder: Path | None = None  # where the modules live (learners, bundled)
    built_on: str | None = None  # "torch" for a backend honestly written in PyTorch
    only_skill: str | None = None  # a mistake backend stands in for one skill only

    def unavailable_reason(self) -> str | None:
        """Why this backend cannot run on this machine, or None."""
        if self.kind != "bundled":
            return None
        try:
            package = importlib.import_module(self.package)
        except ImportError as exc:  # e.g. numba not installed
            return f"{self.name} backend cannot be imported: {exc}"
        check = getattr(package, "unavailable_reason", None)
        return check() if check else None

    def provides(self, skill: str) -> bool:
        if self.only_skill is not None:
            return skill == self.only_skill
        if self.kind == "learner":
            return True  # a learner is expected to implement every skill
        if self.folder is not None:
            return (self.folder / f"{skill}.py").exists() or (self.folder / skill).is_dir()
        return importlib.util.find_spec(f"{self.package}.{skill}") is not None


def bundled_backends() -> list[Backend]:
    backends = []
    for folder in sorted(p for p in IMPLS_DIR.iterdir() if (p / "__init__.py").exists()):
        init = (folder / "__init__.py").read_text()
        built_on = "torch" if re.search(r'^BUILT_ON\s*=\s*["\']torch["\']', init, re.M) else None
        backends.append(Backend(folder.name, "bundled", f"impls.{folder.name}", folder, built_on))
    return backends


def learner_backend(path: str | Path) -> Backend:
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"learner folder {path} does not exist")
    name = re.sub(r"\W", "_", folder.name)
    # the folder's path in the package name: two learners both called "alice" never share modules
    package = f"aigc_learners.{name}_{hashlib.sha1(str(folder).encode()).hexdigest()[:8]}"
    _ensure_namespace(package, folder)
    return Backend(name, "learner", package, folder)


def installed_backends() -> list[Backend]:
    found = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.append(Backend(ep.name, "installed", ep.value))
    return found


def mistake_backend(mistake: Mistake) -> Backend:
    return Backend(
        f"mistake:{mistake.slug}", "mistake", f"impls.{REFERENCE_BACKEND}", only_skill=mistake.skill
    )


def _ensure_namespace(package: str, folder: Path) -> None:
    """Make `aigc_learners.<name>` an importable package rooted at the learner's folder,
    so that learner modules can import each other with relative imports."""
    if "aigc_learners" not in sys.modules:
        root = types.ModuleType("aigc_learners")
        root.__path__ = []  # type: ignore[attr-defined]
        sys.modules["aigc_learners"] = root
    if package not in sys.modules:
        module = types.ModuleType(package)
        module.__path__ = [str(folder)]  # type: ignore[attr-defined]
        sys.modules[package] = module


# --------------------------------------------------------------------------- loading


class ImplementationBroken(BaseException):
    """The implementation's module could not be imported (syntax error, crash at import).

    A BaseException, like NotImplementedYet: hypothesis then stops at the first
    example instead of shrinking a failure that no input can change."""


def describe_import_error(exc: BaseException, folder: Path | None) -> str:
    """'alice/attention.py:12: SyntaxError: invalid syntax' -- the learner's own file and line."""
    if isinstance(exc, SyntaxError):
        return f"{exc.filename}:{exc.lineno}: SyntaxError: {exc.msg}"
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if folder is None or str(folder) in f.filename] or frames
    where = f"{own[-1].filename}:{own[-1].lineno}: " if own else ""
    return f"{where}{type(exc).__name__}: {exc}"


def load_module(backend: Backend, skill: str) -> types.ModuleType:
    """Import `<backend>.<skill>`; raise ImplementationBroken naming the file and line."""
    name = f"{backend.package}.{skill}"
    if backend.kind == "learner" and backend.folder is not None:
        _ensure_namespace(backend.package, backend.folder)  # e.g. in an isolated worker process
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            where = backend.folder / f"{skill}.py" if backend.folder else name
            raise ImplementationBroken(f"no module for skill {skill!r}: create {where}") from None
        raise ImplementationBroken(describe_import_error(exc, backend.folder)) from exc
    except Exception as exc:  # SyntaxError, NameError at import, ...
        raise ImplementationBroken(describe_import_error(exc, backend.folder)) from exc


def available_backends(learners: Iterable[str | Path] = ()) -> list[Backend]:
    return bundled_backends() + installed_backends() + [learner_backend(p) for p in learners]


def select(backends: list[Backend], wanted: list[str]) -> list[Backend]:
    """Keep the backends named in `wanted` ("numpy", "alice", "mistakes" for every
    catalogued mistake); an empty list keeps all but the mistakes."""
    chosen = [b for b in backends if not wanted or b.name in wanted]
    if "mistakes" in wanted:
        chosen += [mistake_backend(m) for s in skills().values() for m in s.mistakes]
    unknown = set(wanted) - {b.name for b in backends} - {"mistakes"}
    if unknown:
        names = ", ".join(sorted(b.name for b in backends))
        raise ValueError(f"unknown implementation(s) {', '.join(sorted(unknown))}; available: {names}, mistakes")
    return chosen


def mistake_by_slug(slug: str, skill: str) -> Mistake:
    """The catalogued mistake `slug` of `skill` (two skills may catalogue mistakes of one name)."""
    for m in skills()[skill].mistakes:
        if m.slug == slug:
            return m
    raise KeyError(f"{skill} catalogues no mistake {slug!r}")


def resolve_function(backend: Backend, skill: Skill, function: str) -> Callable | None:
    """The backend's function, or None when its module does not define it."""
    module = load_module(backend, skill.name)
    if backend.kind == "mistake":
        mistake = mistake_by_slug(backend.name.split(":", 1)[1], backend.only_skill)
        if mistake.skill == skill.name and mistake.function == function:
            return mistake.fn
    return getattr(module, function, None)
