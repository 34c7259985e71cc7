"""Typography checks that know the locale: doubled words, quotation marks and the spacing around
punctuation (QA Distiller's language-dependent spacing and quotation checks; LanguageTool's
French spacing rules). Quotation marks and spacing are cosmetic: they never hold a line back.

Quotation marks per language are CLDR's delimiters (primary and alternate pairs, `common/main/*.xml`),
which Babel does not carry; a few pairs common in print are accepted beside them (» « in German)."""

from __future__ import annotations

import itertools
import re

from adloc import locale as loc
from adloc.checks.base import PLACEHOLDER, SPACES, WORD, CheckResult, Severity

F, K = Severity.FUNCTIONAL, Severity.COSMETIC

# (opening, closing) double-quote pairs a language writes: CLDR's primary or alternate pair first.
_QUOTES = {
    "en": ("“”",), "de": ("„“", "»«", "‚‘"), "fr": ("«»", "“”"), "es": ("«»", "“”"), "pt": ("“”", "«»"),
    "it": ("«»", "“”"), "nl": ("“”", "‘’"), "pl": ("„”", "«»"), "ru": ("«»", "„“"), "ar": ("”“", "«»", "“”"),
    "tr": ("“”",), "sv": ("””",), "da": ("“”", "»«"), "nb": ("«»", "“”"), "fi": ("””",), "cs": ("„“",),
}
_REGION_QUOTES = {"de-CH": ("«»", "‹›"), "pt-PT": ("«»", "“”")}
_DOUBLE_QUOTES = "\"“”„‟«»"
# Before these a French line puts a (narrow) no-break space: ; ! ? and : (CLDR, Imprimerie nationale).
_FRENCH_SPACED = {"fr": "!?;:", "fr-CA": ":", "fr-CH": "!?;"}
# Words a language legitimately writes twice in a row.
_LEGIT_DOUBLES = {
    "de": {"die", "der", "das", "den", "dem", "sie"},  # "die, die …": a relative clause; "lösen Sie sie ein"
    "en": {"that", "had"}, "fr": {"nous", "vous"},  # "vous vous inscrivez": a reflexive
    "nl": {"die", "dat"}, "it": {"ci"}, "es": {"que"},
}


def check_doubled_words(target: str, locale: str) -> CheckResult:
    """The same word twice in a row ("le le", "para para"), ignoring case, except the doubles a
    language has ("die die" opening a German relative clause, "vous vous" in French)."""
    allowed = _LEGIT_DOUBLES.get(loc.language(locale), set())
    text = PLACEHOLDER.sub(" ", target)
    words = [(m.group(0), m.start(), m.end()) for m in WORD.finditer(text)]
    for (first, _, end), (second, start, _) in itertools.pairwise(words):
        between = text[end:start]
        if first.casefold() == second.casefold() and between.strip(SPACES) == "" and first.casefold() not in allowed:
            return CheckResult("doubled_words", False, 0.0, f"{first!r} twice in a row", F)
    return CheckResult("doubled_words", True, 1.0, "no word doubled", F)


def _pairs(locale: str) -> tuple[str, ...] | None:
    canonical = loc.canonical(locale)
    return _REGION_QUOTES.get(canonical) or _QUOTES.get(loc.language(locale))


def check_quotes(target: str, locale: str) -> CheckResult:
    """Quotation marks are the locale's (`« … »` with inner spaces in French, `„ … “` in German),
    not straight or another language's."""
    pairs = _pairs(locale)
    used = [c for c in target if c in _DOUBLE_QUOTES]
    if pairs is None or not used:
        return CheckResult("quotes", True, 1.0, "no quotation marks to check" if pairs else
                           f"quotation marks of {loc.language(locale)} are not known", K)
    expected = f"{pairs[0][0]}…{pairs[0][1]}"
    if '"' in used:
        return CheckResult("quotes", False, 0.5, f"straight quotation marks: {locale} writes {expected}", K)
    allowed = {c for pair in pairs for c in pair}
    foreign = [c for c in used if c not in allowed]
    if foreign:
        return CheckResult("quotes", False, 0.5, f"{foreign[0]!r} is not a quotation mark of {locale}: write {expected}", K)
    if loc.language(locale) == "fr":
        bare = re.search(rf"«(?![{SPACES}])|(?<![{SPACES}])»", target)
        if bare:
            return CheckResult("quotes", False, 0.5, "French guillemets take a no-break space inside: « … »", K)
    return CheckResult("quotes", True, 1.0, f"quotation marks of {locale}", K)


def check_punctuation_spacing(target: str, locale: str) -> CheckResult:
    """The space before high punctuation: French puts a (narrow) no-break space before ; ! ? and :
    (fr-CA before : only); other languages put none. In Spanish a question or exclamation opens
    with ¿ or ¡."""
    text = PLACEHOLDER.sub("x", target)
    canonical = loc.canonical(locale)
    spaced = _FRENCH_SPACED.get(canonical, _FRENCH_SPACED["fr"] if loc.language(locale) == "fr" else "")
    for match in re.finditer(r"[!?;:]+", text):
        mark, before, after = match.group(0)[0], text[:match.start()], text[match.end():match.end() + 1]
        if mark == ":" and (re.search(r"\d$", before) and after.isdigit() or after == "/"):
            continue  # a time (10:30) or an address (https://)
        has_space = before[-1:] in SPACES if before else True
        if mark in spaced and not has_space:
            return CheckResult("punctuation_spacing", False, 0.5, f"{locale} puts a no-break space before {mark!r}", K)
        if mark not in spaced and has_space and before.strip(SPACES):
            return CheckResult("punctuation_spacing", False, 0.5, f"a space before {mark!r}, which {locale} does not put", K)
    if loc.language(locale) == "es":
        for mark, opener in (("?", "¿"), ("!", "¡")):
            for sentence in re.split(r"(?<=[.!?])\s+", text):
                if mark in sentence and opener not in sentence:
                    return CheckResult("punctuation_spacing", False, 0.5, f"Spanish opens with {opener!r} before {mark!r}", K)
    return CheckResult("punctuation_spacing", True, 1.0, f"punctuation spaced as {locale} writes it", K)
