"""Text layout: shrink-to-fit, words never broken, Arabic shaped and set right to left."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import features

from adloc import fonts
from adloc.pipelines.render import layout, render
from adloc.records import TextSlot

SLOT = TextSlot(name="headline", box=(10, 10, 300, 120), min_size=12, max_size=60, color="#ffffff", align="start")


def test_raqm_is_available_for_shaping():
    assert features.check("raqm"), "Pillow was built without raqm: Arabic cannot be shaped"


def test_short_text_uses_the_largest_size():
    result = layout("Buy now", SLOT, "en-US")
    assert result.fits and result.size == 60 and result.lines == ("Buy now",)


def test_long_text_shrinks_and_wraps_at_word_boundaries():
    text = "Start your morning with coffee and a donut from the corner bakery"
    result = layout(text, SLOT, "en-US")
    assert result.fits and SLOT.min_size <= result.size < SLOT.max_size
    assert len(result.lines) > 1
    assert " ".join(result.lines) == text  # every word intact, in order
    font = fonts.load(fonts.font_for(text), result.size, SLOT.weight)
    assert all(font.getlength(line) <= SLOT.box[2] for line in result.lines)


def test_text_that_cannot_fit_is_reported():
    tiny = TextSlot(name="cta", box=(0, 0, 60, 14), min_size=12, max_size=14)
    result = layout("Bestellen Sie noch heute Ihren Lieblingskaffee", tiny, "de-DE")
    assert not result.fits and result.size == 12


def _ink_columns(image: np.ndarray, box) -> np.ndarray:
    x, y, w, h = box
    region = image[y : y + h, x : x + w].astype(int)
    return np.nonzero((region.max(axis=-1) > 128).any(axis=0))[0]


def test_arabic_is_shaped_right_to_left_and_aligned_right():
    background = np.zeros((140, 320, 3), dtype=np.uint8)
    text = "اطلب الآن"
    image, checks = render(background, {"headline": text}, (SLOT,), "ar-AE")
    by_name = {c.name: c for c in checks}
    assert by_name["direction:headline"].passed and by_name["direction:headline"].detail == "laid out rtl"
    assert by_name["glyphs:headline"].passed
    columns = _ink_columns(image, SLOT.box)
    assert SLOT.box[2] - 1 - columns.max() < 5  # 'start' is the right edge for Arabic
    assert columns.min() > 20
    # Shaped Arabic joins letters: the contextual forms are narrower than the isolated ones.
    font = fonts.load(fonts.font_for(text), 40)
    shaped = font.getlength(text, direction="rtl", language="ar")
    isolated = sum(font.getlength(ch, direction="rtl", language="ar") for ch in text)
    assert shaped < isolated


def test_latin_start_alignment_is_left():
    background = np.zeros((140, 320, 3), dtype=np.uint8)
    image, checks = render(background, {"headline": "Hallo"}, (SLOT,), "de-DE")
    columns = _ink_columns(image, SLOT.box)
    assert columns.min() < 8 and columns.max() < SLOT.box[2] - 20
    assert all(c.passed for c in checks)


def test_missing_glyphs_are_caught():
    white = np.full((140, 320, 3), 250, dtype=np.uint8)
    _, checks = render(white, {"headline": "Hello \u1230\u120b\u121d"}, (SLOT,), "en-US")  # Ethiopic: no font has it
    by_name = {c.name: c for c in checks}
    assert not by_name["glyphs:headline"].passed and "U+1230" in by_name["glyphs:headline"].detail


def test_low_contrast_gets_a_scrim_and_the_check_says_so():
    white = np.full((140, 320, 3), 250, dtype=np.uint8)
    out, checks = render(white, {"headline": "Buy now"}, (SLOT,), "en-US")  # white text on white
    contrast = {c.name: c for c in checks}["contrast:headline"]
    assert contrast.passed and "on a " in contrast.detail and "scrim" in contrast.detail
    assert out[12:120, 12:300].mean() < 200  # a dark scrim behind the text
    assert np.array_equal(out[0:8], white[0:8]) and np.array_equal(out[:, 312:], white[:, 312:])  # only the slot
    again, _ = render(white, {"headline": "Buy now"}, (SLOT,), "en-US")
    assert np.array_equal(out, again)


def test_contrast_no_scrim_can_rescue_fails_for_review():
    grey = TextSlot(name="cta", box=(10, 10, 300, 40), min_size=12, max_size=14, color="#8a8a8a")
    white = np.full((60, 320, 3), 250, dtype=np.uint8)
    _, checks = render(white, {"cta": "Small grey print"}, (grey,), "en-US")
    contrast = {c.name: c for c in checks}["contrast:cta"]
    assert not contrast.passed and "needs 4.5:1" in contrast.detail and "scrim" not in contrast.detail


def test_scripts_without_spaces_break_between_characters():
    narrow = TextSlot(name="headline", box=(0, 0, 60, 200), min_size=20, max_size=20)
    text = "\u671d\u306e\u30b3\u30fc\u30d2\u30fc\u3092\u3069\u3046\u305e"  # ten characters, no spaces
    result = layout(text, narrow, "ja-JP")
    assert len(result.lines) > 1 and "".join(result.lines) == text
    assert layout("Coffee every morning", narrow, "en-US").lines[0] == "Coffee"  # a word is never split

def test_a_line_takes_the_direction_of_its_letters():
    cases = {"اطلب الآن": "rtl", "Acme قهوة طازجة": "rtl", "Order now": "ltr", "4.99": "rtl"}
    for text, direction in cases.items():
        assert layout(text, SLOT, "ar-AE").direction == direction, text
        _, checks = render(np.zeros((140, 320, 3), dtype=np.uint8), {"headline": text}, (SLOT,), "ar-AE")
        assert {c.name: c for c in checks}["direction:headline"].passed, text
    assert layout("4.99", SLOT, "de-DE").direction == "ltr"


def test_a_filled_in_value_keeps_its_own_direction_and_not_the_line_s():
    """An English line waiting for a translator in an Arabic ad holds the market's price, Arabic
    letters and all: drawn isolated, the line stays left to right and in the Arabic font chain's
    coverage (format controls need no glyph)."""
    from decimal import Decimal

    from adloc import locale as loc
    from adloc.money import Money

    price = {"price": Money(Decimal(14), "AED")}
    english = loc.fill_placeholders("Only {price} this week", price, "ar-AE", isolate=True)
    arabic = loc.fill_placeholders("اطلب الآن مقابل {price}", price, "ar-AE", isolate=True)
    assert english.startswith("Only \u2068") and english.endswith("\u2069 this week")
    assert layout(english, SLOT, "ar-AE").direction == "ltr"
    assert layout(arabic, SLOT, "ar-AE").direction == "rtl"
    assert layout(loc.fill_placeholders("{price}", price, "ar-AE", isolate=True), SLOT, "ar-AE").direction == "rtl"
    assert fonts.font_for(english) == fonts.font_for("Only 14.00 د.إ. this week")  # the isolates need no glyph
    _, checks = render(np.zeros((140, 320, 3), dtype=np.uint8), {"headline": english}, (SLOT,), "ar-AE")
    assert all(c.passed for c in checks if c.name.startswith(("glyphs", "direction"))), checks


def test_latin_words_stay_whole_in_a_japanese_ad():
    narrow = TextSlot(name="headline", box=(0, 0, 60, 200), min_size=20, max_size=20)
    assert layout("Coffee every morning", narrow, "ja-JP").lines == ("Coffee", "every", "morning")
    lines = layout("Acme \u306e\u30b3\u30fc\u30d2\u30fc", narrow, "ja-JP").lines
    assert lines[0] == "Acme" and "".join(lines[1:]) == "\u306e\u30b3\u30fc\u30d2\u30fc"


def test_text_drawn_in_either_font_stays_inside_its_box():
    """Noto Sans Arabic's ascender is a third taller than Noto Sans's: lines sit on a baseline that
    centres their capitals in the box, so two lines set in it do not spill below the slot."""
    from decimal import Decimal

    from adloc import locale as loc
    from adloc.money import Money

    box = TextSlot(name="cta", box=(70, 40, 380, 100), min_size=22, max_size=40, color="#08333f", align="center")
    price = {"price": Money(Decimal(14), "AED")}
    for text, locale in [("Only {price} this week", "ar-AE"), ("اطلب الآن مقابل {price}", "ar-AE"),
                         ("Nur {price} diese Woche", "de-DE")]:
        line = loc.fill_placeholders(text, price, locale, isolate=True)
        background = np.full((200, 520, 3), 250, dtype=np.uint8)
        drawn, checks = render(background, {"cta": line}, (box,), locale)
        rows = np.nonzero((np.abs(drawn.astype(int) - 250).sum(axis=2) > 60).any(axis=1))[0]
        assert {c.name: c for c in checks}["fits:cta"].passed
        assert 40 <= rows.min() and rows.max() < 140, (text, rows.min(), rows.max())


WIDE = TextSlot(name="headline", box=(0, 0, 680, 260), min_size=36, max_size=72, color="#ffffff", align="start")


@pytest.mark.parametrize("locale, text", [
    ("ja-JP", "今だけ Acme コーヒー 30% オフ、お見逃しなく。"), ("zh-CN", "限时 Acme 咖啡 七折优惠"),
    ("zh-TW", "限時 Acme 咖啡 七折優惠，這裡見"), ("ko-KR", "지금만 Acme 커피 30% 할인"),
    ("he-IL", "Air 5 Pro במבצע רק השבוע (עד 30%)"), ("th-TH", "กาแฟเย็นสดชื่นทุกวันที่ร้าน Acme ใกล้บ้านคุณ"),
    ("hi-IN", "हर सुबह Acme की ताज़ा कॉफ़ी"), ("ta-IN", "ஒவ்வொரு காலையும் Acme காபி"),
])
def test_every_big_market_s_script_has_its_glyphs_and_fits(locale, text):
    image, checks = render(np.zeros((260, 680, 3), dtype=np.uint8), {"headline": text}, (WIDE,), locale)
    by_name = {c.name: c for c in checks}
    assert by_name["glyphs:headline"].passed and by_name["fits:headline"].passed, checks
    assert _ink_columns(image, WIDE.box).size > 100  # something was drawn


@pytest.mark.parametrize("locale, face", [("ja-JP", 0), ("ko-KR", 1), ("zh-CN", 2), ("zh-SG", 2), ("zh-TW", 3),
                                          ("zh-Hant-TW", 3), ("zh-HK", 4), ("de-DE", 0)])
def test_the_locale_picks_the_cjk_face_of_its_region(locale, face):
    chosen = fonts.font_for("骨", locale)  # a character whose strokes differ by region
    assert chosen.index == face and chosen.path.name == "NotoSansCJK-Regular.ttc"


def test_thai_breaks_between_words_it_has_no_spaces_for():
    narrow = TextSlot(name="headline", box=(0, 0, 260, 400), min_size=36, max_size=36)
    result = layout("กาแฟเย็นสดชื่นทุกวัน", narrow, "th-TH")
    assert result.fits and len(result.lines) > 1
    assert "".join(result.lines) == "กาแฟเย็นสดชื่นทุกวัน"
    words = ("กาแฟ", "เย็น", "สดชื่น", "ทุก", "วัน")  # each line is whole words (ICU's Thai dictionary)
    assert all(any(line.startswith(w) for w in words) and any(line.endswith(w) for w in words) for line in result.lines)


def test_japanese_lines_never_start_with_a_long_vowel_mark_or_a_comma():
    for width in range(120, 400, 20):
        slot = TextSlot(name="headline", box=(0, 0, width, 600), min_size=30, max_size=30)
        result = layout("今だけAcmeコーヒー30%オフ、お見逃しなく。", slot, "ja-JP")
        assert "".join(result.lines) == "今だけAcmeコーヒー30%オフ、お見逃しなく。"
        assert not any(line[0] in "ー、。ッャュョ" for line in result.lines), result.lines


def test_a_hebrew_line_opening_with_a_latin_name_is_right_to_left():
    text = "Air 5 Pro במבצע (עד 30%)"
    assert layout(text, WIDE, "he-IL").direction == "rtl"
    image, _ = render(np.zeros((260, 680, 3), dtype=np.uint8), {"headline": text}, (WIDE,), "he-IL")
    columns = _ink_columns(image, WIDE.box)
    assert WIDE.box[2] - 1 - columns.max() < 6  # set from the right edge
