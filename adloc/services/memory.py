"""The translation memory in and out as TMX 1.4b (`adloc tm export | import`): an existing memory
from a translation-management system comes in, and the lines reviewers approved go back to it.
Exporting, importing that file and exporting again gives the same bytes."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from sqlalchemy import Engine

from adloc import tmx
from adloc.assets_db import catalog


def _version() -> str:
    try:
        return version("adloc")
    except PackageNotFoundError:
        return "0"


def export(engine: Engine, locales: frozenset[str] | None = None, origin: str | None = None) -> tuple[bytes, int]:
    """(TMX bytes, number of lines) of the memory: every locale's lines, only `locales` and only
    those of `origin` (import | review) when given."""
    entries = [tmx.Entry(*row) for row in catalog.memory_entries(engine, locales) if origin in (None, row[3])]
    return tmx.write(entries, version=_version()), len(entries)


def import_file(engine: Engine, data: bytes, name: str, locales: frozenset[str] | None = None) -> dict[str, int]:
    """Put a TMX file's lines into the memory, all or nothing; only `locales` when given. Each line
    replaces the locale's line for that source. Returns {added, replaced, unchanged}. Raises InvalidFields naming each tu that cannot be read
    (of `locales`, when given: a bad line of another locale does not stop them)."""
    entries = tmx.read(data, name, locales)
    counts = catalog.put_memory(engine, [(e.source, e.locale, e.target, e.origin) for e in entries], name)
    return counts
