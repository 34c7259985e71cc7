"""`adloc tm export | import`: the translation memory as TMX 1.4b, to and from a
translation-management system."""

from __future__ import annotations

import json
import sys

from adloc.cli.options import add_db, engine
from adloc.errors import AdlocError


def register(sub) -> None:
    tm = sub.add_parser("tm", help="the translation memory in and out as TMX 1.4b").add_subparsers(
        dest="tm_command", required=True)
    export = tm.add_parser("export", help="write the memory as TMX 1.4b (sorted, no dates: the same memory gives "
                                          "the same bytes)")
    export.add_argument("--locale", action="append", default=[], help="only this locale's lines (repeatable)")
    export.add_argument("--origin", choices=("import", "review"),
                        help="only lines a catalog brought in, or only those reviewers approved")
    export.add_argument("--out", help="the file to write (default: stdout)")
    add_db(export)
    export.set_defaults(func=export_command)
    imp = tm.add_parser("import", help="put a TMX file's lines into the memory (all or nothing; each replaces the "
                                       "locale's line for its source)")
    imp.add_argument("file", metavar="FILE.tmx")
    imp.add_argument("--locale", action="append", default=[], help="only this locale's lines (repeatable)")
    imp.add_argument("--json", action="store_true")
    add_db(imp)
    imp.set_defaults(func=import_command)


def _locales(tags: list[str]) -> frozenset[str] | None:
    from adloc import locale as loc

    out = set()
    for tag in tags:
        try:
            out.add(loc.canonical(tag))
        except ValueError as exc:
            raise AdlocError(f"locale: {exc}") from None
    return frozenset(out) or None


def export_command(args, _beam_args) -> int:
    from adloc.services import memory

    data, count = memory.export(engine(args), _locales(args.locale), args.origin)
    if not args.out:
        sys.stdout.buffer.write(data)
        return 0
    from adloc.files import write_bytes

    write_bytes(args.out, data)
    print(f"{args.out}: {count} line{'s' if count != 1 else ''}")
    return 0


def import_command(args, _beam_args) -> int:
    from pathlib import Path

    from adloc.services import memory

    path = Path(args.file)
    if not path.is_file():
        raise AdlocError(f"{args.file}: no such file")
    counts = memory.import_file(engine(args), path.read_bytes(), args.file, _locales(args.locale))
    if args.json:
        print(json.dumps(counts))
    else:
        print(f"{args.file}: {counts['added']} added, {counts['replaced']} replaced, {counts['unchanged']} unchanged"
              + (f" ({', '.join(sorted(_locales(args.locale)))} only)" if args.locale else ""))
    return 0
