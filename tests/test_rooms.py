"""The rooms and what may import what (DESIGN's layout): an arrow only downward. A module that
reaches up a level, or sideways into another room of its level, fails here with the line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "adloc"
# Level of each room; top-level modules (records, locale, errors, files, ...) are "base", level 0.
LEVELS = {"base": 0, "checks": 1, "models": 1, "assets_db": 1, "pipelines": 2, "evals": 2, "services": 3,
          "cli": 4, "web": 4}
ALLOWED_SIDEWAYS = {("cli", "web")}  # `adloc serve` starts the web app


def room_of(module: str, package: Path = PACKAGE) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (package / parts[1]).is_dir() else "base"


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every adloc module `path` imports, at any depth of the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "adloc":
            found.append((node.lineno, node.module))
            if node.module == "adloc":  # `from adloc import locale`: the names are modules
                found += [(node.lineno, f"adloc.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "adloc"]
    return found


def violations(package: Path = PACKAGE) -> list[str]:
    out = []
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = room_of(".".join(path.relative_to(package.parent).with_suffix("").parts), package)
        for line, module in imports(path):
            target = room_of(module, package)
            if target == source or LEVELS[target] < LEVELS[source] or (source, target) in ALLOWED_SIDEWAYS:
                continue
            out.append(f"{path.relative_to(package.parent)}:{line}: {source} imports {module} ({target})")
    return out


def test_every_import_points_down():
    assert violations() == []


def test_models_import_neither_the_asset_db_nor_the_pipeline():
    found = [(line, m) for path in (PACKAGE / "models").rglob("*.py") for line, m in imports(path)]
    assert found and not [m for _, m in found if room_of(m) in ("assets_db", "pipelines", "evals", "services")]


@pytest.mark.parametrize("where, line, said", [
    ("models/handler.py", "from adloc.assets_db.queries import templates",
     "models imports adloc.assets_db.queries (assets_db)"),
    ("records.py", "    from adloc.checks import copy", "base imports adloc.checks (checks)"),
    ("services/jobs.py", "import adloc.cli.presets", "services imports adloc.cli.presets (cli)"),
    ("checks/layout.py", "from adloc import pipelines", "checks imports adloc.pipelines (pipelines)"),
])
def test_an_upward_or_sideways_import_is_named_with_its_line(tmp_path, where, line, said):
    package = tmp_path / "adloc"
    for room in LEVELS.keys() - {"base"}:
        (package / room).mkdir(parents=True)
    (package / where).write_text(f'"""A module."""\n\n\ndef f():\n    pass\n\n{line}\n')
    (package / "locale.py").write_text("from adloc.records import WorkItem\n")  # base to base: fine
    (package / "cli" / "serve.py").write_text("from adloc.web import app\n")  # the one sideways import allowed
    (package / "web" / "app.py").write_text("from adloc.services import jobs\n")  # downward: fine
    assert violations(package) == [f"adloc/{where}:7: {said}"]
