"""`adloc db upgrade`: migrate the asset database."""

from __future__ import annotations

from adloc.cli.options import add_db, db_url


def register(sub) -> None:
    db = sub.add_parser("db", help="asset database schema").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="migrate the asset database to this version's schema")
    add_db(up)
    up.set_defaults(func=upgrade_command)


def upgrade_command(args, _beam_args) -> int:
    from adloc.assets_db.engine import _new_engine, display_url, explained, upgrade

    url = db_url(args)
    with explained(url):
        before, after = upgrade(_new_engine(url))
    print(f"{display_url(url)}: {before or 'empty'} -> {after}" if before != after
          else f"{display_url(url)}: already at {after}")
    return 0
