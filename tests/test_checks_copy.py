"""Copy checks: one passing and one failing case per check, with the detail each one reports."""

from __future__ import annotations

import re

import pytest

from adloc import locale as loc
from adloc.checks.base import Severity, blocking_failures
from adloc.checks.copy import (
    check_added_content,
    check_copy,
    check_glossary,
    check_keep_terms,
    check_language,
    check_length,
    check_markup,
    check_numbers,
    check_placeholders,
    check_punctuation,
    check_repetition,
    check_untranslated,
    check_urls,
    check_whitespace,
)
from adloc.records import GlossaryTerm

C, F, K = Severity.CRITICAL, Severity.FUNCTIONAL, Severity.COSMETIC


# --- placeholders -----------------------------------------------------------------------------


def test_placeholders_kept():
    r = check_placeholders("Order now for {price}", "Jetzt für {price} bestellen")
    assert (r.name, r.passed, r.severity) == ("placeholders", True, C)
    assert r.detail == "1 placeholder(s) kept"


def test_placeholders_printf_style_kept_in_any_order():
    r = check_placeholders("%(count)d cups for %s", "%s: %(count)d tazas")
    assert r.passed
    assert r.detail == "2 placeholder(s) kept"


def test_placeholder_missing_is_named():
    r = check_placeholders("Order now for {price}", "Jetzt für 4,99 € bestellen")
    assert (r.name, r.passed, r.severity) == ("placeholders", False, C)
    assert r.score == 0.0
    assert r.detail == "missing {price}"


def test_placeholder_renamed_reports_missing_and_added():
    r = check_placeholders("Order now for {price}", "Jetzt für {preis} bestellen")
    assert not r.passed
    assert r.detail == "missing {price}; added {preis}"


def test_placeholder_duplicated_counts_as_added():
    r = check_placeholders("Hi {name}", "Hallo {name}, {name}")
    assert not r.passed
    assert r.detail == "added {name}"


# --- markup -----------------------------------------------------------------------------------


def test_markup_kept():
    r = check_markup("<b>Save</b> today", "<b>Spare</b> heute")
    assert (r.name, r.passed, r.severity) == ("markup", True, C)
    assert r.detail == "2 tag(s) kept"


def test_markup_dropped_fails_and_lists_tags():
    r = check_markup("<b>Save</b> today", "Spare heute")
    assert (r.name, r.passed, r.severity) == ("markup", False, C)
    assert "<b>" in r.detail and "</b>" in r.detail
    assert r.detail.endswith("target []")


# --- urls -------------------------------------------------------------------------------------


def test_urls_same_url_passes():
    r = check_urls("Order at www.acme.com today", "Bestellen Sie heute auf www.acme.com")
    assert (r.name, r.passed, r.severity) == ("urls", True, C)
    assert r.detail == "no URL or e-mail added"


def test_urls_same_url_before_different_punctuation_passes():
    # The sentence's full stop after the URL is not part of the URL.
    r = check_urls("Order at www.acme.com/spring now", "Jetzt bestellen auf www.acme.com/spring.")
    assert r.passed, r.detail


def test_urls_added_url_fails_and_names_it():
    r = check_urls("Order now", "Jetzt bestellen auf https://win-prizes.example/now")
    assert (r.name, r.passed, r.severity) == ("urls", False, C)
    assert "https://win-prizes.example/now" in r.detail
    assert "which the source lacks" in r.detail


def test_urls_added_bare_domain_and_email_fail():
    r = check_urls("Order now", "Jetzt bestellen: acme-deals.de oder promo@acme-deals.de")
    assert not r.passed
    assert "acme-deals.de" in r.detail
    assert "promo@acme-deals.de" in r.detail


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, target",
    [
        ("Only 4.99 this week", "Nur 4,99 diese Woche"),  # decimal comma
        ("Save 20% today", "Économisez 20 % aujourd'hui"),  # space before the percent sign
        ("Save 1,250 points", "Sammeln Sie 1.250 Punkte"),  # thousands separator swapped
        ("Save 1,250 points", "Gagnez 1\u202f250 points"),  # narrow no-break space
        ("2 for 4.99", "2 für 4,99"),
        ("Only 4.99", "فقط ٤٫٩٩"),  # Eastern Arabic digits, Arabic decimal separator
        ("Only 4.99", "فقط ٤.٩٩"),
        ("Save 1,250", "وفر ١٬٢٥٠"),  # Arabic thousands separator
        ("Order now for {price}", "Jetzt für {price} bestellen"),  # placeholders are not numbers
    ],
)
def test_numbers_equal_across_locales(source, target):
    r = check_numbers(source, target)
    assert (r.name, r.passed, r.severity) == ("numbers", True, C), r.detail
    assert r.detail.endswith("number(s) kept")


def test_numbers_changed_price_fails_and_names_both():
    r = check_numbers("Only 4.99 this week", "Nur 5,99 diese Woche")
    assert (r.name, r.passed, r.severity) == ("numbers", False, C)
    assert r.detail == "missing 4.99; added 5.99"


def test_numbers_changed_percentage_named_in_plain_notation():
    r = check_numbers("Save 20% today", "Spare heute 30 %")
    assert not r.passed
    assert r.detail == "missing 20; added 30"


def test_numbers_changed_eastern_arabic_price_fails():
    r = check_numbers("Only 4.99", "فقط ٥٫٩٩")
    assert not r.passed
    assert r.detail == "missing 4.99; added 5.99"


def test_numbers_dropped_count_fails():
    r = check_numbers("2 for 4.99", "Zwei für 4,99")
    assert not r.passed
    assert r.detail == "missing 2"


@pytest.mark.parametrize("tag", ["pt-PT", "de-DE", "fr-FR", "es-MX", "ar-AE"])
def test_numbers_accepts_the_locales_own_formatting(tag):
    filled = loc.fill_placeholders("{price} / {count}", {"price": 1250.5, "count": 3}, tag)
    assert check_numbers("1,250.50 / 3", filled).passed, filled


# --- keep terms -------------------------------------------------------------------------------


def test_keep_terms_intact():
    r = check_keep_terms("Start your day with Acme", "Comece o dia com Acme", ("Acme", "Brewly"))
    assert (r.name, r.passed, r.severity) == ("keep_terms", True, C)
    assert r.detail == "1 do-not-translate term(s) intact"  # Brewly is not in the source


def test_keep_terms_follow_the_source_spelling():
    # An all-caps headline and a URL spell the term differently; kept verbatim, both pass.
    r = check_keep_terms("ACME SPRING SALE", "PROMOÇÃO DE PRIMAVERA ACME", ("Acme",))
    assert r.passed, r.detail
    r = check_keep_terms("Visit www.acme.com", "Visite www.acme.com", ("Acme",))
    assert r.passed, r.detail


def test_keep_terms_translated_term_fails():
    r = check_keep_terms("ACME SPRING SALE", "PROMOÇÃO DE PRIMAVERA", ("Acme",))
    assert not r.passed
    assert r.detail == "do-not-translate term(s) changed or missing: Acme"


def test_keep_terms_changed_case_fails_and_names_term():
    r = check_keep_terms("Start your day with Acme", "Comece o dia com acme", ("Acme",))
    assert (r.name, r.passed, r.severity) == ("keep_terms", False, C)
    assert r.detail == "do-not-translate term(s) changed or missing: Acme"


# --- glossary ---------------------------------------------------------------------------------

GLOSSARY = (
    GlossaryTerm("iced coffee", "required", "café gelado"),
    GlossaryTerm("garantido", "banned"),
)


def test_glossary_required_and_banned_pass():
    required, banned = check_glossary(
        "Take a break with an iced coffee", "Faça uma pausa com um café gelado", GLOSSARY
    )
    assert (required.name, required.passed, required.severity) == ("glossary_required", True, F)
    assert required.detail == "1 required rendering(s) used"
    assert (banned.name, banned.passed, banned.severity) == ("glossary_banned", True, C)
    assert banned.detail == "no banned term"


def test_glossary_required_rendering_missing():
    required, banned = check_glossary(
        "Take a break with an iced coffee", "Faça uma pausa com um café frio", GLOSSARY
    )
    assert (required.name, required.passed, required.severity) == ("glossary_required", False, F)
    assert required.detail == "required rendering missing: iced coffee -> café gelado"
    assert banned.passed


def test_glossary_banned_term_present():
    required, banned = check_glossary("The best coffee", "O melhor café, sabor Garantido", GLOSSARY)
    assert required.passed and required.detail == "0 required rendering(s) used"
    assert (banned.name, banned.passed, banned.severity) == ("glossary_banned", False, C)
    assert banned.detail == "banned term(s) present: garantido"


# --- length -----------------------------------------------------------------------------------


def test_length_within_budget():
    r = check_length("Order now", "Jetzt bestellen", 20)
    assert (r.name, r.passed, r.severity) == ("length", True, F)
    assert r.detail == "15 characters of 20"


def test_length_without_budget():
    r = check_length("Order now", "Jetzt bestellen", None)
    assert r.passed and r.detail == "15 characters"


def test_length_over_budget():
    target = "Bestellen Sie jetzt sofort"  # 26 characters
    r = check_length("Order now", target, 20)
    assert (r.name, r.passed, r.severity) == ("length", False, F)
    assert r.detail == "26 characters, over the budget of 20"
    assert r.score == pytest.approx(20 / 26)


def test_length_suspiciously_short():
    source = "Start your morning with Acme coffee"  # 35 characters
    r = check_length(source, "Café", None)
    assert (r.name, r.passed, r.severity) == ("length", False, F)
    assert r.detail == "4 characters, suspiciously short for a 35-character source"


# --- language ---------------------------------------------------------------------------------


def test_language_matches_locale():
    r = check_language("Comece a sua manhã com o café Acme", "pt-PT", ("Acme",))
    assert (r.name, r.passed, r.severity) == ("language", True, F)
    assert r.detail.startswith("identified as pt")


def test_language_wrong_language_fails():
    r = check_language("Start your morning with a fresh cup of coffee", "de-DE")
    assert (r.name, r.passed, r.severity) == ("language", False, F)
    assert r.detail.startswith("identified as en")
    assert r.detail.endswith("expected de")


def test_language_too_few_words_is_not_judged():
    r = check_language("Acme {price}", "de-DE", ("Acme",))
    assert r.passed and r.detail == "too few words to identify a language"


# --- untranslated -----------------------------------------------------------------------------


def test_untranslated_translation_passes():
    r = check_untranslated(
        "Start your morning with Acme coffee",
        "Comece a sua manhã com o café Acme",
        "pt-PT",
        ("Acme",),
    )
    assert (r.name, r.passed, r.severity) == ("untranslated", True, F)
    assert r.detail == "0% of the target's words are the source's"


def test_untranslated_copy_of_source_fails():
    source = "Start your morning with Acme coffee"
    r = check_untranslated(source, source, "pt-PT", ("Acme",))
    assert (r.name, r.passed, r.severity) == ("untranslated", False, F)
    assert r.detail == "100% of the target's words are the source's"


def test_untranslated_english_target_is_exempt():
    source = "Start your morning with Acme coffee"
    r = check_untranslated(source, source, "en-GB")
    assert r.passed and r.detail == "target locale is English"


# --- repetition -------------------------------------------------------------------------------


def test_repetition_normal_text_passes():
    r = check_repetition("Sehr, sehr guter Kaffee")  # twice in a row is fine
    assert (r.name, r.passed, r.severity) == ("repetition", True, F)
    assert r.detail == "no degenerate repetition"


def test_repetition_word_three_times_in_a_row():
    r = check_repetition("Jetzt jetzt jetzt bestellen")
    assert (r.name, r.passed, r.severity) == ("repetition", False, F)
    assert r.detail == "'jetzt' repeats three times in a row"


def test_repetition_phrase_three_times_in_a_row():
    r = check_repetition("kaufen Sie kaufen Sie kaufen Sie")
    assert not r.passed
    assert r.detail == "'kaufen sie' repeats three times in a row"


def test_repetition_word_too_frequent():
    r = check_repetition("Kaffee, guter Kaffee, heißer Kaffee, kalter Kaffee")
    assert not r.passed
    assert r.detail == "'kaffee' appears 4 times"


# --- added content ----------------------------------------------------------------------------


def test_added_content_clean_translation():
    r = check_added_content("Order now", "Jetzt bestellen")
    assert (r.name, r.passed, r.severity) == ("added_content", True, F)
    assert r.detail == "nothing added"


def test_added_content_chatter_in_the_source_is_allowed():
    r = check_added_content("Here is your coffee", "Here is your coffee, mate")
    assert r.passed


def test_added_content_prompt_injection_like_answer_fails():
    r = check_added_content("Order now", "Here is the translation: Jetzt bestellen")
    assert (r.name, r.passed, r.severity) == ("added_content", False, F)
    assert r.detail == "target adds text the source lacks: 'Here is'"


def test_added_content_translator_note_fails():
    r = check_added_content("Order now", "Jetzt bestellen. Note: informal register")
    assert not r.passed
    assert "Note:" in r.detail


def test_added_content_extra_line_fails():
    r = check_added_content("Order now", "Jetzt bestellen\nSofort liefern")
    assert not r.passed
    assert r.detail == "target has several lines; the source has one"


# --- whitespace -------------------------------------------------------------------------------


def test_whitespace_clean():
    r = check_whitespace("Jetzt bestellen")
    assert (r.name, r.passed, r.severity) == ("whitespace", True, K)
    assert r.detail == "clean"


@pytest.mark.parametrize(
    "target, detail",
    [
        (" Jetzt bestellen", "leading or trailing whitespace"),
        ("Jetzt bestellen\n", "leading or trailing whitespace"),
        ("Jetzt  bestellen", "double space"),
    ],
)
def test_whitespace_problems(target, detail):
    r = check_whitespace(target)
    assert (r.name, r.passed, r.severity) == ("whitespace", False, K)
    assert r.detail == detail


# --- punctuation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, target",
    [
        ("Order now!", "¡Pide ya!"),
        ("Ready for a break?", "هل أنت مستعد لاستراحة؟"),  # Arabic question mark
        ("Order now", "Jetzt bestellen!"),  # no ending to keep
    ],
)
def test_punctuation_kept(source, target):
    r = check_punctuation(source, target)
    assert (r.name, r.passed, r.severity) == ("punctuation", True, K)
    assert r.detail == "ending punctuation kept"


def test_punctuation_changed():
    r = check_punctuation("Order now!", "Jetzt bestellen.")
    assert (r.name, r.passed, r.severity) == ("punctuation", False, K)
    assert r.detail == "source ends with '!', target with '.'"


# --- check_copy -------------------------------------------------------------------------------

ORDER = [
    "placeholders", "markup", "icu", "urls", "numbers", "quantities", "number_format", "percent", "currency",
    "keep_terms", "glossary_required", "glossary_banned", "length", "language", "untranslated",
    "register", "repetition", "doubled_words", "added_content", "whitespace", "punctuation",
    "punctuation_spacing", "quotes", "not_copied",
]  # fmt: skip


def test_check_copy_good_translation_passes_everything():
    results = check_copy(
        "Start your morning with Acme coffee",
        "Comece a sua manhã com o café Acme",
        "pt-PT",
        keep_terms=("Acme",),
        max_chars=40,
    )
    assert [r.name for r in results] == ORDER
    assert [r.name for r in results if not r.passed] == []
    assert blocking_failures(results) == []


def test_check_copy_bad_translation_reports_each_failure():
    results = check_copy(
        "Only {price} this week at www.acme.com!",
        "Here is the translation: Apenas 5,99 esta semana em www.acme-promo.com.",
        "pt-PT",
        keep_terms=("Acme",),
        max_chars=40,
    )
    by_name = {r.name: r for r in results}
    failed = {r.name for r in results if not r.passed}
    assert failed == {
        "placeholders", "urls", "numbers", "length", "added_content", "punctuation",
    }  # fmt: skip
    assert by_name["placeholders"].detail == "missing {price}"
    assert "www.acme-promo.com" in by_name["urls"].detail
    assert by_name["numbers"].detail == "added 5.99"
    assert "over the budget of 40" in by_name["length"].detail
    # Punctuation is cosmetic: it fails but does not block.
    assert {r.name for r in blocking_failures(results)} == failed - {"punctuation"}


def test_a_check_that_raises_holds_the_line_instead_of_stopping_the_job(monkeypatch):
    import adloc.checks.copy as copy_checks

    def check_percent(source, target, locale):  # the check, broken on this line
        raise ArithmeticError("a number it cannot hold")

    monkeypatch.setattr(copy_checks, "check_percent", check_percent)
    results = check_copy("Save 20% today", "Poupe 20% hoje", "pt-PT", max_chars=40)
    assert [r.name for r in results] == ORDER  # every other check still ran, in its place
    (failed,) = [r for r in results if not r.passed]
    assert (failed.name, failed.severity) == ("percent", Severity.CRITICAL)
    assert failed.detail == "the check could not read this line (ArithmeticError: a number it cannot hold)"
    assert blocking_failures(results) == [failed]


def test_not_copied_catches_a_repeated_example_for_a_different_line():
    from adloc.checks.copy import check_not_copied
    from adloc.records import TMEntry

    examples = (TMEntry("Order now for {price}", "اطلب الآن مقابل {price}"),)
    result = check_not_copied("Two for {price}", "اطلب الآن مقابل {price}", examples)
    assert result.name == "not_copied" and not result.passed
    assert result.detail == "repeats the translation of a different line, 'Order now for {price}'"
    assert check_not_copied("Order now for {price}", "اطلب الآن مقابل {price}", examples).passed
    assert check_not_copied("Two for {price}", "اثنان مقابل {price}", examples).passed


@pytest.mark.parametrize(
    ("source", "target", "tag", "passed", "detail"),
    [
        ("0.125 kg", "0,125 kg", "de-DE", True, "1 number(s) kept"),
        ("0.125 kg", "125 kg", "de-DE", False, "missing 0.125; added 125"),  # a shape guess would call these equal
        ("Save 1,250 points", "Gagnez 1 250 points", "fr-FR", True, "1 number(s) kept"),  # fr groups with a space
        ("Buy 2 3 times", "Kaufe 2 3 mal", "de-DE", True, "2 number(s) kept"),  # de does not: two numbers
        ("Only 4.99", "Nur 4.99", "de-DE", True, "1 number(s) kept"),  # the wrong convention, read by its shape
        ("1,250.50 off", "1.250,50 de desconto", "es-ES", True, "1 number(s) kept"),
        ("Call 0800 123 456", "Appelez le 0800 123 456", "fr-FR", True, "3 number(s) kept"),  # spaces separate here
        ("iPhone 15 128 GB", "iPhone 15 128 Go", "fr-FR", True, "2 number(s) kept"),
        ("Save 1,250 points", "Sammle 1 250 Punkte", "de-DE", True, "1 number(s) kept"),  # and group here
        ("Save 1,250", "Spare 1\u2019250", "de-CH", True, "1 number(s) kept"),
        ("Save 1,250", "Spare 1'250", "de-CH", True, "1 number(s) kept"),
        ("1,250.50 off", "1,250.50 de descuento", "es-MX", True, "1 number(s) kept"),  # Mexico writes it as en-US
    ],
)
def test_numbers_are_read_in_the_targets_convention(source, target, tag, passed, detail):
    r = check_numbers(source, target, tag)
    assert (r.name, r.passed, r.detail) == ("numbers", passed, detail)


# --- every check, four locales (one right-to-left) ------------------------------------------------

SOURCE = "Acme coffee: only {price} this week, save 20%!"
GOOD = {
    "de-DE": ("Acme Kaffee: nur {price} diese Woche, spare 20 %!", "Kaffee", "gesund"),
    "fr-FR": ("Café Acme : seulement {price} cette semaine, économisez 20 % !", "café", "santé"),
    "es-MX": ("Café Acme: solo {price} esta semana, ¡ahorra 20 %!", "café", "saludable"),
    "ar-AE": ("قهوة Acme: فقط {price} هذا الأسبوع، وفّر 20٪!", "قهوة", "صحي"),
}


def _glossary(tag: str) -> tuple[GlossaryTerm, ...]:
    _, rendering, banned = GOOD[tag]
    return (GlossaryTerm("coffee", "required", rendering), GlossaryTerm(banned, "banned"))


def _failed(tag: str, target: str, max_chars: int = 80) -> dict[str, str]:
    results = check_copy(SOURCE, target, tag, ("Acme",), max_chars, _glossary(tag))
    return {r.name: r.detail for r in results if not r.passed}


@pytest.mark.parametrize("tag", list(GOOD))
def test_a_good_line_passes_every_check(tag):
    assert _failed(tag, GOOD[tag][0]) == {}


@pytest.mark.parametrize("tag", list(GOOD))
def test_each_check_catches_its_failure_in_every_locale(tag):
    good, rendering, banned = GOOD[tag]
    other = GOOD["fr-FR" if tag != "fr-FR" else "de-DE"][0]
    cases = {
        "placeholders": (good.replace("{price}", "4,99"), "missing {price}"),
        "numbers": (good.replace("20", "30"), "missing 20; added 30"),
        "keep_terms": (good.replace("Acme", "Akme"), "Acme"),
        "glossary_required": (re.sub(rendering, "XYZ", good, flags=re.IGNORECASE), f"coffee -> {rendering}"),
        "glossary_banned": (good.replace("{price}", f"{{price}} {banned}"), banned),
        "urls": (good + " www.acme-deals.com", "www.acme-deals.com"),
        "language": (other.replace("Café", rendering).replace("café", rendering).replace("Kaffee", rendering),
                     f"expected {tag[:2]}"),
        "markup": (good.replace("Acme", "<b>Acme</b>"), "tags differ"),
        "whitespace": (good.replace(" ", "  ", 1), ""),
        "repetition": (good + " " + " ".join([max(re.findall(r"[^\W\d_]+", good), key=len)] * 3), ""),
    }
    for name, (target, detail) in cases.items():
        failed = _failed(tag, target)
        assert name in failed, (name, target, failed)
        assert detail in failed[name], (name, failed[name])
    length = _failed(tag, good, max_chars=20)
    assert set(length) == {"length"} and "over the budget of 20" in length["length"]


def test_a_missing_space_after_a_full_stop_is_not_an_address():
    assert check_urls("Order now", "Bestellen Sie jetzt.Es lohnt sich").passed
    assert not check_urls("Order now", "Jetzt auf Acme.com bestellen").passed
    assert not check_urls("Order now", "Visit WWW.SCAM.COM").passed


# --- what the eval set's references and labelled lines taught the checks ---------------------

def test_numbers_a_kept_number_may_come_back_but_not_a_new_one():
    assert check_numbers("Open 24 hours a day", "Ouvert 24 heures sur 24", "fr-FR").passed
    failed = check_numbers("Open 24 hours a day", "Ouvert 24 heures sur 25", "fr-FR")
    assert not failed.passed and failed.detail == "added 25"
    assert not check_numbers("2 for 2", "2 por", "es-MX").passed  # a dropped repeat is still missing


def test_numbers_dot_thousands_in_a_comma_decimal_locale():
    assert check_numbers("More than 1,000 stores", "Mais de 1.000 lojas", "pt-PT").passed
    assert check_numbers("Over 1,250 points", "Über 1.250 Punkte", "de-DE").passed
    assert not check_numbers("Over 1,250 points", "Über 1.205 Punkte", "de-DE").passed


def test_language_too_close_to_tell_is_not_a_failure_but_a_sure_other_language_is():
    close = check_language("Mittagessen to go", "de-DE")
    assert close.passed and "too close to tell apart" in close.detail
    assert not check_language("Haal je bestelling op bij {store}.", "de-DE").passed  # Dutch, surely
    assert not check_language("Retire o seu pedido na loja {store}.", "es-MX").passed  # Portuguese, surely


def test_added_content_notes_in_parentheses_and_openers_only_at_the_start():
    note = check_added_content("Order ahead", "Bestell vorab (Du-Form)")
    assert not note.passed and note.detail == "target adds a note in parentheses: '(Du-Form)'"
    assert check_added_content("Coffee (hot or iced)", "Kaffee (heiß oder eisgekühlt)").passed
    assert check_added_content("Coffee lovers, this one is for you", "Kaffeeliebhaber, das hier ist für euch").passed
    assert not check_added_content("Order now", "Hier ist die Zeile: Jetzt bestellen").passed
