"""ICU MessageFormat in copy: `{n, plural, one {# cup} other {# cups}}` and `{size, select, …}`,
parsed by `pyicumessageformat`, formatted with the item's values and the locale's CLDR plural
rules (through Babel). A line without plural or select arguments is left to the plain
`{name}` filling of `adloc.locale`."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

_COMPLEX = re.compile(r"\{\s*[A-Za-z_][A-Za-z0-9_]*\s*,\s*(?:plural|select|selectordinal)\s*,")


class MessageError(ValueError):
    """A line that does not parse as ICU MessageFormat; the message says where."""


def is_message(text: str) -> bool:
    """Whether the line holds a plural or select argument."""
    return _COMPLEX.search(text) is not None


@lru_cache(maxsize=1)
def _parser():
    from pyicumessageformat import Parser

    # Keywords are whatever follows the comma: a translated "pluriel" must fail, not parse.
    return Parser({"allow_tags": False, "strict": False, "require_other": False})


def parse(text: str) -> list:
    """The message's parts: strings and argument dicts (name, type, options); MessageError when it
    does not parse (unbalanced braces, an unknown argument type)."""
    try:
        return _parser().parse(text)
    except (SyntaxError, TypeError, ValueError) as exc:
        raise MessageError(str(exc)) from None


def arguments(parts: list) -> list[dict]:
    """Every argument, nested ones included, in order."""
    found = []
    for part in parts:
        if isinstance(part, dict) and "name" in part and not part.get("hash"):
            found.append(part)
            for option in (part.get("options") or {}).values():
                found += arguments(option)
    return found


def plural_categories(locale: str, ordinal: bool = False) -> frozenset[str]:
    """The CLDR plural categories the language distinguishes (ru: one, few, many, other)."""
    from adloc import locale as loc

    parsed = loc.parse(locale)
    return frozenset((parsed.ordinal_form if ordinal else parsed.plural_form).tags) | {"other"}


def format_message(text: str, values: dict, locale: str, isolate: bool = False) -> str:
    """The line with its arguments filled: plural options chosen by the value (an exact `=N` first,
    then the locale's category), `#` as the number, select options by the value, else `other`.
    `isolate`: simple arguments' values between FSI and PDI (`locale.fill_placeholders`)."""
    from adloc import locale as loc

    parsed = loc.parse(locale)

    def render(parts: list, number=None) -> str:
        out = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            elif part.get("hash"):
                out.append(loc.format_value(number, locale) if number is not None else "#")
            elif part.get("type") in ("plural", "selectordinal"):
                value = values.get(part["name"])
                if value is None:
                    out.append("{" + part["name"] + "}")
                    continue
                shown = Decimal(str(value)) - Decimal(part.get("offset") or 0)
                rule = parsed.ordinal_form if part["type"] == "selectordinal" else parsed.plural_form
                options = part["options"]
                key = f"={value}" if f"={value}" in options else rule(shown)
                chosen = options.get(key, options.get("other", []))
                out.append(render(chosen, int(shown) if shown == int(shown) else shown))
            elif part.get("type") == "select":
                options = part["options"]
                out.append(render(options.get(str(values.get(part["name"])), options.get("other", [])), number))
            else:
                name = part["name"]
                shown = loc.format_value(values[name], locale) if name in values else "{" + name + "}"
                out.append(loc.FSI + shown + loc.PDI if isolate and name in values else shown)
        return "".join(out)

    return render(parse(text))
