"""`adloc assets ...` (talent, catalog, takedown, usage) and `adloc templates import`."""

from __future__ import annotations

import json
import sys
from datetime import date

from adloc.cli.options import add_db, add_store, days, db_url, engine, iso_date


def register(sub) -> None:
    assets = sub.add_parser("assets", help="talent and catalog").add_subparsers(dest="assets_command", required=True)
    imp = assets.add_parser("import", help="import talent (CSV or YAML) with their images and rights")
    imp.add_argument("file", help="talent .csv or .yaml")
    imp.add_argument("--images", help="folder the image paths are relative to (default: the file's folder)")
    add_store(imp)
    imp.set_defaults(func=import_talent_command)
    cat = assets.add_parser("import-catalog", help="import a catalog folder (templates/, catalog/)")
    cat.add_argument("folder")
    add_store(cat)
    cat.set_defaults(func=import_catalog_command)
    lst = assets.add_parser("list", help="list talent and where they may be used")
    lst.add_argument("--region", help="rights cover this region (ISO 3166, e.g. PT)")
    lst.add_argument("--status", choices=("active", "revoked"))
    lst.add_argument("--expiring-within", type=days, metavar="DAYS", help="an active right ends within DAYS days")
    lst.add_argument("--on", type=iso_date, default=date.today().isoformat(), help="reference date (default today)")
    lst.add_argument("--json", action="store_true")
    add_db(lst)
    lst.set_defaults(func=list_command)
    rev = assets.add_parser("revoke", help="take a talent out of every future run (takedown)")
    rev.add_argument("talent_id")
    rev.add_argument("--reason", required=True, help="why (kept with the talent)")
    add_db(rev)
    rev.set_defaults(func=revoke_command)
    use = assets.add_parser("usage", help="every published output that uses a talent")
    use.add_argument("talent_id")
    use.add_argument("--json", action="store_true")
    add_db(use)
    use.set_defaults(func=usage_command)

    templates = sub.add_parser("templates", help="templates").add_subparsers(dest="templates_command", required=True)
    timp = templates.add_parser("import", help="import template YAMLs (each beside its image)")
    timp.add_argument("files", nargs="+", metavar="TEMPLATE.yaml")
    add_store(timp)
    timp.set_defaults(func=import_templates_command)


def _warn_local_store(args) -> None:
    """Images in a local folder are visible to this machine only: say so when the database is shared."""
    from adloc.assets_db.images import default_store

    url, store = db_url(args), args.store or default_store()
    if not url.startswith("sqlite") and "://" not in store:
        print(f"warning: images go to the local folder {store}, but the database is shared; workers on "
              "other machines cannot read them (use --store gs://... or s3://...)", file=sys.stderr)


def import_catalog_command(args, _beam_args) -> int:
    from adloc.assets_db.catalog import import_catalog
    from adloc.models.face import FaceFinder
    from adloc.models.matte import Matter

    _warn_local_store(args)
    print(json.dumps(import_catalog(engine(args), args.folder, store=args.store, matter=Matter(), faces=FaceFinder())))
    return 0


def import_talent_command(args, _beam_args) -> int:
    from adloc.assets_db.catalog import import_talent
    from adloc.models.face import FaceFinder
    from adloc.models.matte import Matter

    _warn_local_store(args)
    refused: list[str] = []
    count = import_talent(engine(args), args.file, images_dir=args.images, store=args.store, refused=refused,
                          matter=Matter(), faces=FaceFinder())
    print(f"imported {count} talent from {args.file}")
    for reason in refused:
        print(f"not imported: {reason}", file=sys.stderr)
    return 1 if refused else 0


def import_templates_command(args, _beam_args) -> int:
    from adloc.assets_db.catalog import import_templates

    _warn_local_store(args)
    count = import_templates(engine(args), args.files, store=args.store)
    print(f"imported {count} template{'s' if count != 1 else ''}")
    return 0


def list_command(args, _beam_args) -> int:
    from adloc.assets_db.lineage import list_talent

    rows = list_talent(engine(args), region=args.region, status=args.status,
                       expiring_within=args.expiring_within, on=date.fromisoformat(args.on))
    if args.json:
        print(json.dumps(rows, default=str, ensure_ascii=False, indent=2))
        return 0
    print(f"{'id':<20} {'name':<14} {'from':<4} {'status':<8} {'usable in':<14} {'channels':<16} {'until':<10} "
          f"{'cutout':<6}")
    for r in rows:
        why = f"  ({r['revoked_reason']})" if r["status"] == "revoked" else ""
        matte = f"  matte {r['matte']['sha256'][:12]} by {r['matte']['model']}" if r["matte"] else ""
        face = f"  face {','.join(map(str, r['face']['box']))}" if r["face"] else ""
        print(f"{r['id']:<20} {r['name']:<14} {r['region']:<4} {r['status']:<8} {','.join(r['usable_in']) or '-':<14} "
              f"{','.join(r['channels']) or '-':<16} {r['ends_on'] or '-'!s:<10} {r['cutout']:<6}{why}{face}{matte}".rstrip())
    print(f"{len(rows)} talent")
    return 0


def _print_usage(outputs: list[dict]) -> None:
    for o in outputs:
        print(f"{o['job']}  {o['creative']}  {o['template']}  {o['locale']}  {o['status']}  {o['run_date']}  {o['uri']}")


def usage_command(args, _beam_args) -> int:
    from adloc.assets_db.lineage import usage

    outputs = usage(engine(args), args.talent_id)
    if args.json:
        print(json.dumps(outputs, ensure_ascii=False, indent=2))
    else:
        _print_usage(outputs)
        print(f"{len(outputs)} output{' uses' if len(outputs) == 1 else 's use'} {args.talent_id}")
    return 0


def revoke_command(args, _beam_args) -> int:
    from adloc.assets_db.lineage import revoke

    result = revoke(engine(args), args.talent_id, args.reason)
    outputs = result["outputs"]
    if result["already_revoked"]:
        print(f"{args.talent_id} was already revoked on {result['revoked_at']}: {result['reason']}")
    else:
        print(f"{args.talent_id} is now revoked: runs that start from now on will not use them")
    if outputs:
        print(f"{len(outputs)} published output{'s' if len(outputs) != 1 else ''} use them; rerun those jobs "
              "or take the files down:")
        _print_usage(outputs)
    return 0
