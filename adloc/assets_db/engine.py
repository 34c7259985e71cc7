"""Connecting to the asset database: SQLite by default, PostgreSQL for teams and Dataflow."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event

from adloc.assets_db.schema import Base


def default_url() -> str:
    """`ADLOC_DB`, else a SQLite file under the user's data directory."""
    if os.environ.get("ADLOC_DB"):
        return os.environ["ADLOC_DB"]
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "adloc"
    return f"sqlite:///{data / 'assets.db'}"


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL per process, with the schema created on first use."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
    Base.metadata.create_all(engine)
    return engine
