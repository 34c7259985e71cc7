"""Checks that know how a locale writes numbers: the numbers themselves, number words
(quantities), the number format, percentages and currencies.

The source is read as en-US writes it; the target as its locale does, with the symbols CLDR gives
through Babel (`4,99` in de-DE, `1 250,5` in fr-FR, `12'000.5` in de-CH), whichever CLDR version
Babel carries. Text is normalised first so that a correct line never fails on its spelling of the
same thing: Arabic-Indic and Persian digits and separators read as digits, bidi marks are ignored,
and the plain, no-break and narrow no-break spaces are one space. Number words are read by
`text2num` (en, fr, es, pt, de, it, nl, ca). The catalogue follows the TMS QA checks (pofilter's
`numbers`, QA Distiller's language-dependent number and currency checks)."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation, getcontext, localcontext
from functools import lru_cache

from adloc import locale as loc
from adloc.checks.base import PLACEHOLDER, SPACES, CheckResult, Severity

C, F, K = Severity.CRITICAL, Severity.FUNCTIONAL, Severity.COSMETIC

# Digits, with the separators any locale groups or splits them with.
_NUM = r"\d+(?:[.,\u00a0\u202f '\u2019]\d+)*"
_NUMBER = re.compile(_NUM)
# Eastern Arabic and Persian digits, and the Arabic decimal (U+066B) and thousands (U+066C) separators.
_EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")
# Left-to-right, right-to-left and Arabic letter marks, embeddings and isolates: invisible.
_BIDI = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
# A day and month (`1.5.`, `01.05.2027`, `1/5/27`): a date, not a number in another convention.
_DATE = re.compile(r"\b\d{1,2}[./]\d{1,2}(?:[./]\d{2,4}\b|\.(?!\d))")
# Where a dot groups thousands alongside CLDR's own symbol (common in Portugal and Spain).
_DOT_GROUPING = {"pt", "es"}
# Languages text2num reads number words in.
_NUMBER_WORD_LANGUAGES = {"en", "fr", "es", "pt", "de", "it", "nl", "ca"}
_GERMAN_ORDINAL = re.compile(r"\b\w+?s?te[nrsm]?\b", re.IGNORECASE)


def normalize(text: str) -> str:
    """Digits as ASCII digits, bidi marks gone, placeholders blanked out."""
    return PLACEHOLDER.sub(" ", _BIDI.sub("", text.translate(_EASTERN_DIGITS)))


@lru_cache(maxsize=64)
def symbols(locale: str) -> tuple[str, str]:
    """(decimal symbol, group symbol) of the locale's Latin-digit numbers, from CLDR through Babel;
    a space-like group symbol is returned as a plain space."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    parsed = loc.parse(locale)
    group = get_group_symbol(parsed)
    return get_decimal_symbol(parsed), " " if group.strip() == "" else group.replace("\u2019", "'")


def _shape(token: str) -> str:
    return re.sub(f"[{SPACES}]", " ", token).replace("\u2019", "'")


@lru_cache(maxsize=256)
def _patterns(locale: str) -> re.Pattern:
    decimal, group = symbols(locale)
    groups = [re.escape(group)] + (["\\."] if loc.language(locale) in _DOT_GROUPING and decimal == "," else [])
    whole = r"\d+|" + "|".join(rf"\d{{1,3}}(?:{g}\d{{3}})+" for g in groups)
    return re.compile(rf"(?:{whole})(?:{re.escape(decimal)}\d+)?")


def written_as_locale(token: str, locale: str) -> bool:
    """Whether a number token is written the way `locale` writes numbers."""
    return _patterns(locale).fullmatch(_shape(token)) is not None


def value_in(token: str, locale: str | None) -> Decimal | None:
    """A number token's value read in the locale's convention, or by its shape where it is not
    written that way (a last group of one or two digits is the decimals: `4.99` in German copy)."""
    shaped = _shape(token)
    if locale and written_as_locale(shaped, locale):
        whole, _, fraction = shaped.partition(symbols(locale)[0])
        digits = re.sub(r"[ .,']", "", whole) + ("." + fraction if fraction else "")
    else:
        parts = re.split(r"[ .,']", shaped)
        short = len(parts) > 1 and len(parts[-1]) in (1, 2)
        digits = "".join(parts[:-1]) + "." + parts[-1] if short else "".join(parts)
    try:
        with localcontext() as ctx:  # exact however many digits (Decimal's default keeps 28)
            ctx.prec = max(ctx.prec, len(digits))
            return Decimal(digits).normalize()
    except InvalidOperation:
        return None


def tokens(text: str, locale: str | None = "en-US", spaced: bool | None = None) -> list[tuple[str, int, int]]:
    """The number tokens of a normalised line, as (token, start, end). A space between digits
    groups them (`1 250`) where the locale groups with a space and the digits fit its grouping;
    anywhere else (`0800 123 456`) it separates numbers. `spaced` forces one reading."""
    group = symbols(locale)[1] if locale else " "
    found = []
    for match in _NUMBER.finditer(text):
        raw = match.group(0)
        if spaced is None:
            fits = written_as_locale(raw, locale) if locale else re.fullmatch(r"\d{1,3}(?: \d{3})+", _shape(raw))
            grouped = group == " " and bool(fits)
        else:
            grouped = spaced
        if re.search(f"[{SPACES}]", raw) and not grouped:
            for part in re.finditer(f"[^{SPACES}]+", raw):
                found.append((part.group(0), match.start() + part.start(), match.start() + part.end()))
        else:
            found.append((raw, match.start(), match.end()))
    return found


def digit_values(text: str, locale: str | None = "en-US", spaced: bool | None = None) -> Counter:
    """The numbers written with digits, as values."""
    plain = normalize(text)
    return Counter(v for raw, _, _ in tokens(plain, locale, spaced) if (v := value_in(raw, locale)) is not None)


def word_values(text: str, locale: str) -> Counter | None:
    """The numbers written as words (`four`, `vingt-cinq`), as values; one is left out, as the
    articles of most of these languages are also the word for it (`un café`, `ein Kaffee`). None
    where number words are not read in the language."""
    found = _word_values(text, loc.language(locale))
    return None if found is None else Counter(dict(found))


@lru_cache(maxsize=4096)  # an item's source is read once for all its locales and checks
def _word_values(text: str, language: str) -> tuple[tuple[Decimal, int], ...] | None:
    if language not in _NUMBER_WORD_LANGUAGES:
        return None
    from text_to_num import alpha2digit

    plain = normalize(text)
    if language == "de":  # German ordinals come back as "2." (zweite), like a cardinal ending a sentence
        plain = _GERMAN_ORDINAL.sub(" ", plain)
    # Isolated numbers from two up are read; ordinals ("2nd", "1er", "2ª") are no quantity.
    converted = alpha2digit(plain, language, threshold=1)

    def cardinals(line: str) -> Counter:
        return Counter(v for raw, _, end in tokens(line, "en-US")
                       if not re.match(r"[^\W\d_]|[ºª]", line[end:end + 1]) and (v := value_in(raw, None)) is not None)

    words = cardinals(converted) - cardinals(plain)
    return tuple(sorted((v, n) for v, n in words.items() if v > 1))


def _listed(values) -> str:
    return ", ".join(format(v, "f") for v in sorted(values))  # format: a normalised 20 prints as 2E+1


def check_numbers(source: str, target: str, locale: str | None = None) -> CheckResult:
    """The numbers written with digits: each source number is in the target (with digits, or as a
    word: `2` may become `zwei`), and the target adds none the source lacks in digits or words
    (`Buy two` may become `2`). The source is en-US; a target without a locale is read by shape."""
    want, want_words = digit_values(source), word_values(source, "en-US") or Counter()
    words = (word_values(target, locale) if locale else None) or Counter()

    def same(got: Counter) -> bool:
        # Every number kept, nothing new; a kept number may come back ("24 heures sur 24").
        return not want - got - words and set(got) <= set(want + want_words)

    got = digit_values(target, locale)
    # A space between digits groups them in some conventions (`1 250`) and separates numbers in
    # others (`0800 123 456`): either reading of the target may match the source.
    if not same(got):
        got = next((g for g in (digit_values(target, locale, s) for s in (True, False)) if same(g)), got)
    if same(got):
        return CheckResult("numbers", True, 1.0, f"{sum(want.values())} number(s) kept", C)
    missing = _listed((want - got - words).elements())
    extra = _listed(v for v in (got - want).elements() if v not in want_words)
    detail = "; ".join(p for p in (f"missing {missing}" if missing else "", f"added {extra}" if extra else "") if p)
    return CheckResult("numbers", False, 0.0, detail, C)


def check_quantities(source: str, target: str, locale: str) -> CheckResult:
    """Numbers written as words count as those numbers in both languages: `Four cookies` must not
    become three, `Buy two` may become `2` or `zwei`. Words for one are not counted (articles)."""
    said = word_values(source, "en-US") or Counter()
    words = word_values(target, locale)
    if words is None:
        if said:
            return CheckResult("quantities", True, 1.0,
                               f"number words are not read in {loc.language(locale)}: {_listed(said)} not checked", F)
        words = Counter()
    src_all, tgt_all = digit_values(source) + said, digit_values(target, locale) + words
    lost = [v for v in said if v not in tgt_all]
    added = [v for v in words if v not in src_all]
    if lost or added:
        parts = ([f"{_listed(lost)} (a number word of the source) is gone"] if lost else []) + (
            [f"adds the number word {_listed(added)}"] if added else [])
        return CheckResult("quantities", False, 0.0, "; ".join(parts), C)
    return CheckResult("quantities", True, 1.0, f"{sum(said.values())} number word(s) kept", C)


def check_number_format(target: str, locale: str) -> CheckResult:
    """Every number is written in the locale's convention: `3.75` fails in fr-FR (3,75), `1.5` in
    es-ES, a German `12.000,00` in de-CH (12'000.00); every form the locale uses passes (grouped or
    not, any of the spaces, a dot grouping thousands in Portugal and Spain). Dates pass."""
    plain = normalize(target)
    dates = [m.span() for m in _DATE.finditer(plain)]
    for raw, start, end in tokens(plain, locale):
        if any(a <= start and end <= b for a, b in dates) or written_as_locale(raw, locale):
            continue
        value, parts = value_in(raw, None), re.split(r"[ .,'\u00a0\u202f\u2019]", raw)
        places = len(parts[-1]) if len(parts) > 1 and len(parts[-1]) in (1, 2) else 0
        suggestion = f" (write {_written(value, places, locale)})" if value is not None else ""
        return CheckResult("number_format", False, 0.0,
                           f"{raw!r} is not how {locale} writes numbers{suggestion}", F)
    return CheckResult("number_format", True, 1.0, f"numbers written as {locale} writes them", F)


def _wide_enough(value: Decimal, places: int = 0):
    """A decimal context in which `value` (any number of digits a line may hold) divides and rounds
    to `places` decimals exactly: Decimal's default keeps 28 digits and Babel's rounding raises
    InvalidOperation past them."""
    wide = getcontext().copy()
    wide.prec = max(wide.prec, Decimal(value).adjusted() + places + 4)
    return localcontext(wide)


def _written(value: Decimal, places: int, locale: str) -> str:
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * places if places else "")
    with _wide_enough(value, places):
        return format_decimal(value, format=pattern, locale=loc.parse(locale))


# --- percentages ------------------------------------------------------------------------------

# The words a language may write "percent" with instead of the sign.
_PERCENT_WORDS = {
    "en": r"per ?cent", "de": r"Prozent", "fr": r"pour ?cent", "es": r"por ?ciento", "pt": r"por ?cento",
    "it": r"per ?cento", "nl": r"procent", "pl": r"procent\w*", "ar": r"(?:في|بال)\s?المائ?ة",
}
def _percentages(text: str, locale: str) -> list[tuple[Decimal, str]]:
    """(value, as written) for each percentage: a number with the sign (`%`, Arabic `٪`) before or
    after it, or with the language's word for percent."""
    plain = normalize(text).replace("\u066a", "%")
    word = _PERCENT_WORDS.get(loc.language(locale))
    pattern = rf"%[{SPACES}]?{_NUM}|{_NUM}[{SPACES}]?%" + (rf"|{_NUM}[{SPACES}]?(?i:{word})\b" if word else "")
    found = []
    for match in re.finditer(pattern, plain):
        number = re.search(_NUM, match.group(0)).group(0)
        value = value_in(number.strip(SPACES), locale)
        if value is not None:
            found.append((value, match.group(0)))
    return found


@lru_cache(maxsize=64)
def _percent_shape(locale: str) -> tuple[bool, bool]:
    """(sign before the number, space between them) as the locale writes percentages (CLDR)."""
    from babel.numbers import format_percent

    written = _BIDI.sub("", format_percent(0.2, locale=loc.parse(locale)))
    before = written.strip().startswith("%")
    return before, bool(re.search(f"[{SPACES}]", written))


def check_percent(source: str, target: str, locale: str) -> CheckResult:
    """A percentage stays a percentage with the same value (`20% off` must not become `20 off` or
    `30%`), written in the locale's percent format (`20 %` in fr-FR and de-DE, `%20` in tr-TR); a
    format-only difference is cosmetic."""
    want = Counter(v for v, _ in _percentages(source, "en-US"))
    found = _percentages(target, locale)
    got = Counter(v for v, _ in found)
    lost, added = want - got, got - want
    if lost or added:
        bare = digit_values(target, locale)
        parts = [f"{_listed([v])}% " + ("lost its percent sign" if v in bare else "is gone") for v in sorted(lost)]
        parts += [f"adds {_listed([v])}%" for v in sorted(added)]
        return CheckResult("percent", False, 0.0, "; ".join(parts), C)
    before, spaced = _percent_shape(locale)
    for value, written in found:
        if "%" not in written:
            continue  # written as a word
        sign_first = written.startswith("%")
        has_space = bool(re.search(f"[{SPACES}]", written))
        # Where CLDR writes no space, a spaced `20 %` is still what the language's norms allow
        # (Spanish and Portuguese orthographies recommend it): only a missing space is flagged.
        if sign_first != before or (spaced and not has_space):
            from babel.numbers import format_percent

            with _wide_enough(value, 2):
                shown = format_percent(value / 100, locale=loc.parse(locale))
            expected = re.sub(f"[{SPACES}]", " ", _BIDI.sub("", shown))
            space = " (a no-break space between)" if spaced else ""
            return CheckResult("percent", False, 0.5, f"'{written}': {locale} writes '{expected}'{space}", K)
    return CheckResult("percent", True, 1.0, f"{sum(want.values())} percentage(s) kept", C)


# --- currencies -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _current_currencies() -> tuple[str, ...]:
    """The currencies some territory uses today (CLDR), not the historic ones."""
    from babel.core import get_global

    return tuple(sorted({entry[0] for entries in get_global("territory_currencies").values() for entry in entries
                         if entry[2] is None and entry[3]}))


# Codes that are also words in an all-caps line ("TOP 10", "ALL 3"): a code only with a sign.
_WORDS = frozenset({"ALL", "TOP", "CUP", "PEN", "MOP", "GEL", "BOB", "SOS", "CAD", "BAM", "MAD", "FOR", "TRY"})


@lru_cache(maxsize=64)
def _currency_signs(locale: str) -> dict[str, str]:
    """Sign or code -> the currency it names for a reader of the locale: every ISO code, the
    locale's own symbols (`$` is the peso in es-MX, the dollar in en-US and de-DE) and the signs
    that name one currency everywhere (`€`, `£`)."""
    from babel.numbers import get_currency_symbol

    parsed = loc.parse(locale)
    codes = _current_currencies()
    signs: dict[str, str] = {code: code for code in codes if code not in _WORDS}
    everywhere = {"€": "EUR", "£": "GBP", "₹": "INR", "₽": "RUB", "₺": "TRY", "₩": "KRW", "₪": "ILS", "₫": "VND"}
    signs.update(everywhere)
    own = {}
    for code in codes:
        symbol = _BIDI.sub("", get_currency_symbol(code, parsed))
        if symbol and symbol != code and not re.fullmatch("[A-Za-z]", symbol):
            own.setdefault(symbol, code)
    # The international forms with letters ("US$", "MX$", "CA$") name one currency wherever they appear.
    for code in codes:
        for reference in ("en", "en_GB"):
            symbol = get_currency_symbol(code, reference)
            if re.search("[A-Za-z]", symbol) and re.search("[^A-Za-z]", symbol):
                own.setdefault(symbol, code)
    # The locale's own currency wins its sign (`$` in es-MX is MXN, not another peso or dollar).
    territory_currency = _local_currency(locale)
    if territory_currency:
        own[_BIDI.sub("", get_currency_symbol(territory_currency, parsed))] = territory_currency
    signs.update(own)
    return signs


@lru_cache(maxsize=64)
def _local_currency(locale: str) -> str | None:
    from babel.numbers import get_territory_currencies

    territory = loc.parse(locale).territory
    found = get_territory_currencies(territory) if territory else []
    return found[0] if found else None


@lru_cache(maxsize=64)
def _mention_pattern(locale: str) -> re.Pattern:
    """An amount (a number or a {placeholder}) with one of the locale's currency signs before or
    after it; a code or lettered sign is a word of its own ("EUR", "MX$"), not the end of one."""
    sign = "|".join(re.escape(s) for s in sorted(_currency_signs(locale), key=len, reverse=True))
    amount = rf"{_NUM}|\{{[A-Za-z_0-9]+\}}"
    return re.compile(rf"(?<![A-Za-z])(?P<s1>{sign})(?P<sp1>[{SPACES}]?)(?:{amount})"
                      rf"|(?:{amount})(?P<sp2>[{SPACES}]?)(?P<s2>{sign})(?![A-Za-z])")


def _mentions(text: str, locale: str) -> list[tuple[str, str, bool, bool]]:
    """(currency code, sign as written, sign before the amount, space between) for each amount
    written with a currency sign or code."""
    signs = _currency_signs(locale)
    plain = _BIDI.sub("", text.translate(_EASTERN_DIGITS))
    found = []
    for m in _mention_pattern(locale).finditer(plain):
        written = m.group("s1") or m.group("s2")
        found.append((signs[written], written, m.group("s1") is not None, bool(m.group("sp1") or m.group("sp2"))))
    return found


@lru_cache(maxsize=256)
def _currency_shape(code: str, locale: str) -> tuple[bool, bool, str]:
    """(sign before the amount, space between, an example) as the locale writes this currency."""
    from babel.numbers import format_currency

    written = _BIDI.sub("", format_currency(3, code, locale=loc.parse(locale)))
    return not written[0].isdigit(), bool(re.search(f"[{SPACES}]", written)), written


def check_currency(source: str, target: str, locale: str) -> CheckResult:
    """A currency in the source stays the same currency (`£3` must not become `3 €`; `$` is the
    peso in es-MX, so a dollar price there is `USD 5` or `US$5`), none is added, and each is placed
    and spaced as the locale writes that currency (CLDR: after the amount in pt-PT and it-IT,
    before it in en-IE and nl-NL); placement is functional, spacing cosmetic."""
    want = Counter(code for code, *_ in _mentions(source, "en-US"))
    found = _mentions(target, locale)
    got = Counter(code for code, *_ in found)
    lost, added = want - got, got - want
    if lost or added:
        if lost and added:
            detail = f"{', '.join(sorted(lost))} became {', '.join(sorted(added))}"
        elif lost:
            detail = f"the currency {', '.join(sorted(lost))} is gone"
        else:
            detail = f"adds the currency {', '.join(sorted(added))}, which the source lacks"
        return CheckResult("currency", False, 0.0, detail, C)
    for code, written, before, spaced in found:
        want_before, want_space, example = _currency_shape(code, locale)
        if before != want_before:
            where = "before" if want_before else "after"
            return CheckResult("currency", False, 0.0, f"{written!r} goes {where} the amount in {locale} ({example})", F)
        if spaced != want_space:
            return CheckResult("currency", False, 0.5, f"{written!r} is spaced otherwise in {locale} ({example})", K)
    return CheckResult("currency", True, 1.0, f"{sum(want.values())} currency amount(s) kept", C)
