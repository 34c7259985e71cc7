"""Layout checks: fit, glyph coverage, WCAG contrast, text direction."""

from __future__ import annotations

import numpy as np
import pytest

from adloc.checks.base import Severity
from adloc.checks.layout import (
    check_contrast,
    check_direction,
    check_fits,
    check_glyphs,
    contrast_ratio,
)

F = Severity.FUNCTIONAL
LATIN = {ord(ch) for ch in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?"}


def test_fits():
    r = check_fits("headline", 28, 14)
    assert (r.name, r.passed, r.severity) == ("fits:headline", True, F)
    assert r.detail == "fits at 28px (minimum 14px)"


def test_does_not_fit():
    r = check_fits("cta", None, 14)
    assert (r.name, r.passed, r.severity) == ("fits:cta", False, F)
    assert r.detail == "text does not fit its box even at the minimum size 14px"


def test_glyphs_all_covered():
    # Spaces and default-ignorable code points need no glyph of their own: a zero-width joiner and
    # non-joiner, a variation selector, a bidi mark and an isolate.
    r = check_glyphs("headline", "Order now\u200d\u200c e\ufe0f\u200f\u2068x\u2069", LATIN)
    assert (r.name, r.passed, r.severity) == ("glyphs:headline", True, F)
    assert r.detail.startswith("all ") and r.detail.endswith(" characters covered")


def test_a_combining_mark_needs_its_glyph():
    r = check_glyphs("headline", "Cafe\u0301", LATIN)
    assert not r.passed and r.detail == "no glyph for '\u0301' U+0301"


def test_glyphs_missing_character_named_with_code_point():
    r = check_glyphs("headline", "Café Acme", LATIN)
    assert (r.name, r.passed, r.severity) == ("glyphs:headline", False, F)
    assert r.detail == "no glyph for 'é' U+00E9"


def test_glyphs_arabic_in_a_latin_font():
    r = check_glyphs("cta", "اطلب", LATIN)
    assert not r.passed
    for code in ("U+0627", "U+0637", "U+0644", "U+0628"):
        assert code in r.detail


def test_contrast_ratio_black_white_is_21():
    black, white = np.array([0, 0, 0]), np.array([255, 255, 255])
    assert contrast_ratio(black, white) == pytest.approx(21.0)
    assert contrast_ratio(white, black) == pytest.approx(21.0)
    assert contrast_ratio(white, white) == pytest.approx(1.0)


def test_contrast_ratio_matches_wcag_reference_grey():
    # #767676 on white is the classic 4.54:1 AA threshold colour.
    assert contrast_ratio(np.array([118, 118, 118]), np.array([255, 255, 255])) == pytest.approx(
        4.54, abs=0.01
    )


def test_contrast_white_on_black_passes():
    background = np.zeros((10, 40, 3), dtype=np.uint8)
    r = check_contrast("headline", (255, 255, 255), background, 16)
    assert (r.name, r.passed, r.severity) == ("contrast:headline", True, F)
    assert r.detail == "contrast 21.0:1 (needs 4.5:1)"


def test_contrast_light_grey_on_white_fails():
    background = np.full((10, 40, 3), 255, dtype=np.uint8)
    r = check_contrast("headline", (200, 200, 200), background, 32)
    assert (r.name, r.passed, r.severity) == ("contrast:headline", False, F)
    assert r.detail == "contrast 1.7:1, needs 3.0:1"
    assert r.score == pytest.approx(1.67 / 3.0, abs=0.01)


def test_contrast_threshold_depends_on_text_size():
    background = np.full((10, 40, 3), 255, dtype=np.uint8)
    grey = (148, 148, 148)  # about 3.0:1 on white
    assert check_contrast("cta", grey, background, 24).passed
    assert not check_contrast("cta", grey, background, 16).passed


def test_contrast_judges_the_worst_part_of_the_box():
    background = np.zeros((10, 40, 3), dtype=np.uint8)
    background[:, :4] = 255  # a tenth of the box is white, under white text
    r = check_contrast("headline", (255, 255, 255), background, 32)
    assert not r.passed
    assert r.detail == "contrast 1.0:1, needs 3.0:1"


def test_direction_rtl_text_laid_out_rtl():
    r = check_direction("headline", "ابدأ صباحك مع قهوة Acme", "rtl", rtl_locale=True)
    assert (r.name, r.passed, r.severity) == ("direction:headline", True, F)
    assert r.detail == "laid out rtl"


def test_the_locale_s_direction_wins_in_a_line_holding_both():
    mixed = "Air 5 Pro במבצע"
    assert check_direction("headline", mixed, "rtl", rtl_locale=True).passed  # a Hebrew ad
    assert check_direction("headline", mixed, "ltr", rtl_locale=False).passed  # quoted in a Latin-script ad
    assert not check_direction("headline", mixed, "ltr", rtl_locale=True).passed


def test_direction_ltr_text_laid_out_ltr():
    r = check_direction("headline", "Comece a sua manhã 4,99", "ltr")
    assert r.passed and r.detail == "laid out ltr"


def test_direction_rtl_text_laid_out_ltr_fails():
    r = check_direction("headline", "اطلب الآن", "ltr")
    assert (r.name, r.passed, r.severity) == ("direction:headline", False, F)
    assert r.detail == "laid out ltr, text needs rtl"


def test_direction_latin_text_laid_out_rtl_fails():
    r = check_direction("cta", "Order now", "rtl")
    assert not r.passed
    assert r.detail == "laid out rtl, text needs ltr"
