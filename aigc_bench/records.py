"""Run records: one per run, what reports read.

A run writes `<dir>/<run_id>.jsonl` as it goes, one JSON object per line
(a header, then a line per test outcome or extra section), each appended with
a single write so that a run killed halfway keeps every line already written.
When the run ends, the lines are consolidated into `<dir>/<run_id>.json`,
written to a temporary file and renamed into place (atomic). Readers take the
.json when it exists and otherwise rebuild the record from the .jsonl, marked
`"complete": false` with what is missing said in `"problems"`.

Record layout (`load` returns it):
    {"run_id", "started", "finished", "complete", "machine": {...}, "versions": {...},
     "implementations": [...], "seed", "argv",
     "tests": [{"nodeid", "outcome", "duration", "weeks", "skill", "impl",
                "message", "metrics": {name: {"value", "unit", "better"}}, "benchmark": {...}}],
     "sections": {name: data}, "problems": [...]}
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from pathlib import Path


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]


def _default(o):
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:
        pass
    if isinstance(o, Path):
        return str(o)
    return repr(o)


def append_line(path: Path, obj: dict) -> None:
    """Append one JSON line with a single write on an O_APPEND descriptor."""
    data = (json.dumps(obj, default=_default, allow_nan=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class RunWriter:
    """Writes one run's journal and, at the end, its consolidated record."""

    def __init__(self, directory: Path, header: dict, run_id: str | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.run_id = run_id or new_run_id()
        self.journal = self.directory / f"{self.run_id}.jsonl"
        self.final = self.directory / f"{self.run_id}.json"
        append_line(self.journal, {"type": "run", "run_id": self.run_id, "started": time.time(), **header})

    def add_test(self, entry: dict) -> None:
        append_line(self.journal, {"type": "test", **entry})

    def add_section(self, name: str, data) -> None:
        add_section(self.journal, name, data)

    def finish(self, **summary) -> dict:
        append_line(self.journal, {"type": "end", "finished": time.time(), **summary})
        record = read_journal(self.journal)
        write_atomic(self.final, json.dumps(record, default=_default, indent=1))
        return record


def add_section(journal: Path, name: str, data) -> None:
    """Add a named section (calibration, an evaluation table, ...) to a run's journal.
    Safe from any process of the run (xdist workers included)."""
    append_line(Path(journal), {"type": "section", "name": name, "data": data, "time": time.time()})


def read_journal(path: Path) -> dict:
    record: dict = {"tests": [], "sections": {}, "problems": [], "complete": False}
    with open(path, "rb") as f:
        lines = f.read().splitlines()
    for number, raw in enumerate(lines, 1):
        try:
            obj = json.loads(raw)
        except ValueError:
            record["problems"].append(f"line {number} of {Path(path).name} is truncated (the run was killed while writing it)")
            continue
        kind = obj.pop("type", None)
        if kind == "run":
            record.update(obj)
        elif kind == "test":
            record["tests"].append(obj)
        elif kind == "section":
            record["sections"].setdefault(obj["name"], []).append(obj["data"])
        elif kind == "end":
            record.update(obj)
            record["complete"] = True
    if not record["complete"]:
        record["problems"].append("the run did not finish: tests after the last recorded one are missing")
    return record


def load(path: str | Path) -> dict:
    path = Path(path)
    if path.suffix == ".jsonl":
        final = path.with_suffix(".json")
        return json.loads(final.read_text()) if final.exists() else read_journal(path)
    if path.suffix == ".json":
        return json.loads(path.read_text())
    raise ValueError(f"{path} is not a run record (.json or .jsonl)")


def find(paths) -> list[Path]:
    """Run records under the given files or folders, one per run (a finished run's
    .json in preference to its journal), oldest first."""
    chosen: dict[str, Path] = {}
    for p in map(Path, paths):
        candidates = [p] if p.is_file() else sorted(p.glob("*.json")) + sorted(p.glob("*.jsonl"))
        for c in candidates:
            if c.name.startswith("."):
                continue
            key = c.with_suffix("").name
            if key not in chosen or c.suffix == ".json":
                chosen[key] = c
    return [chosen[k] for k in sorted(chosen)]
