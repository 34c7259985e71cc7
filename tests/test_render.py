"""Text layout: shrink-to-fit, words never broken, Arabic shaped and set right to left."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import features

from adloc import fonts
from adloc.pipelines.render import layout, render, setter_for
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
    assert chosen.index == face and chosen.path.name == "NotoSansCJK-VF.otf.ttc"


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


needs_emoji = pytest.mark.usefixtures("emoji_font")


def _colourful(image: np.ndarray) -> np.ndarray:
    """Columns holding saturated colour (an emoji's), not white text on the dark ground."""
    rgb = image.astype(int)
    return np.nonzero(((rgb.max(axis=2) - rgb.min(axis=2)) > 80).any(axis=0))[0]


@needs_emoji
def test_a_mixed_script_line_with_an_emoji_is_set_in_runs_on_one_line():
    text = "今だけ Acme コーヒー 30% オフ 🎉"
    runs = fonts.runs(text, "ja-JP")
    assert [(text[r.start:r.end], r.face.path.name) for r in runs] == [
        ("今だけ Acme コーヒー 30% オフ ", "NotoSansCJK-VF.otf.ttc"), ("🎉", fonts.EMOJI_FONT.name)]
    slot = TextSlot(name="headline", box=(0, 0, 900, 80), min_size=40, max_size=40)
    result = layout(text, slot, "ja-JP")
    assert result.fits and result.lines == (text,)  # measured as one line, emoji included
    image, checks = render(np.zeros((80, 900, 3), dtype=np.uint8), {"headline": text}, (slot,), "ja-JP")
    assert {c.name: c for c in checks}["glyphs:headline"].passed
    colour, ink = _colourful(image), _ink_columns(image, slot.box)
    assert colour.size > 20 and colour.min() > 0.8 * ink.max()  # the emoji, in colour, at the line's end


@needs_emoji
def test_emoji_clusters_are_kept_whole():
    family, flag, thumb = "👩\u200d👩\u200d👧", "🇯🇵", "👍🏽"
    for cluster in (family, flag, thumb, "❤\ufe0f", "1\ufe0f\u20e3"):
        assert fonts.clusters(cluster) == [(0, len(cluster))]
        assert len(fonts.runs(f"Sale {cluster} now")) == 3, cluster
    setter = setter_for("x", SLOT, "en-US", 40)
    one = setter.length("🎉")
    for cluster in (family, flag, thumb):
        assert setter.length(cluster) == pytest.approx(one)  # one picture, not its parts side by side
    narrow = TextSlot(name="headline", box=(0, 0, 50, 400), min_size=40, max_size=40)
    lines = layout(f"{family}{flag}{thumb}", narrow, "en-US").lines
    assert lines == (family, flag, thumb)  # broken between clusters, never inside one


@needs_emoji
def test_runs_of_a_right_to_left_line_are_drawn_in_bidi_order():
    from adloc import bidi

    text = "Air 5 Pro במבצע (עכשיו) 🎉"
    setter = setter_for(text, WIDE, "he-IL", 40)
    pieces = setter._pieces(text)
    shown = [(text[p.start:p.end].strip(), p.rtl) for p in pieces]
    # Left to right on the page: the emoji, the Hebrew (with its brackets), then the Latin name
    # the line opened with, which a right-to-left reader meets first.
    assert shown == [("🎉", True), ("במבצע (עכשיו)", True), ("Air 5 Pro", False)]
    levels, _ = bidi.visual_order(text, rtl=True)
    assert set(levels[:9]) == {2} and set(levels[10:]) == {1}
    line = TextSlot(name="headline", box=(0, 0, 900, 80), min_size=40, max_size=40)
    image, _ = render(np.zeros((80, 900, 3), dtype=np.uint8), {"headline": text}, (line,), "he-IL")
    colour, ink = _colourful(image), _ink_columns(image, line.box)
    assert colour.max() < ink.min() + 0.2 * (ink.max() - ink.min())  # the emoji on the left
    assert line.box[2] - 1 - ink.max() < 6  # set from the right edge


def test_brackets_are_mirrored_in_a_right_to_left_line():
    """Logically "(" opens a Hebrew aside; drawn right to left it must still face the word it
    encloses, so the bracket on the left is drawn as "(" (bulging left in its middle rows)."""
    slot = TextSlot(name="headline", box=(0, 0, 400, 120), min_size=80, max_size=80, color="#ffffff")
    image, _ = render(np.zeros((120, 400, 3), dtype=np.uint8), {"headline": "(עד)"}, (slot,), "he-IL")
    ink = image.max(axis=2) > 128
    columns = np.nonzero(ink.any(axis=0))[0]
    bracket = ink[:, columns.min() : columns.min() + 12]
    rows = np.nonzero(bracket.any(axis=1))[0]
    top, middle = bracket[rows.min() + 2], bracket[(rows.min() + rows.max()) // 2]
    assert np.nonzero(middle)[0].mean() < np.nonzero(top)[0].mean()


@needs_emoji
def test_arabic_with_a_latin_brand_a_price_and_an_emoji():
    text = "عرض Acme بسعر 14.99 د.إ 🎉"
    setter = setter_for(text, WIDE, "ar-AE", 40)
    shown = [text[p.start:p.end].strip() for p in setter._pieces(text)]
    assert shown[0] == "🎉" and shown[-1] == "عرض"
    order = [next(i for i, s in enumerate(shown) if part in s) for part in ("د.إ", "14.99", "بسعر", "Acme")]
    assert order == sorted(order)  # read from the right: عرض, Acme, بسعر, 14.99, د.إ, then the emoji
    _, checks = render(np.zeros((260, 680, 3), dtype=np.uint8), {"headline": text}, (WIDE,), "ar-AE")
    assert all(c.passed for c in checks if c.name.startswith(("glyphs", "direction", "fits"))), checks


def test_two_scripts_no_one_font_has_are_set_in_two_fonts():
    text = "今だけ ลดราคา セール"
    runs = fonts.runs(text, "ja-JP")
    assert [r.face.path.name for r in runs] == ["NotoSansCJK-VF.otf.ttc", "NotoSansThai[wdth,wght].ttf",
                                                "NotoSansCJK-VF.otf.ttc"]
    _, checks = render(np.zeros((260, 680, 3), dtype=np.uint8), {"headline": text}, (WIDE,), "ja-JP")
    assert {c.name: c for c in checks}["glyphs:headline"].passed
    # A Hebrew run inside a left-to-right Japanese line is drawn right to left, between its neighbours.
    text = "今だけ שלום עולם セール"
    setter = setter_for(text, WIDE, "ja-JP", 40)
    assert [(text[p.start:p.end].strip(), p.rtl) for p in setter._pieces(text) if text[p.start:p.end].strip()] == [
        ("今だけ", False), ("שלום עולם", True), ("セール", False)]


def test_the_glyph_check_names_only_what_no_font_has(monkeypatch):
    _, checks = render(np.zeros((260, 680, 3), dtype=np.uint8), {"headline": "今だけ ሰላም Acme"}, (WIDE,), "ja-JP")
    detail = {c.name: c for c in checks}["glyphs:headline"].detail
    assert "U+1230" in detail and "U+4ECA" not in detail  # Ethiopic has no font; the kanji has one
    monkeypatch.setenv("ADLOC_EMOJI_FONT", "/nonexistent/emoji.ttf")
    _, checks = render(np.zeros((260, 680, 3), dtype=np.uint8), {"headline": "Sale 🎉"}, (WIDE,), "en-US")
    glyphs = {c.name: c for c in checks}["glyphs:headline"]
    assert not glyphs.passed and "U+1F389" in glyphs.detail and "fonts-noto-color-emoji" in glyphs.detail


def test_japanese_headlines_break_between_phrases_and_korean_at_spaces():
    slot = TextSlot(name="headline", box=(0, 0, 370, 300), min_size=40, max_size=40)
    assert layout("アイスコーヒーでひと休み", slot, "ja-JP").lines == ("アイスコーヒーで", "ひと休み")
    assert layout("Acmeのコーヒーで朝をはじめよう", slot, "ja-JP").lines == ("Acmeのコーヒーで", "朝をはじめよう")
    # Where phrases cannot fit at any size, characters break as before (strictly).
    tight = TextSlot(name="headline", box=(0, 0, 120, 600), min_size=40, max_size=40)
    lines = layout("アイスコーヒーでひと休み", tight, "ja-JP").lines
    assert len(lines) > 2 and "".join(lines) == "アイスコーヒーでひと休み"
    korean = TextSlot(name="headline", box=(0, 0, 240, 300), min_size=40, max_size=40)
    assert layout("지금만 커피 할인", korean, "ko-KR").lines == ("지금만 커피", "할인")


def test_cjk_is_set_in_the_slot_s_weight():
    """The CJK collection is variable: a bold slot gets bold kanji, not the thin default."""
    ink = {}
    for weight in ("Regular", "Bold"):
        slot = TextSlot(name="headline", box=(0, 0, 400, 80), min_size=48, max_size=48, color="#ffffff", weight=weight)
        image, _ = render(np.zeros((80, 400, 3), dtype=np.uint8), {"headline": "今だけ休み"}, (slot,), "ja-JP")
        ink[weight] = int((image.max(axis=2) > 128).sum())
    assert ink["Bold"] > 1.3 * ink["Regular"] > 0


@needs_emoji
def test_arabic_and_hebrew_with_their_vowel_marks_stay_whole_beside_an_emoji():
    for text, locale in (("مَرْحَبًا بِكُمْ ☕", "ar-SA"), ("שָׁלוֹם ☕", "he-IL")):
        setter = setter_for(text, WIDE, locale, 40)
        words = text.removesuffix(" ☕")
        assert [text[p.start:p.end].strip() for p in setter._pieces(text)] == ["☕", words]  # one shaped piece
        alone = setter_for(words, WIDE, locale, 40).length(words)
        assert setter.length(text) < alone + 1.5 * setter.length("☕")  # joined, not letter by letter


def test_a_korean_word_is_never_broken_inside():
    slot = TextSlot(name="headline", box=(0, 0, 260, 400), min_size=40, max_size=40)
    assert layout("프리미엄커피 오늘만 할인", slot, "ko-KR").lines == ("프리미엄커피", "오늘만 할인")


def test_a_cluster_no_one_font_covers_is_caught_and_blank_slots_are_skipped():
    text = "ש\u0305"  # a Hebrew letter with a combining overline Heebo lacks
    assert fonts.tofu(text, "he-IL") == {"\u0305"}  # the letter in its own font, the mark missing
    _, checks = render(np.zeros((260, 680, 3), dtype=np.uint8), {"headline": text}, (WIDE,), "he-IL")
    assert not {c.name: c for c in checks}["glyphs:headline"].passed
    image, checks = render(np.zeros((260, 680, 3), dtype=np.uint8), {"headline": "   "}, (WIDE,), "en-US")
    assert checks == [] and not image.any()
