"""Scaffold a learner's folder: one module per skill, every contract function a stub
that raises "implement X for week N: see <contract>", ready for
`pytest --learner learners/NAME -k weekN`."""

from __future__ import annotations

import ast
import inspect
import re
import sys
from pathlib import Path

NAME = "new-learner"
HELP = "scaffold a learner folder with a stub for every skill"


def add_arguments(parser):
    parser.add_argument("name", help="the learner's name (the folder name, and the implementation name in reports)")
    parser.add_argument("--dir", default="learners", help="where learner folders live (default: ./learners)")
    parser.add_argument("--force", action="store_true", help="overwrite stub modules that already exist")


_DECORATOR = re.compile(r"^@\w+\.function\s*\n", re.M)
_BARE_RAISE = re.compile(r"^(\s*)raise NotImplementedError\s*$", re.M)


def stub_source(skill, name: str, fn) -> str:
    """The contract's own source for `name`, its bare `raise NotImplementedError`
    turned into the TODO message that names the week and the contract file. A
    contract class documented by its docstring alone gets a constructor that raises."""
    source = _DECORATOR.sub("", inspect.getsource(fn))
    message = skill.todo_message(name)
    if inspect.isclass(fn) and not _BARE_RAISE.search(source):
        body = ast.parse(source).body[0]
        end = body.body[0].end_lineno if isinstance(body.body[0], ast.Expr) else body.lineno  # after the docstring
        lines = source.splitlines(keepends=True)
        lines.insert(end, "\n    def __init__(self, *args, **kwargs):\n        raise NotImplementedError\n")
        source = "".join(lines)
    return _BARE_RAISE.sub(lambda m: f"{m.group(1)}raise NotImplementedError({message!r})", source)


def module_text(skill) -> str:
    header = (
        f'"""{skill.name}: {skill.summary} (week {skill.week_label}).\n\n'
        f"Roadmap: {skill.roadmap or '-'}\n"
        f"Contract: {skill.source}. Replace each NotImplementedError with your implementation;\n"
        f"run `pytest --learner <this folder> -k week{skill.weeks[0]}` to check it.\n"
        '"""\n\nimport numpy as np  # noqa: F401\n'
    )
    return header + "".join("\n\n" + stub_source(skill, n, f) for n, f in skill.functions.items())


def run(args) -> int:
    from aigc_bench import registry

    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", args.name):
        print(f"error: learner name {args.name!r} must be letters, digits, - or _", file=sys.stderr)
        return 2
    folder = Path(args.dir) / args.name
    folder.mkdir(parents=True, exist_ok=True)
    written, kept = [], []
    by_week: dict[str, list] = {}
    for skill in sorted(registry.skills().values(), key=lambda s: (s.weeks, s.name)):
        by_week.setdefault(skill.week_label, []).append(skill)
        path = folder / f"{skill.name}.py"
        if path.exists() and not args.force:
            kept.append(path.name)
            continue
        path.write_text(module_text(skill))
        written.append(path.name)
    lines = [f"# {args.name}'s implementations", "", "One module per skill; each function raises until you implement it.", ""]
    for week, skills in by_week.items():
        lines.append(f"## Week {week}")
        lines += [f"- `{s.name}.py`: {s.summary} ({s.roadmap})" if s.roadmap else f"- `{s.name}.py`: {s.summary}" for s in skills]
        lines.append("")
    lines += ["Check one week:", "", f"    pytest --learner {folder} -k week2", ""]
    (folder / "README.md").write_text("\n".join(lines))
    print(f"created {folder}/ with {len(written)} skill stubs" + (f" (kept {len(kept)} existing: use --force to overwrite)" if kept else ""))
    print(f"next: pytest --learner {folder} -k week2")
    return 0
