"""The checks that know the locale: currency, percent, number format, quantities, doubled words,
ICU MessageFormat, register, quotation marks and punctuation spacing. Each kind passes what the
locale writes (with the spaces, apostrophes, digits and bidi marks real text uses) and fails the
mistake, in at least four locales."""

from __future__ import annotations

import pytest

from adloc import locale as loc
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
from adloc.records import Formality, Severity

NBSP, NNBSP, RLM = "\u00a0", "\u202f", "\u200f"


def ok(result, passed: bool = True, detail: str = ""):
    assert result.passed is passed, result.detail
    assert detail in result.detail
    return result


# --- currency -----------------------------------------------------------------------------------

@pytest.mark.parametrize("source, target, locale", [
    ("Only £3 today", f"Seulement 3{NBSP}£ aujourd’hui", "fr-FR"),
    ("Only £3 today", f"Seulement 3{NNBSP}£ aujourd’hui", "fr-FR"),
    ("Only €3 today", "Apenas 3 € hoje", "pt-PT"),
    ("Only €3 today", "Solo 3 € oggi", "it-IT"),
    ("Only €3 today", "Only €3 today", "en-IE"),
    ("Only €3 today", "Alleen € 3 vandaag", "nl-NL"),
    ("Only $5 today", "Solo US$5 hoy", "es-MX"),  # a dollar in Mexico: its own sign, not the peso's
    ("Only 18 AED", f"فقط {RLM}18 د.إ.{RLM}", "ar-AE"),
    ("Only 18 AED", "فقط ١٨ د.إ.", "ar-AE"),  # Arabic-Indic digits
    ("Order now for {price}", "Jetzt für {price} bestellen", "de-DE"),
])
def test_currency_kept_and_placed_as_the_locale_writes_it(source, target, locale):
    ok(check_currency(source, target, locale))


@pytest.mark.parametrize("source, target, locale, detail, severity", [
    ("Only £3 today", "Seulement 3 € aujourd'hui", "fr-FR", "GBP became EUR", Severity.CRITICAL),
    ("Only $5 today", "Solo $5 hoy", "es-MX", "USD became MXN", Severity.CRITICAL),  # $ is the peso there
    ("Only €3 today", "Nur 3 heute", "de-DE", "the currency EUR is gone", Severity.CRITICAL),
    ("Order now for {price}", "Bestellen Sie jetzt für {price} €", "de-DE", "adds the currency EUR", Severity.CRITICAL),
    ("Only €3 today", "Apenas €3 hoje", "pt-PT", "goes after the amount", Severity.FUNCTIONAL),
    ("Only €3 today", "Solo €3 oggi", "it-IT", "goes after the amount", Severity.FUNCTIONAL),
    ("Only €3 today", "Only 3 € today", "en-IE", "goes before the amount", Severity.FUNCTIONAL),
    ("Only €3 today", "Alleen 3 € vandaag", "nl-NL", "goes before the amount", Severity.FUNCTIONAL),
    ("Only €3 today", "Apenas 3€ hoje", "pt-PT", "spaced otherwise", Severity.COSMETIC),
])
def test_currency_changed_lost_added_or_misplaced_fails(source, target, locale, detail, severity):
    result = ok(check_currency(source, target, locale), False, detail)
    assert result.severity is severity


# --- percent ------------------------------------------------------------------------------------

@pytest.mark.parametrize("target, locale", [
    ("Obtenez 20 % de remise", "fr-FR"), (f"Obtenez 20{NNBSP}% de remise", "fr-FR"),
    (f"20{NBSP}% Rabatt sichern", "de-DE"), ("20 Prozent Rabatt", "de-DE"),
    ("Ganhe 20% de desconto", "pt-PT"), ("Obtén 20% de descuento", "es-MX"),
    ("Obtén 20 % de descuento", "es-MX"),  # the RAE's spaced form is also right
    ("احصل على خصم ٢٠٪", "ar-AE"), ("%20 indirim", "tr-TR"), ("۲۰٪ تخفیف", "fa-IR"),  # Persian digits
])
def test_percent_kept_in_the_locale_format(target, locale):
    ok(check_percent("Get 20% off", target, locale))


@pytest.mark.parametrize("target, locale, detail, severity", [
    ("Ganhe 20 de desconto", "pt-PT", "20% lost its percent sign", Severity.CRITICAL),
    ("Obtenez 20 de remise", "fr-FR", "lost its percent sign", Severity.CRITICAL),
    ("Ganhe 30% de desconto", "pt-PT", "20% is gone; adds 30%", Severity.CRITICAL),
    ("Jetzt Rabatt sichern", "de-DE", "20% is gone", Severity.CRITICAL),
    ("Obtenez 20% de remise", "fr-FR", "fr-FR writes '20 %'", Severity.COSMETIC),
    ("20% Rabatt sichern", "de-DE", "de-DE writes '20 %'", Severity.COSMETIC),
    ("20% indirim", "tr-TR", "tr-TR writes '%20'", Severity.COSMETIC),
])
def test_percent_lost_changed_or_misformatted_fails(target, locale, detail, severity):
    assert ok(check_percent("Get 20% off", target, locale), False, detail).severity is severity


# --- number format ------------------------------------------------------------------------------

@pytest.mark.parametrize("target, locale", [
    ("Seulement 3,75 aujourd’hui", "fr-FR"), ("Plus de 12 000 clients", "fr-FR"),
    (f"Plus de 12{NNBSP}000 clients", "fr-FR"), (f"Plus de 12{NBSP}000,50", "fr-FR"),
    ("Appelez le 0800 123 456", "fr-FR"),  # spaced digits that are no grouping: separate numbers
    ("Nur 12.000,00 Euro", "de-DE"), ("Ab 1.5. erhältlich", "de-DE"),  # a date
    ("Nur 12'000.00 Franken", "de-CH"), ("Nur 12’000.00 Franken", "de-CH"),
    ("Sólo 1,5 litros", "es-ES"), ("Más de 12.000 clientes", "es-ES"),
    ("Mais de 12.000 clientes", "pt-PT"), ("Solo 4.99 hoy", "es-MX"),
    ("فقط ٤٫٩٩", "ar-AE"), ("فقط ۴٫۹۹", "fa-IR"), ("Only 1,250.50", "en-US"),
])
def test_numbers_in_the_locale_convention_pass(target, locale):
    ok(check_number_format(target, locale))


@pytest.mark.parametrize("target, locale, detail", [
    ("Seulement 3.75 aujourd'hui", "fr-FR", "write 3,75"),
    ("Sólo 1.5 litros", "es-ES", "write 1,5"),
    ("Nur 12.000,00 Franken", "de-CH", "'12.000,00' is not how de-CH writes numbers"),
    ("Nur 4.99 heute", "de-DE", "write 4,99"),
    ("Only 4,99 today", "en-US", "write 4.99"),
    ("Apenas 4.99 hoje", "pt-PT", "write 4,99"),
    # a model's run of digits longer than Decimal's default precision (28) is read and written exactly
    ("Apenas 12345678901234567890123456789.5", "pt-PT",
     f"write 12{NBSP}345{NBSP}678{NBSP}901{NBSP}234{NBSP}567{NBSP}890{NBSP}123{NBSP}456{NBSP}789,5"),
    ("Apenas 10000000000000000000000000000000000000000000000000.00", "pt-PT", "write 10" + f"{NBSP}000" * 16 + ",00"),
])
def test_a_number_in_another_locales_convention_fails(target, locale, detail):
    result = ok(check_number_format(target, locale), False, detail)
    assert result.severity is Severity.FUNCTIONAL


# --- quantities ---------------------------------------------------------------------------------

@pytest.mark.parametrize("source, target, locale", [
    ("Four cookies", "Quatre biscuits", "fr-FR"), ("Buy two", "Kaufe 2", "de-DE"),
    ("Buy two", "Kaufe zwei", "de-DE"), ("Two for {price}", "Dos por {price}", "es-MX"),
    ("Two for {price}", "Duas por {price}", "pt-PT"),  # the feminine form
    ("Twenty-five cups", "Venticinque tazze", "it-IT"), ("A coffee for you", "Un café pour vous", "fr-FR"),
    ("Your first order", "Deine erste Bestellung", "de-DE"),  # an ordinal is no quantity
])
def test_number_words_count_as_their_numbers(source, target, locale):
    ok(check_quantities(source, target, locale))


@pytest.mark.parametrize("source, target, locale, detail", [
    ("Four cookies", "Trois biscuits", "fr-FR", "4 (a number word of the source) is gone; adds the number word 3"),
    ("Two for {price}", "Por {price}", "es-MX", "2 (a number word of the source) is gone"),
    ("Buy two", "Kaufe drei", "de-DE", "adds the number word 3"),
    ("Three flavours", "Dois sabores", "pt-PT", "3 (a number word of the source) is gone"),
    ("Two cups", "Tre tazze", "it-IT", "2 (a number word"),
])
def test_a_number_word_dropped_or_changed_fails(source, target, locale, detail):
    assert ok(check_quantities(source, target, locale), False, detail).severity is Severity.CRITICAL


def test_numbers_accept_a_number_written_as_a_word_either_way():
    ok(check_numbers("Buy two", "Kaufe 2", "de-DE"))
    ok(check_numbers("Buy 2", "Kaufe zwei", "de-DE"))
    ok(check_numbers("Buy 2", "Kaufe 3", "de-DE"), False, "missing 2; added 3")


def test_quantities_in_a_language_without_number_words_pass_and_say_so():
    ok(check_quantities("Two for {price}", "اثنان مقابل {price}", "ar-AE"), True, "not read in ar")


# --- doubled words ------------------------------------------------------------------------------

@pytest.mark.parametrize("target, locale, word", [
    ("Pour le le café", "fr-FR", "le"), ("Ahorra para para siempre", "es-MX", "para"),
    ("O O café", "pt-PT", "O"), ("Hol dir dir deinen Kaffee", "de-DE", "dir"), ("Il il caffè", "it-IT", "Il"),
])
def test_a_doubled_word_fails(target, locale, word):
    ok(check_doubled_words(target, locale), False, f"{word!r} twice in a row")


@pytest.mark.parametrize("target, locale", [
    ("Die Bohnen, die die Röster wählen", "de-DE"), ("Lösen Sie sie ein", "de-DE"),
    ("Vous vous inscrivez en un clic", "fr-FR"), ("24 heures sur 24", "fr-FR"), ("Café e café", "pt-PT"),
])
def test_a_language_s_own_doubles_pass(target, locale):
    ok(check_doubled_words(target, locale))


# --- ICU MessageFormat --------------------------------------------------------------------------

SOURCE = "{n, plural, one {# cookie} other {# cookies}} for {name}"


@pytest.mark.parametrize("target, locale", [
    ("{n, plural, one {# Keks} other {# Kekse}} für {name}", "de-DE"),
    ("{n, plural, one {# печенье} few {# печенья} many {# печений} other {# печенья}} для {name}", "ru-RU"),
    ("{n, plural, one {# biscuit} many {# biscuits} other {# biscuits}} pour {name}", "fr-FR"),
    (("{n, plural, zero {# بسكويت} one {بسكويتة} two {بسكويتتان} few {# بسكويتات} many {# بسكويتة} "
      "other {# بسكويتة}} لـ{name}"), "ar-AE"),
])
def test_a_message_with_the_plural_forms_the_language_needs_passes(target, locale):
    ok(check_icu(SOURCE, target, locale))


@pytest.mark.parametrize("target, locale, detail", [
    ("{n, plural, one {# печенье} other {# печенья}} для {name}", "ru-RU", "ru-RU needs few, many too"),
    ("{n, plural, one {# بسكويتة} other {# بسكويتة}} لـ{name}", "ar-AE", "needs few, many, two, zero too"),
    ("{n, pluriel, one {# biscuit} other {# biscuits}} pour {name}", "fr-FR", "does not parse"),
    ("{n, plural, uno {# galleta} otro {# galletas}} para {name}", "es-ES", "otro, uno is not a plural keyword"),
    ("{n, plural, one {# Keks} other {# Kekse} für {name}", "de-DE", "does not parse"),
    ("{n, plural, one {# Keks} other {# Kekse}} für {nom}", "de-DE", "argument 'name' is gone"),
    ("{anzahl, plural, one {# Keks} other {# Kekse}} für {name}", "de-DE", "argument 'n' is gone"),
])
def test_a_broken_message_fails(target, locale, detail):
    ok(check_icu(SOURCE, target, locale), False, detail)


def test_select_keywords_are_kept_and_braces_balanced():
    source = "{size, select, small {A small latte} other {A latte}}"
    ok(check_icu(source, "{size, select, small {Un petit latte} other {Un latte}}", "fr-FR"))
    ok(check_icu(source, "{size, select, petit {Un petit latte} other {Un latte}}", "fr-FR"), False, "keywords")
    ok(check_icu("Order now for {price}", "Jetzt für {price bestellen", "de-DE"), False, "unbalanced braces")
    ok(check_icu("Order now for {price}", "Jetzt für {price} bestellen", "de-DE"))


# --- register -----------------------------------------------------------------------------------

@pytest.mark.parametrize("target, locale, asked, detail", [
    ("Jetzt sparen Sie", "de-DE", Formality.INFORMAL, "formal 'Sie'"),
    ("Ihre Bestellung ist fertig", "de-DE", Formality.INFORMAL, "formal 'Ihre'"),
    ("Hol dir deinen Kaffee", "de-DE", Formality.FORMAL, "informal 'dir'"),
    ("Profitez de votre café", "fr-FR", Formality.INFORMAL, "formal 'Profitez'"),
    ("Profite de ton café", "fr-FR", Formality.FORMAL, "informal 'ton'"),
    ("Découvre notre nouveau cold brew", "fr-FR", Formality.FORMAL, "informal 'Découvre'"),
    ("Nouveau. Prends une pause.", "fr-FR", Formality.FORMAL, "informal 'Prends'"),
    ("Únete hoy a Acme Rewards", "es-MX", Formality.FORMAL, "informal 'Únete'"),
    ("Tómese un descanso", "es-MX", Formality.INFORMAL, "formal 'Tómese'"),
    ("Acércate a probarlo", "es-MX", Formality.FORMAL, "informal 'Acércate'"),
    ("Junta-te a nós", "pt-PT", Formality.FORMAL, "informal 'Junta-te'"),
    ("Ganhe 20% na sua encomenda", "pt-PT", Formality.INFORMAL, "formal 'Ganhe'"),
    ("Scopri il tuo caffè", "it-IT", Formality.FORMAL, "informal 'tuo'"),
    ("Ontdek uw koffie", "nl-NL", Formality.INFORMAL, "formal 'uw'"),
    ("Zamów kawę dla siebie, Pani", "pl-PL", Formality.INFORMAL, "formal 'Pani'"),
])
def test_the_wrong_register_fails(target, locale, asked, detail):
    assert ok(check_register(target, locale, asked), False, detail).severity is Severity.FUNCTIONAL


@pytest.mark.parametrize("target, locale, asked", [
    ("Hol dir deinen Kaffee", "de-DE", Formality.INFORMAL), ("Sie sparen heute", "de-DE", Formality.INFORMAL),
    ("Profitez de votre café", "fr-FR", Formality.FORMAL), ("Acme trae el mejor café", "es-MX", Formality.FORMAL),
    ("Faites une pause", "fr-FR", Formality.FORMAL), ("Fait maison, préparé chaque matin", "fr-FR", Formality.FORMAL),
    ("S'inscrire gratuitement", "fr-FR", Formality.FORMAL), ("Nouvelle recette", "fr-FR", Formality.FORMAL),
    ("A escolha é tua", "pt-PT", Formality.INFORMAL), ("Frisch geröstet", "de-DE", Formality.FORMAL),
    ("احصل على قهوتك", "ar-AE", Formality.FORMAL),  # no T-V distinction to check
])
def test_the_asked_register_or_none_passes(target, locale, asked):
    ok(check_register(target, locale, asked))


def test_the_register_check_knows_every_language_the_prompt_asks_a_register_in():
    from adloc.checks.register import _MARKERS

    assert set(_MARKERS) == set(loc.SECOND_PERSON)


def test_without_a_declared_register_only_a_mix_fails_and_the_prompt_asks_for_it():
    ok(check_register("Hol dir Ihren Kaffee", "de-DE"), False, "mixes formal 'Ihren' and informal 'dir'")
    ok(check_register("Hol dir deinen Kaffee", "de-DE"))
    assert loc.register_instruction("de-DE", Formality.INFORMAL) == "Address the reader informally (du)."
    assert loc.register_instruction("fr-FR", Formality.FORMAL) == "Address the reader formally (vous)."
    assert loc.register_instruction("ar-AE", Formality.FORMAL) is None


# --- quotation marks and punctuation spacing (cosmetic) -----------------------------------------

@pytest.mark.parametrize("target, locale", [
    (f"Le café «{NBSP}maison{NBSP}»", "fr-FR"), (f"Le café «{NNBSP}maison{NNBSP}»", "fr-FR"),
    ("Der „Hauskaffee“", "de-DE"), ("Der »Hauskaffee«", "de-DE"), ("O café «da casa»", "pt-PT"),
    ("El café «de la casa»", "es-MX"), ("Il caffè «della casa»", "it-IT"), ("The “house” coffee", "en-US"),
])
def test_the_locale_s_quotation_marks_pass(target, locale):
    ok(check_quotes(target, locale))


@pytest.mark.parametrize("target, locale, detail", [
    ('Le café "maison"', "fr-FR", "straight quotation marks"), ("Le café «maison»", "fr-FR", "no-break space inside"),
    ("Der “Hauskaffee”", "de-DE", "not a quotation mark of de-DE"), ('O café "da casa"', "pt-PT", "straight"),
    ("Il caffè „della casa“", "it-IT", "not a quotation mark of it-IT"),
])
def test_other_quotation_marks_fail_as_cosmetic(target, locale, detail):
    assert ok(check_quotes(target, locale), False, detail).severity is Severity.COSMETIC


@pytest.mark.parametrize("target, locale", [
    (f"Commandez maintenant{NNBSP}!", "fr-FR"), (f"Commandez maintenant{NBSP}!", "fr-FR"),
    ("Nouveau : le latte", "fr-FR"), ("Ouvert de 7:30 à 19:00", "fr-FR"), ("Visitez https://acme.fr", "fr-FR"),
    ("Jetzt bestellen!", "de-DE"), ("¡Pide ya!", "es-MX"), ("¿Listo? ¡Vamos!", "es-ES"), ("Peça já!", "pt-PT"),
])
def test_punctuation_spaced_as_the_locale_writes_it_passes(target, locale):
    ok(check_punctuation_spacing(target, locale))


@pytest.mark.parametrize("target, locale, detail", [
    ("Commandez maintenant!", "fr-FR", "no-break space before '!'"), ("Nouveau: le latte", "fr-FR", "before ':'"),
    ("Jetzt bestellen !", "de-DE", "a space before '!'"), ("Peça já !", "pt-PT", "a space before '!'"),
    ("Pide ya!", "es-MX", "opens with '¡'"),
])
def test_punctuation_spaced_otherwise_fails_as_cosmetic(target, locale, detail):
    assert ok(check_punctuation_spacing(target, locale), False, detail).severity is Severity.COSMETIC


def test_a_percentage_longer_than_decimals_default_precision_is_read_and_written_exactly():
    huge = "1" + "0" * 41  # a model's run of zeros: 42 digits, past Decimal's default 28
    result = ok(check_percent(f"Save {huge}% now", f"Économisez {huge}% maintenant", "fr-FR"), False,
                "fr-FR writes '100" + " 000" * 13 + " %'")
    assert result.severity is Severity.COSMETIC
