"""`adloc check-copy`: the copy checks on one source/target pair; `adloc preview`: lines set in a
template for a locale, without any model, with the layout checks."""

from __future__ import annotations

import json

from adloc.cli.options import add_db
from adloc.errors import AdlocError
from adloc.records import Formality


def register(sub) -> None:
    check = sub.add_parser("check-copy", help="run the copy checks on one source/target pair")
    check.add_argument("--source", required=True)
    check.add_argument("--target", required=True)
    check.add_argument("--locale", required=True)
    check.add_argument("--keep", action="append", default=[], help="do-not-translate term (repeatable)")
    check.add_argument("--max-chars", type=int, default=None)
    check.add_argument("--glossary", metavar="FILE",
                       help="glossary YAML (locale: {keep: [..], banned: [..], required: {term: rendering}})")
    check.add_argument("--formality", choices=[f.value for f in Formality],
                       help="the register the line must use (du/Sie, tu/vous, ...); without it, only a mix fails")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=check_copy_command)

    show = sub.add_parser("preview", help="set lines in a template for a locale (no model) and run the layout checks")
    show.add_argument("--template", required=True, help="template id in the asset database")
    show.add_argument("--locale", required=True, help="BCP 47 tag, e.g. ja-JP")
    show.add_argument("--copy", action="append", default=[], metavar="SLOT=LINE", required=True,
                      help="a text slot's line, as it will read (repeatable)")
    show.add_argument("--out", required=True, metavar="FILE.png", help="where to write the image (a path or bucket URI)")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    add_db(show)
    show.set_defaults(func=preview_command)


def check_copy_command(args, _beam_args) -> int:
    from adloc import locale as loc
    from adloc.checks.copy import check_copy

    try:
        loc.territory(args.locale) if "-" in args.locale else loc.parse(args.locale)
    except ValueError as exc:
        raise AdlocError(f"locale: {exc}") from None
    glossary = ()
    if args.glossary:
        from adloc.assets_db.catalog import load_glossary

        glossary = load_glossary(args.glossary, args.locale)
    formality = Formality(args.formality) if args.formality else None
    results = check_copy(args.source, args.target, args.locale, tuple(args.keep), args.max_chars, glossary,
                         formality=formality)
    return _report(results, as_json=args.json)


def _report(results: list, as_json: bool) -> int:
    """Every check, as JSON or one line each; exit 0 when none that blocks failed, else 1."""
    from adloc.checks import blocking_failures

    passed = not blocking_failures(results)
    if as_json:
        print(json.dumps({"passed": passed, "checks": [
            {"name": r.name, "passed": r.passed, "detail": r.detail, "severity": r.severity.value, "score": round(r.score, 4)}
            for r in results
        ]}, ensure_ascii=False))
    else:
        for r in results:
            print(f"{'PASS' if r.passed else 'FAIL'}  {r.name:<20} {r.severity.value:<10} {r.detail}")
        print("passed" if passed else "failed")
    return 0 if passed else 1


def preview_command(args, _beam_args) -> int:
    from adloc.cli.options import engine
    from adloc.files import write_bytes
    from adloc.services.preview import preview

    copy = {}
    for pair in args.copy:
        slot, sep, line = pair.partition("=")
        if not sep or not slot.strip():
            raise AdlocError(f"--copy {pair!r}: expected SLOT=LINE, e.g. --copy headline=Frischer Kaffee")
        copy[slot.strip()] = line
    shown = preview(engine(args), args.template, args.locale, copy)
    write_bytes(args.out, shown.png)
    if not args.json:
        print(f"wrote {args.out}")
    return _report(list(shown.checks), as_json=args.json)
