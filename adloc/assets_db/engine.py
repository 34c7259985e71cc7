"""Connecting to the asset database: SQLite by default, PostgreSQL for teams and Dataflow.

The schema is Alembic's: `adloc db upgrade` brings any database to the current revision, and a
SQLite file is upgraded on first use. A network database that is behind is an error that says
what to run; workers never migrate a shared database on their own.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url

from adloc.errors import AdlocError

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaError(AdlocError):
    """The database's schema is not the one this version of adloc needs."""


def default_url() -> str:
    """`ADLOC_DB`, else a SQLite file under the user's data directory."""
    if os.environ.get("ADLOC_DB"):
        return os.environ["ADLOC_DB"]
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "adloc"
    return f"sqlite:///{data / 'assets.db'}"


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _config(connection: Connection | None = None, script_location: Path = MIGRATIONS) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _sqlite_migrator(engine: Engine) -> Engine:
    """A SQLite engine for migrating: foreign keys off (a batch migration copies a table and drops
    the old one; with them on, that drop would cascade to every child row), and a real BEGIN, so
    DDL rolls back with the rest (Python's sqlite3 sends no BEGIN before DDL by itself)."""
    migrator = create_engine(engine.url)

    @event.listens_for(migrator, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    @event.listens_for(migrator, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")

    return migrator


def upgrade(engine: Engine, revision: str = "head",
            script_location: Path = MIGRATIONS) -> tuple[str | None, str | None]:
    """Migrate the database to `revision` in one transaction; returns (before, after). A migration
    that fails, or that would leave a reference dangling, changes nothing."""
    before = current_revision(engine)
    if before is None and inspect(engine).has_table("talent"):
        raise SchemaError(
            f"{display_url(str(engine.url))}: holds adloc tables but no migration history "
            "(it was created by a version before migrations); import the catalog into a new database")
    sqlite = engine.dialect.name == "sqlite"
    migrator = _sqlite_migrator(engine) if sqlite else engine
    try:
        with migrator.begin() as conn:
            command.upgrade(_config(conn, script_location), revision)
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all() if sqlite else []
            if broken:
                raise SchemaError(f"{display_url(str(engine.url))}: the migration would break "
                                  f"{len(broken)} references (first: {broken[0]}); nothing was changed")
    finally:
        if sqlite:
            migrator.dispose()
    return before, current_revision(engine)


def _new_engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    kwargs = {}
    if url.startswith(("postgresql+psycopg2", "postgresql:")):
        kwargs["executemany_mode"] = "values_plus_batch"  # bulk UPDATE/DELETE in pages, not a round trip a row
    engine = create_engine(url, future=True, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
    return engine


@contextmanager
def explained(url: str):
    """Every way a database URL can be wrong, as a `SchemaError` for people: not a URL, no
    driver, unreachable, an unwritable SQLite folder, a schema from another version."""
    from alembic.util import CommandError
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    try:
        where = display_url(url)
    except (ArgumentError, ValueError):
        raise SchemaError(f"{url!r} is not a database URL (e.g. sqlite:///assets.db, "
                          "postgresql+psycopg2://user@host/db)") from None
    try:
        yield
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise SchemaError(f"{where}: no driver for this database ({exc}); for PostgreSQL install "
                          "adloc[postgres]") from None
    except OperationalError as exc:
        raise SchemaError(f"{where}: cannot open the asset database: {exc.orig}") from None
    except CommandError as exc:  # e.g. a database migrated by a newer adloc
        raise SchemaError(f"{where}: {exc}") from None
    except OSError as exc:
        raise SchemaError(f"{where}: cannot create the database file: {exc}") from None


def open_engine(url: str) -> Engine:
    """`engine_for` with its failures explained (for the CLI)."""
    with explained(url):
        return engine_for(url)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL per process. A SQLite database is brought to the current schema; any
    other must already be there (`adloc db upgrade --db URL`)."""
    engine = _new_engine(url)
    head, current = head_revision(), current_revision(engine)
    if current != head:
        if engine.dialect.name == "sqlite":
            upgrade(engine)
        else:
            raise SchemaError(
                f"{display_url(url)}: the asset database schema is at {current or 'no revision'}, "
                f"this adloc needs {head}: run `adloc db upgrade --db URL`")
    return engine
