"""Locale facts and placeholder formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adloc import locale as loc
from adloc.money import Money


@pytest.mark.parametrize(
    "tag, region", [("pt-PT", "PT"), ("pt-BR", "BR"), ("es-MX", "MX"), ("ar-AE", "AE")]
)
def test_territory(tag, region):
    assert loc.territory(tag) == region


def test_territory_needs_a_region():
    with pytest.raises(ValueError, match="'pt' names no region"):
        loc.territory("pt")


def test_language():
    assert loc.language("pt-PT") == "pt"
    assert loc.language("ar-AE") == "ar"
    assert loc.language_name("de-DE") == "German"


def test_is_rtl():
    assert loc.is_rtl("ar-AE")
    assert not loc.is_rtl("de-DE")
    assert not loc.is_rtl("pt-PT")


@pytest.mark.parametrize(
    "value, tag, expected",
    [
        (4.99, "de-DE", "4,99"),
        (4.99, "en-US", "4.99"),
        (3.5, "pt-PT", "3,50"),  # prices keep two decimals
        (6.0, "fr-FR", "6,00"),
        (1250, "de-DE", "1.250"),
        (1250, "en-US", "1,250"),
        ("gratis", "de-DE", "gratis"),  # text is left alone
        (True, "de-DE", "True"),  # a bool is not a number here
    ],
)
def test_format_value(value, tag, expected):
    assert loc.format_value(value, tag) == expected


@pytest.mark.parametrize("money, tag, expected", [
    (Money(Decimal("4.99"), "EUR"), "pt-PT", "4,99\u00a0€"),  # after the amount, spaced
    (Money(Decimal("4.99"), "EUR"), "en-IE", "€4.99"),  # before it
    (Money(Decimal("4.99"), "EUR"), "nl-NL", "€\u00a04,99"),
    (Money(Decimal(65), "MXN"), "es-MX", "$65.00"),  # the market's own currency: its plain sign
    (Money(Decimal(65), "MXN"), "de-DE", "65,00\u00a0MX$"),
    (Money(Decimal(500), "JPY"), "ja-JP", "￥500"),  # no decimals for yen
    (Money(Decimal(18), "AED"), "ar-AE", "\u200f18.00\u00a0د.إ.\u200f"),
])
def test_money_is_written_as_the_market_writes_it(money, tag, expected):
    assert loc.format_value(money, tag) == expected


def test_fill_placeholders():
    text = "Nur {price} diese Woche, {count} Tassen, {unknown} bleibt"
    filled = loc.fill_placeholders(text, {"price": 3.5, "count": 2, "unused": 1}, "de-DE")
    assert filled == "Nur 3,50 diese Woche, 2 Tassen, {unknown} bleibt"


def test_placeholders():
    assert loc.placeholders("Two for {price}, {n} left") == ["price", "n"]
    assert loc.placeholders("no placeholders, 100% off") == []


@pytest.mark.parametrize("tag", ["xx-YY", "not a locale", ""])
def test_unknown_locale_raises_value_error_naming_it(tag):
    with pytest.raises(ValueError) as info:
        loc.parse(tag)
    assert f"unknown locale {tag!r}" in str(info.value)


def test_unknown_locale_through_territory_and_format():
    with pytest.raises(ValueError, match="'zz-QQ'"):
        loc.territory("zz-QQ")
    with pytest.raises(ValueError, match="'zz-QQ'"):
        loc.format_value(4.99, "zz-QQ")


@pytest.mark.parametrize("tag, n, expected", [
    ("de-DE", 1, "1 Tasse für 3,50 €"), ("de-DE", 3, "3 Tassen für 3,50 €"), ("de-DE", 0, "Keine Tasse für 3,50 €"),
    ("ru-RU", 3, "3 чашки за 3,50 €"), ("ru-RU", 5, "5 чашек за 3,50 €"), ("ru-RU", 21, "21 чашка за 3,50 €"),
    ("pl-PL", 1250, "1 250 filiżanek za 3,50 €"),  # grouped as Poland groups
])
def test_plural_messages_are_formatted_with_the_item_s_values_and_the_locale_s_rules(tag, n, expected):
    messages = {
        "de-DE": "{n, plural, =0 {Keine Tasse} one {# Tasse} other {# Tassen}} für {price}",
        "ru-RU": "{n, plural, one {# чашка} few {# чашки} many {# чашек} other {# чашки}} за {price}",
        "pl-PL": "{n, plural, one {# filiżanka} few {# filiżanki} many {# filiżanek} other {# filiżanki}} za {price}",
    }
    values = {"n": n, "price": Money(Decimal("3.5"), "EUR")}
    assert loc.fill_placeholders(messages[tag], values, tag).replace("\u00a0", " ") == expected


def test_select_messages_pick_the_value_s_option_or_other():
    message = "{size, select, small {Ein kleiner Latte} other {Ein Latte}} für {price}"
    assert loc.fill_placeholders(message, {"size": "small", "price": 2.5}, "de-DE") == "Ein kleiner Latte für 2,50"
    assert loc.fill_placeholders(message, {"size": "grande", "price": 2.5}, "de-DE") == "Ein Latte für 2,50"
    broken = "{size, select, small {Klein} other {Groß} für {price}"
    assert loc.fill_placeholders(broken, {"size": "small", "price": 2.5}, "de-DE") == broken.replace("{price}", "2,50")
