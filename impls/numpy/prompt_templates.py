"""Prompt templates and a versioned registry on disk (one JSON file per template name)."""

import difflib
import hashlib
import json
import os
import re
import tempfile
import time
from pathlib import Path

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|[{}]")


def template_variables(template):
    names = []
    for m in _TOKEN.finditer(template):
        token = m.group(0)
        if token in ("{{", "}}"):
            continue
        if m.group(1) is None:
            raise ValueError(f"unbalanced brace at position {m.start()} of the template (write {{{{ or }}}} for a literal brace)")
        if m.group(1) not in names:
            names.append(m.group(1))
    return names


def render(template, variables):
    needed = template_variables(template)
    missing = [n for n in needed if n not in variables]
    if missing:
        raise ValueError(f"missing template variables: {', '.join(missing)}")
    unexpected = sorted(set(variables) - set(needed))
    if unexpected:
        raise ValueError(f"unexpected template variables: {', '.join(unexpected)} (the template uses {', '.join(needed) or 'none'})")

    def fill(m):
        token = m.group(0)
        return {"{{": "{", "}}": "}"}.get(token) or str(variables[m.group(1)])

    return _TOKEN.sub(fill, template)


class PromptRegistry:
    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, name):
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ValueError(f"template name {name!r}: use letters, digits, '.', '_' or '-'")
        return self.root / f"{name}.json"

    def history(self, name):
        path = self._path(name)
        if not path.exists():
            raise KeyError(f"no prompt template named {name!r} in {self.root}")
        return json.loads(path.read_text())

    def get(self, name, version=None):
        versions = self.history(name)
        if version is None:
            return versions[-1]
        for v in versions:
            if v["version"] == version:
                return v
        raise KeyError(f"{name!r} has no version {version} (versions 1..{len(versions)})")

    def save(self, name, text, message=""):
        path = self._path(name)
        versions = json.loads(path.read_text()) if path.exists() else []
        digest = hashlib.sha256(text.encode()).hexdigest()
        if versions and versions[-1]["hash"] == digest:
            return versions[-1]
        return self._append(name, versions, text, message)

    def _append(self, name, versions, text, message):
        entry = {"name": name, "version": len(versions) + 1, "hash": hashlib.sha256(text.encode()).hexdigest(), "text": text, "message": message, "created": time.time()}
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(versions + [entry], f, indent=1)
        os.replace(tmp, self._path(name))  # atomic: a crash never leaves half a history
        return entry

    def diff(self, name, a, b):
        old, new = self.get(name, a), self.get(name, b)
        return "".join(difflib.unified_diff(old["text"].splitlines(True), new["text"].splitlines(True), f"{name} v{a}", f"{name} v{b}"))

    def rollback(self, name, version):
        old = self.get(name, version)
        return self._append(name, self.history(name), old["text"], f"rollback to version {version}")
