"""Shared fixtures: an asset DB seeded with the sample catalog, job files, output hashing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from adloc.assets_db.catalog import import_catalog
from adloc.assets_db.engine import engine_for

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
RUN_DATE = "2026-11-27"


@pytest.fixture
def catalog_db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'assets.db'}"
    import_catalog(engine_for(url), EXAMPLES)
    return url


def write_job(path: Path, spec: dict) -> Path:
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_same_tree(folder: Path, expected: dict[str, str]) -> None:
    got = tree_hashes(folder)
    differing = sorted(k for k in set(got) | set(expected) if got.get(k) != expected.get(k))
    details = []
    for name in differing[:3]:
        path = folder / name
        if path.suffix in (".json", ".jsonl") and path.exists():
            details.append(f"{name}:\n{path.read_text()[:3000]}")
    assert not differing, f"files differ: {differing}\n" + "\n".join(details)
