"""The ICU MessageFormat check: a source line with `{n, plural, …}` or `{x, select, …}` keeps its
structure in the target (Lokalise's and POEditor's ICU checks, with CLDR's plural rules)."""

from __future__ import annotations

from adloc.messageformat import MessageError, arguments, is_message, parse, plural_categories
from adloc.records import CheckResult, Severity

C = Severity.CRITICAL
_CATEGORIES = {"zero", "one", "two", "few", "many", "other"}


def check_icu(source: str, target: str, locale: str) -> CheckResult:
    """The target parses (balanced braces, known argument types), keeps every argument's name and
    type, keeps a select's keywords and a plural's exact `=N` cases, uses only CLDR plural keywords
    (a translated `uno` or `autre` fails), and gives every plural category the target language
    needs (Russian: one, few, many, other; Arabic all six)."""
    if not is_message(source):
        if "{" in target or "}" in target:
            depth = 0
            for char in target:
                depth += {"{": 1, "}": -1}.get(char, 0)
                if depth < 0 or depth > 1:
                    break
            if depth != 0:
                return CheckResult("icu", False, 0.0, "unbalanced braces", C)
        return CheckResult("icu", True, 1.0, "no plural or select in the source", C)
    try:
        wanted = arguments(parse(source))
    except MessageError as exc:
        return CheckResult("icu", True, 1.0, f"the source itself does not parse ({exc}): not checked", C)
    try:
        found = arguments(parse(target))
    except MessageError as exc:
        return CheckResult("icu", False, 0.0, f"does not parse as ICU MessageFormat: {exc}", C)
    got = {a["name"]: a for a in found}
    for arg in wanted:
        name, kind = arg["name"], arg.get("type")
        mine = got.get(name)
        if mine is None:
            return CheckResult("icu", False, 0.0, f"argument {name!r} is gone", C)
        if mine.get("type") != kind:
            return CheckResult("icu", False, 0.0, f"argument {name!r} was {kind or 'simple'}, is {mine.get('type') or 'simple'}", C)
        keys, theirs = set(arg.get("options") or {}), set(mine.get("options") or {})
        if kind == "select" and keys != theirs:
            return CheckResult("icu", False, 0.0, f"select {name!r}: keywords {sorted(keys)} became {sorted(theirs)}", C)
        if kind in ("plural", "selectordinal"):
            exact = {k for k in keys if k.startswith("=")}
            unknown = sorted(k for k in theirs if not k.startswith("=") and k not in _CATEGORIES)
            if unknown:
                return CheckResult("icu", False, 0.0, f"plural {name!r}: {', '.join(unknown)} is not a plural keyword", C)
            if exact - theirs:
                return CheckResult("icu", False, 0.0, f"plural {name!r}: the case {', '.join(sorted(exact - theirs))} is gone", C)
            needed = plural_categories(locale, ordinal=kind == "selectordinal")
            missing = sorted(needed - theirs)
            if missing:
                return CheckResult("icu", False, 0.0,
                                   f"plural {name!r}: {locale} needs {', '.join(missing)} too ({', '.join(sorted(needed))})", C)
    extra = sorted(set(got) - {a["name"] for a in wanted})
    if extra:
        return CheckResult("icu", False, 0.0, f"adds the argument {', '.join(extra)}", C)
    return CheckResult("icu", True, 1.0, f"{len(wanted)} argument(s) kept, plural forms complete", C)
