"""The pytest plugin: chooses implementations, selects weeks, writes the run record.

Loaded by the project's root conftest.py. Options (group "aigc-bench"):

  --impl NAME[,NAME]   implementations to run (env AIGC_BENCH_IMPL); default: every
                       available bundled and installed one, or only the learners
                       when --learner is given. "mistakes" runs the catalogue of
                       common mistakes (each suite must fail every one of them).
  --learner PATH       a learner's folder (repeatable; env AIGC_BENCH_LEARNERS,
                       os.pathsep-separated)
  --week N             only week N's checkpoint (repeatable); `-k weekN` does the same
  --bench              also run benchmarks (marker `bench`)
  --slow               also run slow exactness tests (marker `slow`)
  --isolate MODE       learners (default), all or none: run implementations in worker
                       processes; --time-limit S and --memory-limit GIB bound each call
  --record-dir DIR     where run records go (default reports/runs); --no-record

Week selection: suites live in `suites/weekNN[_MM]_topic/`; every test there gets
the keyword `weekN_` for each of its weeks, and `-k` expressions are rewritten so
that `weekN` means exactly week N (so `-k week1` does not pick week 10-12).

Hooks for a conftest.py to override: `pytest_aigc_bench_record(entry)` sees (and
may change) each test's record entry before it is written.
"""

from __future__ import annotations

import os
import random
import re
import sys
import time
from pathlib import Path

import pytest

from . import isolation, machine, records, registry, session
from .implementation import Implementation

RECORD_DIR = Path("reports") / "runs"
_WEEK_IN_K = re.compile(r"\bweek(\d+)\b", re.I)


class Hooks:
    def pytest_aigc_bench_record(self, entry: dict) -> None:
        """Called with each test's record entry before it is written; may modify it."""


def pytest_addhooks(pluginmanager):
    pluginmanager.add_hookspecs(Hooks)


def pytest_addoption(parser):
    group = parser.getgroup("aigc-bench", "aigc-bench: implementations, weeks and run records")
    group.addoption("--impl", action="append", default=[], metavar="NAME[,NAME]", help="implementations to run (env AIGC_BENCH_IMPL); 'mistakes' runs the catalogue of common mistakes")
    group.addoption("--learner", action="append", default=[], metavar="PATH", help="a learner's folder of skill modules (repeatable; env AIGC_BENCH_LEARNERS)")
    group.addoption("--week", action="append", default=[], type=int, metavar="N", help="only week N's checkpoint (repeatable)")
    group.addoption("--bench", action="store_true", help="also run benchmarks (marker bench)")
    group.addoption("--slow", action="store_true", help="also run slow exactness tests (marker slow)")
    group.addoption("--mutation", action="store_true", help="also run the mutation-score tests (marker mutation): every catalogued mistake must fail its suite")
    group.addoption("--isolate", choices=["none", "learners", "all"], default=os.environ.get("AIGC_BENCH_ISOLATE", "learners"), help="run implementations in worker processes with time/memory limits: none, learners (default), or all but the NumPy reference")
    group.addoption("--time-limit", type=float, default=60.0, metavar="SECONDS", help="per call, for isolated implementations (default 60)")
    group.addoption("--memory-limit", type=float, default=8.0, metavar="GIB", help="address space of an isolated implementation's worker (default 8 GiB)")
    group.addoption("--record-dir", default=None, metavar="DIR", help="where run records are written (default: reports/runs in the aigc-bench project)")
    group.addoption("--no-record", action="store_true", help="do not write a run record")


# --------------------------------------------------------------------------- configuration


def _split(values) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def _record_dir(config) -> Path | None:
    """--record-dir, or reports/runs when running in the aigc-bench project itself
    (the plugin is installed for every pytest run; elsewhere it writes nothing unasked)."""
    explicit = config.getoption("record_dir")
    if explicit:
        return Path(explicit)
    root = Path(str(config.rootpath))
    return root / RECORD_DIR if (root / "suites").is_dir() and (root / "aigc_bench").is_dir() else None


def _expand_learners(paths: list[str]) -> list[str]:
    """`learners/*` means every learner folder there (tox's `learners` environment uses it)."""
    expanded = []
    for p in paths:
        if any(c in p for c in "*?["):
            expanded += sorted(str(m) for m in Path().glob(p) if m.is_dir() and not m.name.startswith((".", "_")))
        else:
            expanded.append(p)
    return expanded


def _only_mistakes(config) -> bool:
    backends = config._aigc_backends
    return bool(backends) and all(b.kind == "mistake" for b in backends)


def pytest_configure(config):
    # -k weekN means exactly week N (see the module docstring).
    if config.option.keyword:
        config.option.keyword = _WEEK_IN_K.sub(lambda m: f"week{int(m.group(1))}_", config.option.keyword)
    # --bench overrides the --benchmark-skip in the project's addopts (pytest-benchmark
    # reads the option when its session is made, which may be before or after this hook).
    if config.getoption("bench") and hasattr(config.option, "benchmark_skip"):
        config.option.benchmark_skip = False
        if getattr(config, "_benchmarksession", None) is not None:
            config._benchmarksession.skip = False

    learners = _expand_learners(list(config.getoption("learner")) or [p for p in os.environ.get("AIGC_BENCH_LEARNERS", "").split(os.pathsep) if p])
    wanted = _split(config.getoption("impl")) or _split([os.environ.get("AIGC_BENCH_IMPL", "")])
    backends = registry.available_backends(learners)
    if learners and not wanted:
        wanted = [registry.learner_backend(p).name for p in learners]
    try:
        config._aigc_backends = registry.select(backends, wanted)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    config._aigc_unavailable = {b.name: b.unavailable_reason() for b in config._aigc_backends}

    # One seed for the run: hypothesis's and our own generators'; printed in the header.
    seed = config.getoption("hypothesis_seed", None)
    if _is_worker(config):
        seed = config.workerinput.get("aigc_seed", seed)
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    session.seed = int(seed)
    from hypothesis import HealthCheck, Phase, core, settings

    core.global_force_seed = session.seed
    # `impl` is function-scoped and deliberately shared by a test's examples.
    settings.register_profile(
        "aigc-bench",
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    settings.load_profile("aigc-bench")
    if _only_mistakes(config):
        # Mutation runs only ask "is each catalogued mistake caught?": no shrinking.
        settings.register_profile("aigc-bench-mistakes", parent=settings.get_profile("aigc-bench"), phases=[Phase.explicit, Phase.reuse, Phase.generate], max_examples=25)
        settings.load_profile("aigc-bench-mistakes")

    config._aigc_record = None
    if _is_worker(config):
        journal = config.workerinput.get("aigc_journal")
        config._aigc_journal = Path(journal) if journal else None
    elif _record_dir(config) and not (config.getoption("no_record") or config.option.collectonly):
        header = {
            "machine": machine.describe(),
            "versions": machine.versions(),
            "implementations": [
                {"name": b.name, "kind": b.kind, "built_on": b.built_on, "unavailable": config._aigc_unavailable[b.name]}
                for b in config._aigc_backends
            ],
            "seed": session.seed,
            "argv": sys.argv[1:],
            "cwd": os.getcwd(),
        }
        config._aigc_record = records.RunWriter(_record_dir(config), header)
        config._aigc_journal = config._aigc_record.journal
    else:
        config._aigc_journal = None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):  # xdist: hand the workers the seed and the journal
    node.workerinput["aigc_seed"] = session.seed
    journal = node.config._aigc_journal
    node.workerinput["aigc_journal"] = str(journal) if journal else None


def pytest_report_header(config):
    lines = []
    for b in config._aigc_backends:
        reason = config._aigc_unavailable.get(b.name)
        status = f"unavailable: {reason}" if reason else "available"
        where = f" ({b.folder})" if b.kind == "learner" else ""
        built = ", built on torch" if b.built_on else ""
        if b.kind != "mistake":
            lines.append(f"  {b.name} [{b.kind}{built}]{where}: {status}")
    mistakes = sum(b.kind == "mistake" for b in config._aigc_backends)
    if mistakes:
        lines.append(f"  + {mistakes} catalogued mistakes (each must fail)")
    head = [f"aigc-bench: seed {session.seed} (replay with --hypothesis-seed={session.seed}); implementations under test:"]
    if config._aigc_record:
        lines.append(f"  run record: {config._aigc_record.journal}")
    return head + lines


# --------------------------------------------------------------------------- collection


def _skill_of(node) -> str | None:
    marker = node.get_closest_marker("skill") if hasattr(node, "get_closest_marker") else None
    if marker:
        return marker.args[0]
    module = getattr(node, "module", None)
    return getattr(module, "SKILL", None)


def _weeks_of(path: Path) -> tuple[int, ...]:
    for folder in path.parents:
        if registry.weeks_of_folder(folder.name):
            return registry.suite_weeks(folder)
    return ()


def pytest_generate_tests(metafunc):
    if "impl" not in metafunc.fixturenames:
        return
    name = _skill_of(metafunc.definition) or getattr(metafunc.module, "SKILL", None)
    if name is None:
        raise pytest.UsageError(f"{metafunc.definition.nodeid} uses `impl` but names no skill (SKILL = ... or @pytest.mark.skill)")
    skill = registry.skills().get(name)
    if skill is None:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: unknown skill {name!r}")
    backends = [b for b in metafunc.config._aigc_backends if b.provides(name)]
    if not backends:
        chosen = ", ".join(b.name for b in metafunc.config._aigc_backends) or "none"
        metafunc.parametrize("impl", [pytest.param(None, marks=pytest.mark.skip(reason=f"no implementation of {name} among those selected ({chosen})"))], ids=["none"], indirect=True)
        return
    metafunc.parametrize("impl", [(b, skill) for b in backends], ids=[b.name for b in backends], indirect=True)


def pytest_itemcollected(item):
    weeks = _weeks_of(Path(str(item.path)))
    for week in weeks:
        item.extra_keyword_matches.add(f"week{week}_")
        item.add_marker(pytest.mark.week(week))
    item.stash[_WEEKS] = weeks


_WEEKS = pytest.StashKey[tuple]()


def pytest_collection_modifyitems(config, items):
    weeks = set(config.getoption("week"))
    if weeks:
        kept = [i for i in items if weeks & set(i.stash.get(_WEEKS, ()))]
        dropped = [i for i in items if i not in kept]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
    if _only_mistakes(config):  # a mutation run: only tests that judge an implementation
        judged = [i for i in items if "impl" in getattr(i, "fixturenames", ())]
        config.hook.pytest_deselected(items=[i for i in items if i not in judged])
        items[:] = judged
    for item in items:
        if "bench" in item.keywords and not config.getoption("bench"):
            item.add_marker(pytest.mark.skip(reason="benchmark: run with --bench"))
        if "slow" in item.keywords and not config.getoption("slow"):
            item.add_marker(pytest.mark.skip(reason="slow: run with --slow"))
        if "mutation" in item.keywords and not config.getoption("mutation"):
            item.add_marker(pytest.mark.skip(reason="mutation score: run with --mutation"))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def impl(request):
    """The implementation under test (parametrized over the selected backends)."""
    if request.param is None:
        pytest.skip("no implementation selected")
    backend, skill = request.param
    reason = request.config._aigc_unavailable.get(backend.name)
    if reason:
        pytest.skip(reason)
    mode = request.config.getoption("isolate")
    isolated = skill.isolatable and ((mode == "learners" and backend.kind == "learner") or (mode == "all" and backend.name != registry.REFERENCE_BACKEND and backend.kind != "mistake"))
    limits = isolation.Limits(request.config.getoption("time_limit"), int(request.config.getoption("memory_limit") * 2**30))
    implementation = Implementation(backend, skill, isolated=isolated, limits=limits)
    if session.current is not None:
        session.current.implementations.append(implementation)
    return implementation


@pytest.fixture
def record_metric(request):
    """record_metric(name, value, unit="", better="higher"|"lower"|None): a figure for the run record and reports."""

    def record(name: str, value, unit: str = "", better: str | None = None, **extra):
        request.node.user_properties.append(("aigc_metric", {"name": name, "value": value, "unit": unit, "better": better, **extra}))

    return record


@pytest.fixture(scope="session")
def run_record(request):
    """The run's record journal: `run_record.add_section(name, data)` adds a named section
    (calibration, an evaluation table). Works under xdist. None with --no-record."""

    journal = request.config._aigc_journal

    class Sections:
        path = journal

        def add_section(self, name, data):
            if journal is not None:
                records.add_section(journal, name, data)

    return Sections()


@pytest.fixture
def rng():
    """A NumPy generator seeded from the run's seed and the test id (replays with --hypothesis-seed)."""
    return session.rng()


# --------------------------------------------------------------------------- running


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    session.current = session.TestContext(item.nodeid, session.seed)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when == "call":
        bench = item.funcargs.get("benchmark") if hasattr(item, "funcargs") else None
        stats = getattr(getattr(bench, "stats", None), "stats", None)
        if stats is not None:
            fields = ("min", "max", "mean", "stddev", "median", "iqr", "rounds", "ops")
            report.user_properties.append(("aigc_benchmark", {f: getattr(stats, f) for f in fields} | {"group": bench.group, "extra_info": dict(bench.extra_info)}))
        if report.failed and session.current is not None:
            hint = session.likely_mistake()
            if hint and "likely mistake" not in str(report.longrepr):
                report.sections.append(("aigc-bench", f"likely mistake: matches {hint}"))
    report.user_properties.append(("aigc_weeks", list(item.stash.get(_WEEKS, ()))))
    param = getattr(item, "callspec", None)
    backend = param.params.get("impl") if param else None
    if backend:
        report.user_properties.append(("aigc_impl", {"impl": backend[0].name, "skill": backend[1].name}))
    elif _skill_of(item):
        report.user_properties.append(("aigc_impl", {"impl": None, "skill": _skill_of(item)}))


def pytest_runtest_teardown(item):
    session.current = None


def pytest_runtest_logreport(report):
    config = _CONFIG.get("config")
    if config is None or config._aigc_record is None:
        return
    # One entry per test: the call phase, or setup when it did not pass (skips, errors),
    # or teardown when it errored.
    if not (report.when == "call" or (report.when == "setup" and not report.passed) or (report.when == "teardown" and report.failed)):
        return
    props = {}
    metrics = {}
    for key, value in report.user_properties:
        if key == "aigc_metric":
            metrics[value["name"]] = {k: v for k, v in value.items() if k != "name"}
        else:
            props[key] = value
    impl = props.get("aigc_impl", {})
    outcome = report.outcome if report.when == "call" else ("error" if report.failed else report.outcome)
    message = ""
    if report.failed:
        message = report.longreprtext[-4000:]
    elif report.skipped and isinstance(report.longrepr, tuple):
        message = report.longrepr[2]
    entry = {
        "nodeid": report.nodeid,
        "outcome": outcome,
        "when": report.when,
        "duration": report.duration,
        "weeks": props.get("aigc_weeks", []),
        "skill": impl.get("skill"),
        "impl": impl.get("impl"),
        "message": message,
        "metrics": metrics,
        "benchmark": props.get("aigc_benchmark"),
        "time": time.time(),
    }
    config.hook.pytest_aigc_bench_record(entry=entry)
    config._aigc_record.add_test(entry)


_CONFIG: dict = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    _CONFIG["config"] = session.config


def pytest_sessionfinish(session, exitstatus):
    isolation.stop_all()
    record = getattr(session.config, "_aigc_record", None)
    if record is not None:
        record.finish(exitstatus=int(exitstatus))


def pytest_terminal_summary(terminalreporter, config):
    record = getattr(config, "_aigc_record", None)
    if record is not None:
        terminalreporter.write_line(f"aigc-bench: run record {record.final}")
