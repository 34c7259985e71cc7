"""Locale facts from Babel: territory, language, script direction, number formatting."""

from __future__ import annotations

import re
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@cache
def parse(tag: str) -> Locale:
    """A Babel locale for a BCP 47 tag such as `pt-PT`; ValueError when Babel does not know it."""
    try:
        return Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown locale {tag!r}: expected a BCP 47 tag such as 'pt-PT'") from exc


def canonical(tag: str) -> str:
    """The tag as Babel spells it, with hyphens: `de-de` -> `de-DE`."""
    return str(parse(tag)).replace("_", "-")


def territory(tag: str) -> str:
    """The ISO 3166 region of a locale (`pt-PT` -> `PT`); the talent rights are granted per region."""
    loc = parse(tag)
    if not loc.territory:
        raise ValueError(f"locale {tag!r} names no region; use a tag such as 'pt-PT'")
    return loc.territory


def language(tag: str) -> str:
    return parse(tag).language


def language_name(tag: str) -> str:
    """The language's English name, as the copy model is prompted with it."""
    return parse(tag).get_language_name("en")


def is_rtl(tag: str) -> bool:
    return parse(tag).character_order == "right-to-left"


def format_value(value, tag: str) -> str:
    """A placeholder value formatted for the locale: numbers get the locale's separators, money
    the locale's way of writing that currency (`adloc.money`)."""
    from adloc.money import Money, format_money

    if isinstance(value, Money):
        return format_money(value, tag)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float):
        return format_decimal(value, format="#,##0.00", locale=parse(tag))
    return format_decimal(value, locale=parse(tag))


# First-strong isolate and pop directional isolate (Unicode bidi algorithm, UAX #9).
FSI, PDI = "\u2068", "\u2069"


def fill_placeholders(text: str, values: dict, tag: str, isolate: bool = False) -> str:
    """Replace `{name}` placeholders with the locale-formatted values; unknown ones stay as they are.
    A line with ICU plural or select arguments is formatted as a message (`adloc.messageformat`).
    `isolate`: each value goes between FSI and PDI, so its own direction neither turns the line's
    (an Arabic price in an English line waiting for a translator) nor is turned by it."""
    from adloc.messageformat import MessageError, format_message, is_message

    if is_message(text):
        try:
            return format_message(text, values, tag, isolate)
        except MessageError:
            pass  # the copy checks name the broken message; the line is drawn as written

    def sub(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        shown = format_value(values[name], tag)
        return FSI + shown + PDI if isolate else shown

    return _PLACEHOLDER.sub(sub, text)


def placeholders(text: str) -> list[str]:
    return _PLACEHOLDER.findall(text)


def placeholder_runs(text: str) -> list[str | tuple[str]]:
    """The line as runs of plain text and `(name,)` for each placeholder, in order:
    "Two for {price}" -> ["Two for ", ("price",)]. For the exchange formats' inline codes."""
    parts = _PLACEHOLDER.split(text)
    return [(p,) if i % 2 else p for i, p in enumerate(parts) if i % 2 or p]


def numbered_placeholders(text: str) -> tuple[str, dict[str, str]]:
    """The line with its named placeholders numbered in order of first use ({price} -> {1}), and
    the way back ({"{1}": "{price}"}). A model shown {1} has no word to translate (as CAT tools
    protect inline codes): it cannot turn {price} into {precio}."""
    # Numbers the line already holds as positional placeholders ({1}) are not reused.
    start = max((int(n) for n in re.findall(r"\{([0-9]+)\}", text)), default=0)
    numbers: dict[str, str] = {}
    for name in _PLACEHOLDER.findall(text):
        numbers.setdefault(name, "{" + str(start + len(numbers) + 1) + "}")
    masked = _PLACEHOLDER.sub(lambda m: numbers[m.group(1)], text)
    return masked, {number: "{" + name + "}" for name, number in numbers.items()}


def named_placeholders(text: str, back: dict[str, str]) -> str:
    """`numbered_placeholders` undone on a model's line: each {N} of the source back to its name."""
    if not back:
        return text
    # Any script's digits ({١} is {1}): a model writing Arabic-Indic digits meant the same placeholder.
    return re.sub(r"\{(\d+)\}", lambda m: back.get("{" + str(int(m.group(1))) + "}", m.group(0)), text)


def without_placeholders(text: str) -> str:
    """The words of a line, its {placeholders} taken out."""
    return " ".join(_PLACEHOLDER.sub(" ", text).split())


# The formal and informal "you" of the languages with a T–V distinction: the languages the register
# check knows (`checks.register`).
SECOND_PERSON = {"de": ("Sie", "du"), "fr": ("vous", "tu"), "es": ("usted", "tú"), "pt": ("você", "tu"),
        "it": ("Lei", "tu"), "nl": ("u", "jij"), "pl": ("Pan/Pani", "ty")}


def register_instruction(tag: str, formality) -> str | None:
    """The prompt's sentence asking for a register (`Address the reader informally (du).`), or None
    where the language has no formal and informal you. `formality`: a `records.Formality`."""
    you = SECOND_PERSON.get(language(tag))
    if you is None:
        return None
    formal = formality.value == "formal"
    return f"Address the reader {'formally' if formal else 'informally'} ({you[0] if formal else you[1]})."
