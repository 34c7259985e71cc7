"""Alembic environment: run by `adloc db upgrade` and on first use of a fresh SQLite database.
The connection comes from `adloc.assets_db.engine.upgrade`, never from an ini file."""

from alembic import context

from adloc.assets_db.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
