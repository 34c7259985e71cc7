"""Copy checks: does a localized line keep everything the source line promised?

The ideas follow the classic translation QA catalogues (placeholders, numbers, markup, URLs,
untranslated, repetition, whitespace, punctuation) plus what ads need: do-not-translate terms,
glossary renderings, banned claims, a character budget and the target language.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from functools import lru_cache

from adloc import locale as loc
from adloc.checks.base import PLACEHOLDER as _PLACEHOLDER
from adloc.checks.base import WORD as _WORD
from adloc.checks.base import CheckResult, Severity
from adloc.checks.icu import check_icu
from adloc.checks.numbers import (
    check_currency,
    check_number_format,
    check_numbers,
    check_percent,
    check_quantities,
)
from adloc.checks.register import check_register
from adloc.checks.typography import check_doubled_words, check_punctuation_spacing, check_quotes
from adloc.records import Formality, GlossaryTerm, TMEntry
from adloc.translation_memory import tm_key as normalize_line

log = logging.getLogger(__name__)

C, F, K = Severity.CRITICAL, Severity.FUNCTIONAL, Severity.COSMETIC

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
# Bare domains are recognized by common top-level domains: any TLD would flag "z.B." and "etc.".
_TLDS = ("com|net|org|info|biz|io|co|app|shop|store|online|site|xyz|me|tv|ly|eu|uk|us|ca|au|de|fr|pt|es|"
         "mx|ae|it|nl|pl|se|tr|br|ar|ru|jp|cn|in|ch|at|be|sa|eg")
# A bare domain's top-level part in lower case: "now.It's" is a missing space, "Acme.com" an address.
_URL = re.compile(rf"(?i:(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+\b)|\b[\w-]+\.(?:{_TLDS})\b")
# Phrases a model adds when it talks about the task instead of doing it.
_CHATTER = re.compile(r"\b(translat\w*|übersetz\w*|tradu\w*|note:|explanation)(?:\b|(?<=:))", re.IGNORECASE)
# "Here is ..." opens a model's chatter; inside a line ("das hier ist für euch") it is just German.
_OPENER = re.compile(r"^\W*(here is|here's|voici|hier ist|aqui está|aquí está)\b", re.IGNORECASE)
_ASIDE = re.compile(r"\([^()]*\)")  # a parenthetical: a translator's or a model's note
# A line fails the language check only when the identifier is sure it is another language: the
# expected language's probability under this share of the winner's is "another language"; above
# it, the line is too short or too mixed to tell (measured on the eval set's 724 references:
# 23 false alarms with a strict top-1 rule, 2 with this one, every wrong-language line still caught).
_LANGUAGE_MARGIN = 0.25
_LANGID_CANDIDATES = [
    "en", "de", "fr", "es", "pt", "it", "nl", "ar", "pl", "sv", "tr", "ru", "ja", "zh", "ko",
    "da", "no", "fi", "cs", "ro", "hu", "el", "he", "id", "vi", "th", "hi",
]  # fmt: skip


_LANGID_ALIASES = {"nb": "no", "nn": "no"}  # Babel's Norwegian codes, langid's one


def _strip_protected(text: str, keep_terms: tuple[str, ...] = ()) -> str:
    text = _PLACEHOLDER.sub(" ", _TAG.sub(" ", text))
    for term in keep_terms:
        text = re.sub(re.escape(term), " ", text, flags=re.IGNORECASE)
    return text


def check_placeholders(source: str, target: str) -> CheckResult:
    want, got = Counter(_PLACEHOLDER.findall(source)), Counter(_PLACEHOLDER.findall(target))
    if want == got:
        return CheckResult("placeholders", True, 1.0, f"{sum(want.values())} placeholder(s) kept", C)
    missing, extra = sorted((want - got).elements()), sorted((got - want).elements())
    detail = "; ".join(
        part
        for part in (f"missing {', '.join(missing)}" if missing else "", f"added {', '.join(extra)}" if extra else "")
        if part
    )
    return CheckResult("placeholders", False, 0.0, detail, C)


def check_markup(source: str, target: str) -> CheckResult:
    want, got = Counter(_TAG.findall(source)), Counter(_TAG.findall(target))
    if want == got:
        return CheckResult("markup", True, 1.0, f"{sum(want.values())} tag(s) kept", C)
    return CheckResult("markup", False, 0.0, f"tags differ: source {sorted(want)} target {sorted(got)}", C)


def check_urls(source: str, target: str) -> CheckResult:
    # A URL followed by punctuation (`www.acme.com.`) is the URL: the punctuation is the sentence's.
    found = [u.rstrip(".,;:!?)]}»\"'") for u in _URL.findall(target)]
    added = [u for u in found if u.lower() not in source.lower()]
    if added:
        return CheckResult("urls", False, 0.0, f"target adds {', '.join(added)}, which the source lacks", C)
    return CheckResult("urls", True, 1.0, "no URL or e-mail added", C)


def check_keep_terms(source: str, target: str, keep_terms: tuple[str, ...]) -> CheckResult:
    needed = [t for t in keep_terms if t.lower() in source.lower()]
    # The target keeps each term as the source spells it (`ACME` in an all-caps headline, `acme` in a URL).
    forms = {t: re.findall(re.escape(t), source, re.IGNORECASE) or [t] for t in needed}
    lost = [t for t in needed if any(form not in target for form in forms[t])]
    if lost:
        return CheckResult("keep_terms", False, 0.0, f"do-not-translate term(s) changed or missing: {', '.join(lost)}", C)
    return CheckResult("keep_terms", True, 1.0, f"{len(needed)} do-not-translate term(s) intact", C)


def check_glossary(source: str, target: str, glossary: tuple[GlossaryTerm, ...]) -> list[CheckResult]:
    results = []
    required = [g for g in glossary if g.kind == "required" and g.term.lower() in source.lower()]
    missing = [f"{g.term} -> {g.rendering}" for g in required if g.rendering.lower() not in target.lower()]
    results.append(
        CheckResult("glossary_required", False, 0.0, f"required rendering missing: {'; '.join(missing)}", F)
        if missing
        else CheckResult("glossary_required", True, 1.0, f"{len(required)} required rendering(s) used", F)
    )
    banned = [g.term for g in glossary if g.kind == "banned" and g.term.lower() in target.lower()]
    results.append(
        CheckResult("glossary_banned", False, 0.0, f"banned term(s) present: {', '.join(banned)}", C)
        if banned
        else CheckResult("glossary_banned", True, 1.0, "no banned term", C)
    )
    return results


def check_length(source: str, target: str, max_chars: int | None) -> CheckResult:
    n = len(target)
    if max_chars is not None and n > max_chars:
        return CheckResult("length", False, max_chars / n, f"{n} characters, over the budget of {max_chars}", F)
    floor = max(1, int(len(source) * 0.3))
    if n < floor:
        return CheckResult("length", False, n / floor, f"{n} characters, suspiciously short for a {len(source)}-character source", F)
    budget = f" of {max_chars}" if max_chars is not None else ""
    return CheckResult("length", True, 1.0, f"{n} characters{budget}", F)


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(_LANGID_CANDIDATES)
    return identifier


def check_language(target: str, locale: str, keep_terms: tuple[str, ...] = ()) -> CheckResult:
    """The target's language, identified by py3langid among common languages, is the locale's."""
    text = _strip_protected(target, keep_terms)
    expected = _LANGID_ALIASES.get(loc.language(locale), loc.language(locale))
    if expected not in _LANGID_CANDIDATES:
        return CheckResult("language", True, 1.0, f"{expected} is not among the identifiable languages", F)
    if len(_WORD.findall(text)) < 2:
        return CheckResult("language", True, 1.0, "too few words to identify a language", F)
    ranked = _identifier().rank(text)
    found, prob = ranked[0]
    if found == expected:
        return CheckResult("language", True, float(prob), f"identified as {found} ({prob:.2f})", F)
    close = dict(ranked).get(expected, 0.0)
    if close >= _LANGUAGE_MARGIN * prob:
        return CheckResult("language", True, float(close),
                           f"{found} ({prob:.2f}) and {expected} ({close:.2f}) are too close to tell apart", F)
    return CheckResult("language", False, 0.0, f"identified as {found} ({prob:.2f}), expected {expected}", F)


def check_untranslated(source: str, target: str, locale: str, keep_terms: tuple[str, ...] = ()) -> CheckResult:
    if loc.language(locale) == "en":
        return CheckResult("untranslated", True, 1.0, "target locale is English", F)
    src = {w.lower() for w in _WORD.findall(_strip_protected(source, keep_terms))}
    tgt = [w.lower() for w in _WORD.findall(_strip_protected(target, keep_terms))]
    if not src or not tgt:
        return CheckResult("untranslated", True, 1.0, "nothing translatable", F)
    shared = sum(1 for w in tgt if w in src and len(w) > 2) / len(tgt)
    if source.strip() == target.strip() or shared > 0.6:
        return CheckResult("untranslated", False, 1 - shared, f"{shared:.0%} of the target's words are the source's", F)
    return CheckResult("untranslated", True, 1 - shared, f"{shared:.0%} of the target's words are the source's", F)


def check_repetition(target: str) -> CheckResult:
    words = [w.lower() for w in _WORD.findall(target)]
    for n in (1, 2, 3):
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        for i in range(len(grams) - 2 * n):
            if grams[i] == grams[i + n] == grams[i + 2 * n]:
                return CheckResult("repetition", False, 0.0, f"'{' '.join(grams[i])}' repeats three times in a row", F)
    common = Counter(w for w in words if len(w) > 3).most_common(1)
    if common and common[0][1] > 3:
        return CheckResult("repetition", False, 0.0, f"'{common[0][0]}' appears {common[0][1]} times", F)
    return CheckResult("repetition", True, 1.0, "no degenerate repetition", F)


def check_added_content(source: str, target: str) -> CheckResult:
    """The target says only what the source says: no extra lines, no talk about translating."""
    if "\n" in target.strip() and "\n" not in source:
        return CheckResult("added_content", False, 0.0, "target has several lines; the source has one", F)
    chatter = [m for m in _OPENER.findall(target) + _CHATTER.findall(target) if m.lower() not in source.lower()]
    if chatter:
        return CheckResult("added_content", False, 0.0, f"target adds text the source lacks: {chatter[0]!r}", F)
    asides = _ASIDE.findall(target)
    if asides and not _ASIDE.search(source):
        return CheckResult("added_content", False, 0.0, f"target adds a note in parentheses: {asides[0]!r}", F)
    return CheckResult("added_content", True, 1.0, "nothing added", F)


def check_whitespace(target: str) -> CheckResult:
    if target != target.strip():
        return CheckResult("whitespace", False, 0.0, "leading or trailing whitespace", K)
    if "  " in target:
        return CheckResult("whitespace", False, 0.0, "double space", K)
    return CheckResult("whitespace", True, 1.0, "clean", K)


_END = {"!": "!¡", "?": "?¿؟", ".": ".。۔"}


def check_punctuation(source: str, target: str) -> CheckResult:
    s, t = source.rstrip(), target.rstrip()
    end = s[-1:] if s[-1:] in _END else ""
    if end and t[-1:] not in _END[end]:
        return CheckResult("punctuation", False, 0.0, f"source ends with {end!r}, target with {t[-1:]!r}", K)
    return CheckResult("punctuation", True, 1.0, "ending punctuation kept", K)


def check_not_copied(source: str, target: str, examples: tuple[TMEntry, ...]) -> CheckResult:
    """The target is not a translation-memory example's target for a different source line: a small
    model shown examples tends to repeat one, which reads well and says the wrong thing."""
    for example in examples:
        if normalize_line(example.target) == normalize_line(target) and normalize_line(example.source) != normalize_line(source):
            return CheckResult("not_copied", False, 0.0,
                               f"repeats the translation of a different line, {example.source!r}", F)
    return CheckResult("not_copied", True, 1.0, f"differs from the {len(examples)} example(s) it was shown", F)


def check_copy(
    source: str,
    target: str,
    locale: str,
    keep_terms: tuple[str, ...] = (),
    max_chars: int | None = None,
    glossary: tuple[GlossaryTerm, ...] = (),
    examples: tuple[TMEntry, ...] = (),
    formality: Formality | None = None,
) -> list[CheckResult]:
    """Every copy check on one source/target pair, in a fixed order. `examples` are the translation
    memory lines the model was shown for it; `formality` the register the job asks for. A check that
    raises on a line (a model writes anything) fails that line critically instead (`_guarded`)."""
    runs = [
        (check_placeholders, source, target),
        (check_markup, source, target),
        (check_icu, source, target, locale),
        (check_urls, source, target),
        (check_numbers, source, target, locale),
        (check_quantities, source, target, locale),
        (check_number_format, target, locale),
        (check_percent, source, target, locale),
        (check_currency, source, target, locale),
        (check_keep_terms, source, target, keep_terms),
        (check_glossary, source, target, glossary),
        (check_length, source, target, max_chars),
        (check_language, target, locale, keep_terms),
        (check_untranslated, source, target, locale, keep_terms),
        (check_register, target, locale, formality),
        (check_repetition, target),
        (check_doubled_words, target, locale),
        (check_added_content, source, target),
        (check_whitespace, target),
        (check_punctuation, source, target),
        (check_punctuation_spacing, target, locale),
        (check_quotes, target, locale),
        (check_not_copied, source, target, examples),
    ]
    return [result for check, *args in runs for result in _guarded(check, *args)]


def _guarded(check, *args) -> list[CheckResult]:
    """A check's result (or results: the glossary gives one per term). A check that raises on a
    line it cannot read fails the line, critically, naming the error: the line is held for review
    and the item, the job and the eval go on."""
    try:
        found = check(*args)
    except Exception as exc:  # noqa: BLE001 - a model may write anything; no line may stop a job
        name = check.__name__.removeprefix("check_")
        log.warning("the %s check raised on %r: %s: %s", name, args, type(exc).__name__, exc)
        return [CheckResult(name, False, 0.0, f"the check could not read this line ({type(exc).__name__}: {exc})",
                            Severity.CRITICAL)]
    return found if isinstance(found, list) else [found]
