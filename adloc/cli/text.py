"""`adloc check-copy`: the copy checks on one source/target pair."""

from __future__ import annotations

import json

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


def check_copy_command(args, _beam_args) -> int:
    from adloc import locale as loc
    from adloc.checks import blocking_failures
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
    passed = not blocking_failures(results)
    if args.json:
        print(json.dumps({"passed": passed, "checks": [
            {"name": r.name, "passed": r.passed, "detail": r.detail, "severity": r.severity.value, "score": round(r.score, 4)}
            for r in results
        ]}, ensure_ascii=False))
    else:
        for r in results:
            print(f"{'PASS' if r.passed else 'FAIL'}  {r.name:<20} {r.severity.value:<10} {r.detail}")
        print("passed" if passed else "failed")
    return 0 if passed else 1
